//! Reading what `terraform show -json` prints: a plan or a state. Both
//! `phi-lint review` and `phi-lint evidence` read only these files and never
//! call AWS, so the first job is to say clearly when a file is not what the
//! command expects, instead of reviewing an empty document.

use std::path::Path;

use serde_json::Value;

/// What a `terraform show -json` document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `terraform show -json plan.out`.
    Plan,
    /// `terraform show -json` of the state.
    State,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Plan => "a plan",
            Kind::State => "a state",
        })
    }
}

/// The newest major `format_version` this build understands. Terraform
/// 0.12 to 1.x write 0.x or 1.x; a 2.x document may change meaning, so it is
/// refused rather than misread.
pub const KNOWN_MAJOR: u64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error(
        "{file}: this is a binary plan file; give the JSON Terraform prints for it: \
         `terraform show -json {file} > plan.json`"
    )]
    BinaryPlan { file: String },
    #[error("{file}: not JSON ({detail}); expected the output of `terraform show -json`")]
    NotJson { file: String, detail: String },
    #[error(
        "{file}: a raw Terraform state file, not the JSON `terraform show -json` prints; run \
         `terraform show -json > state.json` in the working directory"
    )]
    RawState { file: String },
    #[error("{file}: not the output of `terraform show -json` (no format_version)")]
    NotTerraform { file: String },
    #[error("{file}: this is {found}, not {expected}{hint}")]
    WrongKind {
        file: String,
        found: Kind,
        expected: Kind,
        hint: &'static str,
    },
    #[error(
        "{file}: format_version {version} is newer than this phi-lint knows (up to {KNOWN_MAJOR}.x); \
         upgrade phi-lint"
    )]
    NewerFormat { file: String, version: String },
}

/// Reads `path` and checks it is a `terraform show -json` document of kind
/// `want`, in a format version this build knows.
pub fn load(path: &Path, want: Kind) -> Result<Value, InputError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| InputError::Read {
        file: file.clone(),
        source,
    })?;
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(InputError::BinaryPlan { file });
    }
    let doc: Value = serde_json::from_slice(&bytes).map_err(|e| InputError::NotJson {
        file: file.clone(),
        detail: e.to_string(),
    })?;
    classify(&doc, &file, want)?;
    Ok(doc)
}

/// Checks an already parsed document (see [`load`]).
pub fn classify(doc: &Value, file: &str, want: Kind) -> Result<(), InputError> {
    let file = file.to_owned();
    let Some(obj) = doc.as_object() else {
        return Err(InputError::NotTerraform { file });
    };
    let Some(version) = obj.get("format_version").and_then(Value::as_str) else {
        if obj.contains_key("lineage") && obj.contains_key("resources") {
            return Err(InputError::RawState { file });
        }
        return Err(InputError::NotTerraform { file });
    };
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u64>().ok());
    if major.is_none_or(|m| m > KNOWN_MAJOR) {
        return Err(InputError::NewerFormat {
            file,
            version: version.to_owned(),
        });
    }
    let found = if [
        "planned_values",
        "resource_changes",
        "prior_state",
        "configuration",
    ]
    .iter()
    .any(|k| obj.contains_key(*k))
    {
        Kind::Plan
    } else {
        Kind::State
    };
    if found != want {
        let hint = match want {
            Kind::Plan => "; `phi-lint evidence` reads states",
            Kind::State => "; `phi-lint review` reads plans",
        };
        return Err(InputError::WrongKind {
            file,
            found,
            expected: want,
            hint,
        });
    }
    Ok(())
}

/// Every managed resource of a `values` tree (`planned_values` or a state's
/// `values`), child modules included, in document order.
pub fn resources(values: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    if let Some(root) = values.get("root_module") {
        walk_module(root, &mut out);
    }
    out
}

fn walk_module<'a>(module: &'a Value, out: &mut Vec<&'a Value>) {
    for r in module
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if r.get("mode").and_then(Value::as_str) == Some("managed") {
            out.push(r);
        }
    }
    for child in module
        .get("child_modules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        walk_module(child, out);
    }
}

/// The control id an `enforced` key names: its first word, so both
/// `"PHI-RDS-002 public access"` and `"PHI-RDS-002"` work.
pub fn control_of_key(key: &str) -> &str {
    key.split_whitespace().next().unwrap_or(key)
}

/// A JSON value for a reader: strings bare, the rest as JSON.
pub fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tells_plans_states_and_strangers_apart() {
        let plan = json!({"format_version": "1.2", "resource_changes": []});
        let state = json!({"format_version": "1.0", "values": {}});
        assert!(classify(&plan, "p", Kind::Plan).is_ok());
        assert!(classify(&state, "s", Kind::State).is_ok());
        let e = classify(&state, "s", Kind::Plan).unwrap_err().to_string();
        assert!(e.contains("this is a state, not a plan"), "{e}");
        let e = classify(&plan, "p", Kind::State).unwrap_err().to_string();
        assert!(e.contains("this is a plan, not a state"), "{e}");
        let raw = json!({"version": 4, "lineage": "x", "resources": []});
        assert!(matches!(
            classify(&raw, "r", Kind::State),
            Err(InputError::RawState { .. })
        ));
        let newer = json!({"format_version": "2.0", "values": {}});
        let e = classify(&newer, "n", Kind::State).unwrap_err().to_string();
        assert!(e.contains("format_version 2.0 is newer"), "{e}");
        assert!(matches!(
            classify(&json!([1]), "a", Kind::Plan),
            Err(InputError::NotTerraform { .. })
        ));
    }

    #[test]
    fn control_ids_from_both_key_spellings() {
        assert_eq!(control_of_key("PHI-RDS-002 public access"), "PHI-RDS-002");
        assert_eq!(control_of_key("PHI-RDS-002"), "PHI-RDS-002");
    }
}
