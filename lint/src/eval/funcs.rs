//! The pure Terraform functions the evaluator knows. Any unknown argument
//! makes the result unknown; a function not listed here is unknown too (never
//! an error, never a guess). Semantics follow Terraform's documentation.

use std::collections::BTreeMap;

use super::{Value, error};
use crate::budget::MAX_VALUE_UNITS;

/// The longest string a function may build (the value budget in bytes).
const MAX_STRING_BYTES: usize = MAX_VALUE_UNITS as usize * 32;

pub fn call(name: &str, args: Vec<Value>) -> Value {
    // coalesce skips nulls and empty strings; it is known once a known
    // argument wins before any unknown one.
    if name == "coalesce" {
        for a in args {
            match a {
                Value::Null => continue,
                Value::String(ref s) if s.is_empty() => continue,
                other => return other,
            }
        }
        return error("coalesce(): no non-null argument");
    }
    if let Some(why) = args.iter().find_map(Value::unknown_reason) {
        return Value::unknown(why.to_owned());
    }
    match known(name, &args) {
        Some(Ok(v)) => v,
        Some(Err(msg)) => error(&format!("{name}(): {msg}")),
        None => Value::unknown(format!("function {name}() (not evaluated by phi-lint)")),
    }
}

type R = Result<Value, String>;

/// Unknown, not an error: `try()` must not turn a budget into a fallback.
/// The evaluator marks the budget exhausted when it sees it.
fn over_budget(why: String) -> Value {
    Value::unknown(format!("{}: {why}", crate::budget::EXCEEDED))
}

fn s(v: &Value) -> Result<String, String> {
    v.as_string()
        .ok_or_else(|| format!("expected a string, got a {}", v.type_name()))
}

fn n(v: &Value) -> Result<f64, String> {
    v.as_number()
        .ok_or_else(|| format!("expected a number, got a {}", v.type_name()))
}

fn list(v: &Value) -> Result<Vec<Value>, String> {
    match v {
        Value::List(items) => Ok(items.clone()),
        other => Err(format!("expected a list, got a {}", other.type_name())),
    }
}

fn map(v: &Value) -> Result<BTreeMap<String, Value>, String> {
    match v {
        Value::Map(m) => Ok(m.clone()),
        other => Err(format!("expected a map, got a {}", other.type_name())),
    }
}

fn arg(args: &[Value], i: usize) -> Result<&Value, String> {
    args.get(i)
        .ok_or_else(|| format!("missing argument {}", i + 1))
}

fn string_fn(args: &[Value], f: impl Fn(&str) -> String) -> R {
    Ok(Value::String(f(&s(arg(args, 0)?)?)))
}

