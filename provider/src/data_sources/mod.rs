//! The provider's data sources: read-only lookups by name of objects another
//! stack manages, which also say whether the object passes its controls, so
//! that a stack referring to a central audit sink or bucket fails at plan
//! when that object has drifted out of compliance.
//!
//! Each data source reuses its resource's read and compliance code (see
//! [`crate::resources::lookup`]); this module turns the result into the data
//! source's attributes and diagnostics.

pub mod audit_log_sink;
pub mod bucket;
pub mod verdict;

use std::sync::Arc;

use crate::configured::Configured;
use crate::diagnostics::{Diagnostics, attr};
use crate::schema::{AttrType, Attribute, Mode};
use crate::value::Value;

/// What a data source read: the whole object for Terraform (`None` when
/// nothing could be read), and the diagnostics.
pub struct DataRead {
    pub state: Option<Value>,
    pub diagnostics: Diagnostics,
}

#[tonic::async_trait]
pub trait DataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &crate::schema::Schema;
    /// Checks of the configuration's shape; runs before the provider is
    /// configured and skips unknown values.
    fn validate(&self, config: &Value) -> Diagnostics;
    async fn read(&self, config: &Value, ctx: &Configured) -> DataRead;
}

/// Every data source this provider serves.
pub fn registry() -> Vec<Arc<dyn DataSource>> {
    vec![
        Arc::new(audit_log_sink::AuditLogSinkData::new()),
        Arc::new(bucket::BucketData::new()),
    ]
}

/// The arguments and results every data source has, around its own
/// attributes: `name` first, then `require_compliant`, and the verdict last.
fn attributes(what: &'static str, own: Vec<Attribute>) -> Vec<Attribute> {
    use AttrType::*;
    use Mode::*;
    let mut all = vec![
        Attribute::new("id", String, Computed, "The name looked up."),
        Attribute::new("name", String, Required, what),
        Attribute::new(
            "require_compliant",
            Bool,
            Optional,
            "While true (the default), an object that fails any of its controls is an error \
             when this data source is read (at plan), naming each control, what is wrong and \
             the fix. Set it to false to read the object anyway: each finding is then a \
             warning, and `compliant` and `failing_controls` tell the rest of the \
             configuration. An object that does not exist is always an error.",
        ),
    ];
    all.extend(own);
    all.extend([
        Attribute::new(
            "enforced",
            MapOfString,
            Computed,
            "Live state of every always-on control as AWS reports it, keyed by control id \
             (e.g. `enforced[\"PHI-S3-005\"]`), as the managing stack's state shows it.",
        ),
        Attribute::new(
            "compliant",
            Bool,
            Computed,
            "Whether the object passes every control checked (always-on settings, key checks \
             and the policy's rules), after the policy's exceptions.",
        ),
        Attribute::new(
            "failing_controls",
            SetOfString,
            Computed,
            "The ids of the controls the object fails (empty when `compliant`).",
        ),
    ]);
    all
}

/// The `name`-like argument `attribute` of `config`: S3's naming rules,
/// checked before any call (the SDK refuses to send an invalid name, which
/// would otherwise read as "could not reach AWS").
fn check_name(config: &Value, attribute: &str, what: &str, d: &mut Diagnostics) {
    if let Some(name) = config.get(attribute).as_str()
        && let Some(problem) = crate::resources::checks::bucket_name_problem(name)
    {
        d.error_at(
            &attr(attribute),
            format!("Invalid {attribute}"),
            format!("{name:?} cannot be the name of {what}: a bucket name {problem}."),
        );
    }
}

/// Whether findings are errors: `require_compliant` unless set to false.
fn require_compliant(config: &Value) -> bool {
    config.get("require_compliant").as_bool() != Some(false)
}

/// The read both data sources share: look the object up by the `name` in
/// `config`, judge it, and answer the configuration with every computed
/// attribute filled. `what` names the object in messages ("PHI bucket").
async fn read_by_name<Lookup, Looking>(
    config: &Value,
    resource_type: &str,
    what: &str,
    lookup: Lookup,
    ctx: &Configured,
) -> DataRead
where
    Lookup: FnOnce(String) -> Looking,
    Looking: std::future::Future<
            Output = Result<Option<crate::resources::lookup::Lookup>, crate::aws::AwsError>,
        >,
{
    let mut diagnostics = Diagnostics::new();
    let Some(name) = config.get("name").as_str().map(str::to_owned) else {
        diagnostics.error_at(
            &attr("name"),
            format!("No {what} name"),
            format!("The {what} to look up needs a known `name`."),
        );
        return DataRead {
            state: None,
            diagnostics,
        };
    };
    let mut found = match lookup(name.clone()).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            diagnostics.error_at(
                &attr("name"),
                format!("No {what} named {name:?}"),
                format!(
                    "There is no {what} {name:?} in {region} for these credentials (no S3 bucket \
                     of that name in the account). Check the name and the provider's region and \
                     account; a lookup of something that does not exist is always an error, \
                     whatever `require_compliant` says.",
                    region = ctx.region
                ),
            );
            return DataRead {
                state: None,
                diagnostics,
            };
        }
        Err(e) => {
            diagnostics.error(
                format!("Could not read the {what} {name:?}"),
                format!("{e}."),
            );
            return DataRead {
                state: None,
                diagnostics,
            };
        }
    };
    let Value::Map(mut state) = config.clone() else {
        diagnostics.error(
            "Invalid data source configuration",
            "Terraform sent a configuration that is not an object.",
        );
        return DataRead {
            state: None,
            diagnostics,
        };
    };
    state.extend(std::mem::take(&mut found.attributes));
    let verdict = verdict::judge(
        found,
        resource_type,
        &name,
        require_compliant(config),
        ctx.policy(),
        ctx.today(),
    );
    state.insert("id".to_owned(), Value::string(&name));
    state.insert("enforced".to_owned(), verdict.enforced);
    state.insert("compliant".to_owned(), Value::Bool(verdict.compliant));
    state.insert(
        "failing_controls".to_owned(),
        Value::List(
            verdict
                .failing_controls
                .into_iter()
                .map(Value::string)
                .collect(),
        ),
    );
    diagnostics.extend(verdict.diagnostics);
    DataRead {
        state: Some(Value::Map(state)),
        diagnostics,
    }
}

/// The data source schemas against `phi_policy::arguments`, the table
/// phi-lint reads (PHI-LNT-008), as the resources' are.
#[cfg(test)]
mod arguments_table_tests {
    use crate::schema::Mode;

    #[test]
    fn every_data_source_schema_matches_the_shared_argument_table() {
        let sorted = |mut v: Vec<&'static str>| {
            v.sort_unstable();
            v
        };
        for d in super::registry() {
            let table = phi_policy::arguments::data_source_arguments(d.type_name())
                .unwrap_or_else(|| panic!("data source {} missing from the table", d.type_name()));
            let names = |f: fn(Mode) -> bool| {
                sorted(
                    d.schema()
                        .attributes
                        .iter()
                        .filter(|a| f(a.mode))
                        .map(|a| a.name)
                        .collect(),
                )
            };
            assert_eq!(
                names(|m| m == Mode::Required),
                sorted(table.required.to_vec()),
                "{}",
                d.type_name()
            );
            assert_eq!(
                names(|m| matches!(m, Mode::Optional | Mode::OptionalComputed)),
                sorted(table.optional.to_vec()),
                "{}",
                d.type_name()
            );
        }
        assert_eq!(
            super::registry().len(),
            phi_policy::arguments::DATA_SOURCE_ARGUMENTS.len()
        );
    }
}
