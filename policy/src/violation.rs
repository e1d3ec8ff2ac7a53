//! A violated control, with the attribute at fault and the specific finding.

use crate::catalogue::Control;

/// Attribute names from the root of a resource block, e.g. `["retention_days"]`;
/// after a map attribute (`tags`) the next element is a key within it.
pub type AttrPath = Vec<String>;

#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub control: &'static Control,
    pub path: AttrPath,
    /// The specific finding: the value found and the bound it breaks.
    pub message: String,
}

impl Violation {
    pub fn new(control_id: &str, path: &[&str], message: impl Into<String>) -> Self {
        Violation {
            control: crate::catalogue::control(control_id)
                .unwrap_or_else(|| panic!("control {control_id} is not in the catalogue")),
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            message: message.into(),
        }
    }
}

/// Where the checked resource lives. An empty `region` means "not known yet"
/// (validation before the provider is configured).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub region: String,
    pub account_id: Option<String>,
}
