//! Type constraints of `variable` blocks, as far as they change a value:
//! `optional(type, default)` attributes of `object(...)` types are filled in
//! when absent or null, at any depth (inside `map(...)`, `list(...)`,
//! `set(...)`, `tuple([...])` and nested objects), as Terraform fills them in
//! before the module sees the value. An optional attribute without a default
//! becomes null. Other conversions are left to the checks, which already
//! read numbers and bools from strings.

use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, ObjectKey};

use super::{Scope, Value};

/// `value` with the defaults of `ty` applied.
pub fn apply_defaults(value: Value, ty: &Expression) -> Value {
    match (value, ty) {
        (Value::Unknown(why), _) => Value::Unknown(why),
        (value, Expression::Parenthesis(p)) => apply_defaults(value, p.inner()),
        (value, Expression::FuncCall(f)) => {
            let args: Vec<&Expression> = f.args.iter().collect();
            match (f.name.name.as_str(), value, args.as_slice()) {
                ("object", Value::Map(m), [Expression::Object(attrs)]) => object(m, attrs),
                ("map", Value::Map(m), [element]) => Value::Map(
                    m.into_iter()
                        .map(|(k, v)| (k, apply_defaults(v, element)))
                        .collect(),
                ),
                ("list" | "set", Value::List(items), [element]) => Value::List(
                    items
                        .into_iter()
                        .map(|v| apply_defaults(v, element))
                        .collect(),
                ),
                ("tuple", Value::List(items), [Expression::Array(types)]) => Value::List(
                    items
                        .into_iter()
                        .zip(types.iter().map(Some).chain(std::iter::repeat(None)))
                        .map(|(v, t)| match t {
                            Some(t) => apply_defaults(v, t),
                            None => v,
                        })
                        .collect(),
                ),
                (_, value, _) => value,
            }
        }
        (value, _) => value,
    }
}

fn object(mut given: BTreeMap<String, Value>, attrs: &hcl_edit::expr::Object) -> Value {
    for (key, attr_ty) in attrs.iter() {
        let name = match key {
            ObjectKey::Ident(i) => i.as_str().to_owned(),
            ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
            ObjectKey::Expression(_) => continue,
        };
        let attr_ty = attr_ty.expr();
        let current = given.remove(&name).unwrap_or(Value::Null);
        let filled = match optional(attr_ty) {
            Some((inner, default)) => {
                let value = match (current, default) {
                    (Value::Null, Some(d)) => Scope::empty().eval(d),
                    (v, _) => v,
                };
                match value {
                    Value::Null => Value::Null,
                    v => apply_defaults(v, inner),
                }
            }
            None => match current {
                Value::Null => Value::Null,
                v => apply_defaults(v, attr_ty),
            },
        };
        given.insert(name, filled);
    }
    Value::Map(given)
}

/// The inner type and default of `optional(type[, default])`.
fn optional(ty: &Expression) -> Option<(&Expression, Option<&Expression>)> {
    match ty {
        Expression::FuncCall(f) if f.name.name.as_str() == "optional" => {
            let mut args = f.args.iter();
            let inner = args.next()?;
            Some((inner, args.next()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_defaults(value: &str, ty: &str) -> String {
        let v = Scope::empty().eval(&hcl_edit::parser::parse_expr(value).unwrap());
        apply_defaults(v, &hcl_edit::parser::parse_expr(ty).unwrap()).to_string()
    }

    #[test]
    fn optional_attributes_get_their_defaults_at_any_depth() {
        assert_eq!(
            with_defaults(
                "{}",
                "object({ publicly_accessible = optional(bool, false), name = optional(string) })"
            ),
            "{name = null, publicly_accessible = false}"
        );
        assert_eq!(
            with_defaults(
                "{ a = { x = 1 } }",
                "map(object({ x = number, y = optional(object({ z = optional(number, 7) }), {}) }))"
            ),
            "{a = {x = 1, y = {z = 7}}}"
        );
        assert_eq!(
            with_defaults(
                "[{ days = null }]",
                "list(object({ days = optional(number, 365) }))"
            ),
            "[{days = 365}]"
        );
    }

    #[test]
    fn a_given_value_wins_over_the_default() {
        assert_eq!(
            with_defaults(
                "{ publicly_accessible = true }",
                "object({ publicly_accessible = optional(bool, false) })"
            ),
            "{publicly_accessible = true}"
        );
    }
}
