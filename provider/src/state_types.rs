//! Checking stored state against the schema before it is used.
//!
//! DESIGN: UpgradeResourceState is where Terraform hands the provider raw
//! state JSON from disk (possibly edited by hand or written by a broken
//! tool). A wrong-typed value passed through would be read as "absent" by
//! the resources (`as_str()` of a number is `None`) and silently planned
//! away; refusing it with the attribute's name keeps the state as it is and
//! tells the user what to fix.

use crate::schema::{AttrType, Schema};
use crate::value::Value;

/// Every attribute of `state` whose value does not have its schema type,
/// as "`name`: expected X, found Y". Null is allowed everywhere (an unset
/// optional or computed value); attributes the schema does not know are
/// left to `resources::conform`, which drops them.
pub fn mismatches(schema: &Schema, state: &Value) -> Vec<String> {
    let Value::Map(entries) = state else {
        return vec![format!(
            "the stored state is {}, not an object",
            kind(state)
        )];
    };
    let mut out = Vec::new();
    for a in &schema.attributes {
        let Some(v) = entries.get(a.name) else {
            continue;
        };
        if !fits(a.ty, v) {
            out.push(format!(
                "`{}`: expected {}, found {}",
                a.name,
                expected(a.ty),
                kind(v)
            ));
        }
    }
    out
}

fn fits(ty: AttrType, v: &Value) -> bool {
    match (ty, v) {
        (_, Value::Null) => true,
        (AttrType::String, Value::String(_)) => true,
        (AttrType::Number, Value::Number(n)) => n.is_finite(),
        (AttrType::Bool, Value::Bool(_)) => true,
        (AttrType::MapOfString, Value::Map(m)) => m.values().all(|v| matches!(v, Value::String(_))),
        (AttrType::SetOfString, Value::List(items)) => {
            items.iter().all(|v| matches!(v, Value::String(_)))
        }
        (AttrType::TimeoutsBlock(ops), Value::Map(m)) => m
            .iter()
            .all(|(k, v)| ops.contains(&k.as_str()) && matches!(v, Value::String(_) | Value::Null)),
        _ => false,
    }
}

fn expected(ty: AttrType) -> &'static str {
    match ty {
        AttrType::String => "a string",
        AttrType::Number => "a number",
        AttrType::Bool => "true or false",
        AttrType::MapOfString => "a map of strings",
        AttrType::SetOfString => "a set of strings",
        AttrType::TimeoutsBlock(_) => "a timeouts block of duration strings",
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown => "an unknown value",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::List(_) => "a list",
        Value::Map(_) => "an object or map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, Mode};

    fn schema() -> Schema {
        Schema {
            version: 0,
            description: "",
            attributes: vec![
                Attribute::new("name", AttrType::String, Mode::Required, ""),
                Attribute::new("days", AttrType::Number, Mode::Optional, ""),
                Attribute::new("tags", AttrType::MapOfString, Mode::Optional, ""),
            ],
        }
    }

    #[test]
    fn wrong_types_are_named_and_null_is_fine() {
        let ok =
            crate::value::decode_json(br#"{"name":"a","days":null,"tags":{"k":"v"}}"#).unwrap();
        assert!(mismatches(&schema(), &ok).is_empty());
        let bad = crate::value::decode_json(br#"{"name":7,"days":"x","tags":{"k":1}}"#).unwrap();
        assert_eq!(
            mismatches(&schema(), &bad),
            [
                "`name`: expected a string, found a number",
                "`days`: expected a number, found a string",
                "`tags`: expected a map of strings, found an object or map",
            ]
        );
        let list = crate::value::decode_json(b"[1]").unwrap();
        assert_eq!(mismatches(&schema(), &list).len(), 1);
    }
}