fn known(name: &str, args: &[Value]) -> Option<R> {
    Some(match name {
        "lower" => string_fn(args, str::to_lowercase),
        "upper" => string_fn(args, str::to_uppercase),
        "trimspace" => string_fn(args, |x| x.trim().to_owned()),
        "tostring" => match arg(args, 0) {
            Ok(Value::Null) => Ok(Value::Null),
            Ok(v) => s(v).map(Value::String),
            Err(e) => Err(e),
        },
        "tonumber" => arg(args, 0).and_then(n).map(Value::Number),
        "tobool" => arg(args, 0).and_then(|v| {
            v.as_bool()
                .map(Value::Bool)
                .ok_or_else(|| "expected a bool".to_owned())
        }),
        "tolist" | "toset" => arg(args, 0).and_then(list).map(|mut l| {
            if name == "toset" {
                dedup(&mut l);
            }
            Value::List(l)
        }),
        "tomap" => arg(args, 0).and_then(map).map(Value::Map),
        "trimprefix" => (|| {
            let (a, p) = (s(arg(args, 0)?)?, s(arg(args, 1)?)?);
            Ok(Value::String(
                a.strip_prefix(p.as_str()).unwrap_or(&a).to_owned(),
            ))
        })(),
        "trimsuffix" => (|| {
            let (a, p) = (s(arg(args, 0)?)?, s(arg(args, 1)?)?);
            Ok(Value::String(
                a.strip_suffix(p.as_str()).unwrap_or(&a).to_owned(),
            ))
        })(),
        "startswith" => (|| {
            Ok(Value::Bool(
                s(arg(args, 0)?)?.starts_with(&s(arg(args, 1)?)?),
            ))
        })(),
        "endswith" => (|| Ok(Value::Bool(s(arg(args, 0)?)?.ends_with(&s(arg(args, 1)?)?))))(),
        "replace" => (|| {
            let (a, from, to) = (s(arg(args, 0)?)?, s(arg(args, 1)?)?, s(arg(args, 2)?)?);
            if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
                return Err("regular-expression replace is not evaluated".to_owned());
            }
            // Check the size before building it: `replace` multiplies.
            let hits = if from.is_empty() {
                a.chars().count() + 1
            } else {
                a.matches(from.as_str()).count()
            };
            if a.len().saturating_add(hits.saturating_mul(to.len())) > MAX_STRING_BYTES {
                return Ok(over_budget(format!(
                    "replace() would build more than {MAX_STRING_BYTES} bytes"
                )));
            }
            Ok(Value::String(a.replace(&from, &to)))
        })(),
        "split" => (|| {
            let (sep, a) = (s(arg(args, 0)?)?, s(arg(args, 1)?)?);
            if a.split(sep.as_str())
                .nth(MAX_VALUE_UNITS as usize)
                .is_some()
            {
                return Ok(over_budget(format!(
                    "split() into more than {MAX_VALUE_UNITS} parts"
                )));
            }
            Ok(Value::List(
                a.split(sep.as_str())
                    .map(|p| Value::String(p.to_owned()))
                    .collect(),
            ))
        })(),
        "join" => (|| {
            let sep = s(arg(args, 0)?)?;
            let mut parts = Vec::new();
            for l in args.get(1..).unwrap_or_default() {
                for item in list(l)? {
                    parts.push(s(&item)?);
                }
            }
            Ok(Value::String(parts.join(&sep)))
        })(),
        "substr" => (|| {
            let a: Vec<char> = s(arg(args, 0)?)?.chars().collect();
            // Terraform clamps: a length past the end (even i64::MAX) means
            // "to the end", an offset past either end is clamped to it.
            // `as i64` saturates, and the sums saturate, so nothing wraps.
            let (off, len) = (n(arg(args, 1)?)? as i64, n(arg(args, 2)?)? as i64);
            let total = a.len() as i64;
            let start = if off < 0 {
                total.saturating_add(off)
            } else {
                off
            }
            .clamp(0, total);
            let end = if len < 0 {
                total
            } else {
                start.saturating_add(len).min(total)
            };
            Ok(Value::String(
                a[start as usize..end as usize].iter().collect(),
            ))
        })(),
        "format" => format(args),
        "concat" => (|| {
            let mut out = Vec::new();
            for l in args {
                out.extend(list(l)?);
            }
            Ok(Value::List(out))
        })(),
        "merge" => (|| {
            let mut out = BTreeMap::new();
            for m in args {
                if *m != Value::Null {
                    out.extend(map(m)?);
                }
            }
            Ok(Value::Map(out))
        })(),
        "lookup" => (|| {
            let m = map(arg(args, 0)?)?;
            let k = s(arg(args, 1)?)?;
            match (m.get(&k), args.get(2)) {
                (Some(v), _) => Ok(v.clone()),
                (None, Some(default)) => Ok(default.clone()),
                (None, None) => Err(format!("no key {k:?}")),
            }
        })(),
        "contains" => (|| {
            let l = list(arg(args, 0)?)?;
            let v = arg(args, 1)?;
            Ok(Value::Bool(l.iter().any(|x| x == v)))
        })(),
        "length" => match arg(args, 0) {
            Ok(Value::List(l)) => Ok(Value::Number(l.len() as f64)),
            Ok(Value::Map(m)) => Ok(Value::Number(m.len() as f64)),
            Ok(Value::String(x)) => Ok(Value::Number(x.chars().count() as f64)),
            Ok(other) => Err(format!("no length for a {}", other.type_name())),
            Err(e) => Err(e),
        },
        "element" => (|| {
            let l = list(arg(args, 0)?)?;
            if l.is_empty() {
                return Err("empty list".to_owned());
            }
            let i = n(arg(args, 1)?)? as usize;
            Ok(l[i % l.len()].clone())
        })(),
        "keys" => arg(args, 0)
            .and_then(map)
            .map(|m| Value::List(m.into_keys().map(Value::String).collect())),
        "values" => arg(args, 0)
            .and_then(map)
            .map(|m| Value::List(m.into_values().collect())),
        "compact" => arg(args, 0).and_then(list).map(|l| {
            Value::List(
                l.into_iter()
                    .filter(|v| !matches!(v, Value::Null) && *v != Value::String(String::new()))
                    .collect(),
            )
        }),
        "distinct" => arg(args, 0).and_then(list).map(|mut l| {
            dedup(&mut l);
            Value::List(l)
        }),
        "flatten" => arg(args, 0).and_then(list).map(|l| {
            let mut out = Vec::new();
            flatten(l, &mut out);
            Value::List(out)
        }),
        "coalescelist" => (|| {
            for a in args {
                let l = list(a)?;
                if !l.is_empty() {
                    return Ok(Value::List(l));
                }
            }
            Err("no non-empty list".to_owned())
        })(),
        "one" => arg(args, 0).and_then(list).and_then(|l| match l.len() {
            0 => Ok(Value::Null),
            1 => Ok(l[0].clone()),
            _ => Err("more than one element".to_owned()),
        }),
        "min" | "max" => (|| {
            let nums: Result<Vec<f64>, String> = args.iter().map(n).collect();
            let nums = nums?;
            let pick = if name == "min" { f64::min } else { f64::max };
            nums.into_iter()
                .reduce(pick)
                .map(Value::Number)
                .ok_or_else(|| "needs an argument".to_owned())
        })(),
        "abs" => arg(args, 0).and_then(n).map(|x| Value::Number(x.abs())),
        "floor" => arg(args, 0).and_then(n).map(|x| Value::Number(x.floor())),
        "ceil" => arg(args, 0).and_then(n).map(|x| Value::Number(x.ceil())),
        _ => return None,
    })
}

