//! What a resource reports about an object it was asked to look up by name
//! (for the data sources in [`crate::data_sources`]), in the resource's own
//! vocabulary: its attributes, its always-on settings as AWS reports them
//! and as compliance requires them, and the policy's findings.

use std::collections::BTreeMap;

use phi_policy::Violation;

use crate::diagnostics::Diagnostics;
use crate::value::Value;

pub struct Lookup {
    /// The object's attributes as the data source shows them (ARNs, key,
    /// settings), by attribute name.
    pub attributes: BTreeMap<String, Value>,
    /// Every always-on setting as AWS reports it, keyed like the resource's
    /// internal `enforced` entries ("PHI-S3-005 versioning").
    pub observed: BTreeMap<String, String>,
    /// The same settings as compliance requires them of this object.
    pub required: BTreeMap<String, String>,
    /// The policy's findings on the object's settings (key, retention,
    /// tags, regions): what plan would refuse in a configuration.
    pub violations: Vec<Violation>,
    /// Checks that could not be made (an AWS error while inspecting the
    /// key): never a pass.
    pub diagnostics: Diagnostics,
}
