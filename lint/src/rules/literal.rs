//! What a value is, as far as the source alone can tell. Anything that is not
//! a literal (a variable, a reference, a function call, a template with
//! interpolation) is `Unknown`: the rules report it as "could not verify".

use std::collections::BTreeMap;

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};

#[derive(Debug, Clone, PartialEq)]
pub enum Known {
    String(String),
    Number(i64),
    Bool(bool),
    StringMap(BTreeMap<String, String>),
    Null,
    /// Not decidable from the source; carries the expression's text.
    Unknown(String),
}

pub fn read(expr: &Expression, text: &str) -> Known {
    match expr {
        Expression::String(s) => Known::String(s.value().to_string()),
        Expression::Number(n) => n
            .value()
            .as_i64()
            .map_or_else(|| Known::Unknown(snippet(expr, text)), Known::Number),
        Expression::Bool(b) => Known::Bool(*b.value()),
        Expression::Null(_) => Known::Null,
        Expression::Object(obj) => {
            let mut map = BTreeMap::new();
            for (key, value) in obj.iter() {
                let k = match key {
                    ObjectKey::Ident(i) => i.as_str().to_owned(),
                    ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                    ObjectKey::Expression(_) => return Known::Unknown(snippet(expr, text)),
                };
                match value.expr() {
                    Expression::String(s) => {
                        map.insert(k, s.value().to_string());
                    }
                    _ => return Known::Unknown(snippet(expr, text)),
                }
            }
            Known::StringMap(map)
        }
        _ => Known::Unknown(snippet(expr, text)),
    }
}

/// The expression's source text, shortened for messages.
fn snippet(expr: &Expression, text: &str) -> String {
    let raw = expr
        .span()
        .and_then(|s| text.get(s))
        .unwrap_or("this expression")
        .trim();
    let one_line: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 60 {
        format!("{}…", one_line.chars().take(60).collect::<String>())
    } else {
        one_line
    }
}