/// Keeps the first of equal values. Hashing a canonical text keeps it
/// linear (a pairwise scan is quadratic on a 100,000-element list).
fn dedup(l: &mut Vec<Value>) {
    let mut seen = std::collections::HashSet::new();
    l.retain(|v| seen.insert(canonical(v)));
}

/// A text equal for equal values (numbers by value, so `1` and `1.0` meet).
fn canonical(v: &Value) -> String {
    match v {
        Value::Number(n) if *n == 0.0 => "n0".to_owned(),
        Value::Number(n) => format!("n{n:?}"),
        other => format!("{other:?}"),
    }
}

fn flatten(l: Vec<Value>, out: &mut Vec<Value>) {
    for v in l {
        match v {
            Value::List(inner) => flatten(inner, out),
            other => out.push(other),
        }
    }
}

/// `format` with the verbs real code uses: %s %d %v %q %%.
fn format(args: &[Value]) -> R {
    let spec = s(arg(args, 0)?)?;
    let mut out = String::new();
    let mut next = 1;
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(verb @ ('s' | 'd' | 'v' | 'q')) => {
                let v = arg(args, next)?;
                next += 1;
                let text = s(v)?;
                if verb == 'q' {
                    out.push_str(&format!("{text:?}"));
                } else {
                    out.push_str(&text);
                }
            }
            _ => return Err("a format verb phi-lint does not evaluate".to_owned()),
        }
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn str(x: &str) -> Value {
        Value::String(x.to_owned())
    }

    #[test]
    fn string_functions() {
        assert_eq!(call("lower", vec![str("EU-West-1")]), str("eu-west-1"));
        assert_eq!(
            call("format", vec![str("%s-%d"), str("a"), Value::Number(3.0)]),
            str("a-3")
        );
        assert_eq!(
            call(
                "join",
                vec![str("-"), Value::List(vec![str("a"), str("b")])]
            ),
            str("a-b")
        );
        assert_eq!(
            call(
                "substr",
                vec![str("eu-west-1"), Value::Number(0.0), Value::Number(2.0)]
            ),
            str("eu")
        );
        assert_eq!(
            call("replace", vec![str("a.b"), str("."), str("-")]),
            str("a-b")
        );
        // Terraform treats a huge length as "to the end": no overflow.
        assert_eq!(
            call(
                "substr",
                vec![
                    str("abc"),
                    Value::Number(1.0),
                    Value::Number(9.223372036854776e18)
                ]
            ),
            str("bc")
        );
        assert_eq!(
            call(
                "substr",
                vec![str("abc"), Value::Number(-9.3e18), Value::Number(-1.0)]
            ),
            str("abc")
        );
        assert!(
            !call("join", vec![]).is_known(),
            "no panic without arguments"
        );
    }

    #[test]
    fn collection_functions() {
        let m = |k: &str, v: &str| Value::Map([(k.to_owned(), str(v))].into());
        assert_eq!(
            call("merge", vec![m("a", "1"), m("a", "2")]),
            m("a", "2"),
            "later maps win"
        );
        assert_eq!(
            call("lookup", vec![m("a", "1"), str("b"), str("d")]),
            str("d")
        );
        assert_eq!(
            call("coalesce", vec![Value::Null, str(""), str("x")]),
            str("x")
        );
        assert_eq!(
            call(
                "element",
                vec![Value::List(vec![str("a"), str("b")]), Value::Number(3.0)]
            ),
            str("b")
        );
    }

    #[test]
    fn unknown_arguments_and_functions_are_unknown() {
        assert_eq!(
            call("lower", vec![Value::unknown("var.x (no value given)")]),
            Value::unknown("var.x (no value given)")
        );
        assert!(!call("cidrsubnet", vec![str("10.0.0.0/16")]).is_known());
        assert!(!call("lookup", vec![Value::Map(BTreeMap::new()), str("x")]).is_known());
    }
}
