//! The `timeouts { create = "60m" }` block every AWS resource takes, with
//! Terraform's (Go's) duration syntax: `"90s"`, `"1h30m"`, `"1.5h"`.
//!
//! Each resource declares which operations it bounds (only those with a
//! waiter: declaring a key that nothing honours would promise more than the
//! code does). The block is optional; an operation without a value gets the
//! resource's default.

use std::time::Duration;

use crate::diagnostics::{Diagnostics, attr};
use crate::value::Value;

/// The name of the block in every resource's schema.
pub const BLOCK: &str = "timeouts";

/// Parses a duration as Go's `time.ParseDuration` does (the syntax Terraform
/// and terraform-provider-aws use): one or more decimal numbers, each with
/// an optional fraction and a unit (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`),
/// e.g. `"45m"`, `"1h30m"`, `"1.5h"`. Signs and zero are refused: a timeout
/// must be positive.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    let invalid = |why: &str| format!("{text:?} is not a duration ({why})");
    if s.is_empty() {
        return Err(invalid("empty"));
    }
    if s.starts_with(['-', '+']) {
        return Err(invalid("a timeout takes no sign"));
    }
    let mut rest = s;
    let mut nanos: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (int_part, after) = rest.split_at(int_len);
        let (frac_part, after) = match after.strip_prefix('.') {
            Some(a) => {
                let len = a.find(|c: char| !c.is_ascii_digit()).unwrap_or(a.len());
                a.split_at(len)
            }
            None => ("", after),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid("expected a number"));
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let per_unit: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3_600 * 1_000_000_000,
            "" => return Err(invalid("missing unit: use s, m or h")),
            other => return Err(invalid(&format!("unknown unit {other:?}"))),
        };
        let whole: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| invalid("number too large"))?
        };
        // At most 18 fraction digits count (below a nanosecond of an hour
        // they cannot change the result); more are ignored, as Go does.
        let frac_digits = &frac_part[..frac_part.len().min(18)];
        let frac: u128 = if frac_digits.is_empty() {
            0
        } else {
            frac_digits.parse().map_err(|_| invalid("bad fraction"))?
        };
        let scale = 10u128.pow(frac_digits.len() as u32);
        nanos = whole
            .checked_mul(per_unit)
            .and_then(|n| n.checked_add(frac * per_unit / scale))
            .and_then(|n| nanos.checked_add(n))
            .ok_or_else(|| invalid("too large"))?;
        rest = after;
    }
    if nanos == 0 {
        return Err(invalid("a timeout must be longer than zero"));
    }
    u64::try_from(nanos)
        .map(Duration::from_nanos)
        .map_err(|_| invalid("too large"))
}

/// The duration set for `operation` in a resource's `timeouts` block (its
/// value in configuration, plan or state), or `default` when none is set.
/// An invalid value also falls back to the default: validation has already
/// refused it, so this only happens with state written by hand.
pub fn get(resource: &Value, operation: &str, default: Duration) -> Duration {
    match resource.get(BLOCK).get(operation) {
        Value::String(s) => parse_duration(s).unwrap_or(default),
        _ => default,
    }
}

/// Checks every known value of the block: each must be a valid duration.
/// (Terraform itself refuses keys the schema does not declare.)
pub fn validate(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Value::Map(entries) = config.get(BLOCK) {
        for (operation, value) in entries {
            if let Value::String(text) = value
                && let Err(e) = parse_duration(text)
            {
                let mut path = attr(BLOCK);
                path.push(crate::diagnostics::Step::Attr(operation.clone()));
                d.error_at(
                    &path,
                    "Invalid timeout",
                    format!(
                        "timeouts.{operation}: {e}. Use Terraform's duration syntax, e.g. \
                         \"45m\", \"1h30m\" or \"1.5h\"."
                    ),
                );
            }
        }
    }
    d
}

/// The block's value in a fresh state or plan: what the configuration says,
/// every declared operation present (null when not set), or null when the
/// block is absent. Old state that held `timeouts` as a map of strings (the
/// `phi_database` attribute before the block existed) comes out the same
/// way, so it keeps its values.
pub fn normalise(value: &Value, operations: &[&str]) -> Value {
    match value {
        Value::Map(entries) => Value::Map(
            operations
                .iter()
                .map(|op| {
                    (
                        (*op).to_owned(),
                        entries.get(*op).cloned().unwrap_or(Value::Null),
                    )
                })
                .collect(),
        ),
        Value::Unknown => Value::Unknown,
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_duration_syntax_is_accepted() {
        let secs = |s: &str| parse_duration(s).unwrap().as_secs_f64();
        assert_eq!(secs("45m"), 2700.0);
        assert_eq!(secs("1h30m"), 5400.0);
        assert_eq!(secs("1.5h"), 5400.0);
        assert_eq!(secs("90s"), 90.0);
        assert_eq!(secs("2h45m30s"), 9930.0);
        assert_eq!(secs(".5m"), 30.0);
        assert_eq!(secs("1500ms"), 1.5);
        assert_eq!(secs("60m"), 3600.0);
    }

    #[test]
    fn malformed_durations_are_refused_with_the_reason() {
        for (text, why) in [
            ("", "empty"),
            ("forever", "expected a number"),
            ("60", "missing unit"),
            ("5d", "unknown unit \"d\""),
            ("-5m", "no sign"),
            ("0s", "longer than zero"),
            ("1.h.", "expected a number"),
            ("99999999999999999999h", "too large"),
        ] {
            let err = parse_duration(text).unwrap_err();
            assert!(err.contains(why), "{text:?}: {err}");
        }
    }

    #[test]
    fn missing_or_null_operations_take_the_default() {
        let default = Duration::from_secs(40 * 60);
        let block = |pairs: &[(&str, Value)]| {
            Value::Map(
                [(
                    BLOCK.to_owned(),
                    Value::Map(
                        pairs
                            .iter()
                            .map(|(k, v)| ((*k).to_owned(), v.clone()))
                            .collect(),
                    ),
                )]
                .into(),
            )
        };
        assert_eq!(get(&Value::Null, "create", default), default);
        assert_eq!(
            get(&block(&[("create", Value::Null)]), "create", default),
            default
        );
        assert_eq!(
            get(
                &block(&[("create", Value::string("1.5h"))]),
                "create",
                default
            ),
            Duration::from_secs(5400)
        );
    }

    #[test]
    fn an_old_map_of_strings_becomes_the_block_with_every_operation() {
        let old = Value::Map([("create".to_owned(), Value::string("60m"))].into());
        let block = normalise(&old, &["create", "update", "delete"]);
        assert_eq!(block.get("create"), &Value::string("60m"));
        assert!(block.get("update").is_null());
        assert!(matches!(&block, Value::Map(m) if m.len() == 3));
        assert!(normalise(&Value::Null, &["create"]).is_null());
    }
}
