//! `count` and `for_each`: the instances Terraform creates from one
//! `resource` or `module` block, each with its `each.key`/`each.value` or
//! `count.index` bound, and the address suffix Terraform gives it
//! (`["notes"]`, `[0]`). When the collection itself cannot be known from the
//! source, the block is one PHI-LNT-001 finding, never a guess.

use std::collections::BTreeMap;

use crate::eval::{Scope, Value, number_text};
use crate::ir::{Attr, Block};

/// One instance of a block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlockInstance {
    /// `""` without `count`/`for_each`, else `["key"]` or `[2]`.
    pub suffix: String,
    /// `each` or `count`, bound as objects (`each.key`, `count.index`).
    pub bindings: Vec<(String, Value)>,
}

impl BlockInstance {
    /// The `each.key` of a `for_each` instance.
    pub fn key(&self) -> Option<&str> {
        match self.bindings.first() {
            Some((name, Value::Map(m))) if name == "each" => match m.get("key") {
                Some(Value::String(k)) => Some(k),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Why the instances of a block are not known: the meta-argument and what
/// it depends on (its evaluated value, `Unknown` or an unusable value).
#[derive(Debug)]
pub struct Unexpandable<'b> {
    pub attr: &'b Attr,
    pub value: Value,
}

/// The instances of `block` evaluated in `scope`, in Terraform's order
/// (keys sorted for `for_each`, indexes for `count`).
pub fn instances<'b>(
    block: &'b Block,
    scope: &Scope,
) -> Result<Vec<BlockInstance>, Unexpandable<'b>> {
    if let Some(attr) = block.attr("for_each") {
        let value = scope.eval(&attr.expr);
        return for_each(&value).ok_or(Unexpandable { attr, value });
    }
    if let Some(attr) = block.attr("count") {
        let value = scope.eval(&attr.expr);
        return count(&value).ok_or(Unexpandable { attr, value });
    }
    Ok(vec![BlockInstance::default()])
}

fn each(key: String, value: Value) -> BlockInstance {
    let suffix = format!("[{key:?}]");
    let object = BTreeMap::from([
        ("key".to_owned(), Value::String(key)),
        ("value".to_owned(), value),
    ]);
    BlockInstance {
        suffix,
        bindings: vec![("each".to_owned(), Value::Map(object))],
    }
}

/// A map (keys known even when some values are not) or a set of known
/// strings (`toset([...])`; a list is accepted the same way).
fn for_each(value: &Value) -> Option<Vec<BlockInstance>> {
    match value {
        Value::Map(m) => Some(m.iter().map(|(k, v)| each(k.clone(), v.clone())).collect()),
        Value::List(items) => {
            let mut keys: Vec<String> = items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(_) | Value::Bool(_) => v.as_string(),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            keys.sort();
            keys.dedup();
            Some(
                keys.into_iter()
                    .map(|k| each(k.clone(), Value::String(k)))
                    .collect(),
            )
        }
        _ => None,
    }
}

fn count(value: &Value) -> Option<Vec<BlockInstance>> {
    let n = value
        .as_number()
        .filter(|n| *n >= 0.0 && n.fract() == 0.0)?;
    Some(
        (0..n as u64)
            .map(|i| {
                let index = Value::Number(i as f64);
                BlockInstance {
                    suffix: format!("[{}]", number_text(i as f64)),
                    bindings: vec![(
                        "count".to_owned(),
                        Value::Map(BTreeMap::from([("index".to_owned(), index)])),
                    )],
                }
            })
            .collect(),
    )
}

/// Why an unusable `count`/`for_each` could not be expanded, for messages.
pub fn unexpandable_reason(u: &Unexpandable) -> String {
    match &u.value {
        Value::Unknown(_) => match u.value.unknown_reason() {
            Some(why) => crate::rules::reason_text(why),
            None => "an unknown value".to_owned(),
        },
        v if !v.is_known() => crate::rules::reason_text(v.unknown_reason().unwrap_or("?")),
        v => format!(
            "a {} that Terraform does not accept for `{}`",
            v.type_name(),
            u.attr.name
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(src: &str) -> Block {
        crate::source::SourceFile::new("x.tf", src.to_owned())
            .root()
            .unwrap()
            .blocks
            .remove(0)
    }

    #[test]
    fn for_each_over_a_map_binds_each_key_and_value_in_key_order() {
        let b = block("resource \"a\" \"b\" {\n  for_each = { scans = 365, notes = 10 }\n}\n");
        let got = instances(&b, &Scope::empty()).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].suffix, "[\"notes\"]");
        assert_eq!(got[0].key(), Some("notes"));
        let e = hcl_edit::parser::parse_expr("each.value").unwrap();
        assert_eq!(
            Scope::empty().eval_with(&e, &got[0].bindings),
            Value::Number(10.0)
        );
    }

    #[test]
    fn toset_and_count_expand_and_unknown_collections_do_not() {
        let b = block("resource \"a\" \"b\" {\n  for_each = toset([\"y\", \"x\", \"y\"])\n}\n");
        let got = instances(&b, &Scope::empty()).unwrap();
        assert_eq!(
            got.iter().map(|i| i.suffix.as_str()).collect::<Vec<_>>(),
            ["[\"x\"]", "[\"y\"]"]
        );
        let b = block("resource \"a\" \"b\" {\n  count = 2\n}\n");
        let got = instances(&b, &Scope::empty()).unwrap();
        assert_eq!(got[1].suffix, "[1]");
        let e = hcl_edit::parser::parse_expr("count.index * 10").unwrap();
        assert_eq!(
            Scope::empty().eval_with(&e, &got[1].bindings),
            Value::Number(10.0)
        );
        let b = block("resource \"a\" \"b\" {\n  for_each = data.x.y.ids\n}\n");
        assert!(instances(&b, &Scope::empty()).is_err());
    }
}
