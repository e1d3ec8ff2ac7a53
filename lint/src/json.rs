//! Terraform's JSON syntax (`.tf.json`, `.tfvars.json`) into the same
//! [`Block`] model as native files.
//!
//! Strings are templates in Terraform JSON (`"${var.region}"`), so each
//! string is parsed as an HCL template. `serde_json` keeps no positions; a
//! key's position is found by searching its quoted name after its parent's,
//! which is exact for the usual one-key-per-line layout.

use hcl_edit::expr::{Array, Expression, Object, ObjectKey, ObjectValue};
use serde_json::Value;

use crate::finding::Finding;
use crate::ir::{Attr, Block};
use crate::source::SourceFile;
use phi_policy::ids;

/// Labels per block type in JSON syntax.
fn label_depth(block_type: &str) -> usize {
    match block_type {
        "resource" | "data" => 2,
        "provider" | "variable" | "output" | "module" | "check" => 1,
        _ => 0,
    }
}

struct Locator<'a> {
    file: &'a SourceFile,
    /// Every string literal of the file (raw, between its quotes) and the
    /// offsets of its opening quote, ascending: finding a key is a lookup
    /// and a binary search, not a scan of the text (a scan per key made a
    /// 1 MB file with 30,000 keys take minutes).
    strings: std::collections::HashMap<&'a str, Vec<usize>>,
}

impl<'a> Locator<'a> {
    fn new(file: &'a SourceFile) -> Self {
        let text = file.text.as_str();
        let bytes = text.as_bytes();
        let mut strings: std::collections::HashMap<&str, Vec<usize>> =
            std::collections::HashMap::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] != b'"' {
                i += 1;
                continue;
            }
            let start = i;
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            if let Some(raw) = text.get(start + 1..i.min(bytes.len())) {
                strings.entry(raw).or_default().push(start);
            }
            i += 1;
        }
        Locator { file, strings }
    }

    /// Byte offset of `"key"` at or after `from` (or `from` itself).
    fn find(&self, key: &str, from: usize) -> usize {
        self.strings
            .get(key)
            .and_then(|offsets| offsets.get(offsets.partition_point(|o| *o < from)))
            .copied()
            .unwrap_or(from)
    }
}

pub fn root(file: &SourceFile) -> Result<Block, Finding> {
    let root: Value = serde_json::from_str(&file.text).map_err(|e| {
        Finding::new(
            ids::LINT_PARSE_ERROR,
            &file.path,
            (e.line().max(1), e.column().max(1)),
            format!("JSON syntax error: {e}"),
        )
    })?;
    let Value::Object(top) = root else {
        return Err(Finding::new(
            ids::LINT_PARSE_ERROR,
            &file.path,
            (1, 1),
            "a Terraform JSON file must be an object",
        ));
    };
    let loc = Locator::new(file);
    let value = Value::Object(top);
    if file.path.ends_with(".tfvars.json") {
        // A variables file: every key is a value.
        return Ok(body(&loc, "", Vec::new(), &value, 0));
    }
    let mut root = body(&loc, "", Vec::new(), &Value::Null, 0);
    let Value::Object(top) = value else {
        unreachable!("checked above")
    };
    for (block_type, value) in &top {
        if block_type == "//" {
            continue;
        }
        let at = loc.find(block_type, 0);
        labelled(
            &loc,
            block_type,
            value,
            Vec::new(),
            label_depth(block_type),
            at,
            &mut root.blocks,
        );
    }
    Ok(root)
}

fn labelled(
    loc: &Locator,
    block_type: &str,
    value: &Value,
    labels: Vec<String>,
    depth: usize,
    offset: usize,
    out: &mut Vec<Block>,
) {
    if labels.len() == depth {
        // A block body, or an array of bodies (several blocks of one kind).
        match value {
            Value::Array(items) => {
                for item in items {
                    out.push(body(loc, block_type, labels.clone(), item, offset));
                }
            }
            other => out.push(body(loc, block_type, labels, other, offset)),
        }
        return;
    }
    // Terraform accepts an array of objects at every label level, not only
    // around the body: `"resource": [{"aws_s3_bucket": [{"b": {...}}]}]`.
    if let Value::Array(items) = value {
        for item in items {
            labelled(loc, block_type, item, labels.clone(), depth, offset, out);
        }
        return;
    }
    if let Value::Object(map) = value {
        for (label, inner) in map {
            let at = loc.find(label, offset);
            let mut l = labels.clone();
            l.push(label.clone());
            labelled(loc, block_type, inner, l, depth, at, out);
        }
    }
}

fn body(
    loc: &Locator,
    block_type: &str,
    labels: Vec<String>,
    value: &Value,
    offset: usize,
) -> Block {
    let at = loc.file.position(offset);
    let mut attrs = Vec::new();
    if let Value::Object(map) = value {
        for (name, v) in map {
            if name == "//" {
                continue;
            }
            let attr_offset = loc.find(name, offset);
            attrs.push(Attr {
                name: name.clone(),
                expr: expression(v),
                at: loc.file.position(attr_offset),
                text: crate::ir::SourceText::Owned(v.to_string()),
            });
        }
    }
    Block {
        ident: block_type.to_owned(),
        labels,
        attrs,
        blocks: Vec::new(),
        at,
        lines: (at.0, at.0),
    }
}

/// A JSON value as the expression Terraform reads it.
pub fn expression(v: &Value) -> Expression {
    match v {
        Value::Null => Expression::null(),
        Value::Bool(b) => Expression::from(*b),
        Value::Number(n) => n
            .as_i64()
            .map(|i| Expression::from(hcl_edit::Number::from(i)))
            .or_else(|| {
                n.as_f64()
                    .and_then(hcl_edit::Number::from_f64)
                    .map(Expression::from)
            })
            .unwrap_or_else(Expression::null),
        Value::String(s) => template(s),
        Value::Array(items) => Expression::Array(items.iter().map(expression).collect::<Array>()),
        Value::Object(map) => {
            let mut obj = Object::new();
            for (k, v) in map {
                obj.insert(
                    ObjectKey::Expression(Expression::from(k.as_str())),
                    ObjectValue::new(expression(v)),
                );
            }
            Expression::Object(obj)
        }
    }
}

/// A JSON string: a literal unless it holds `${` or `%{`, then a template.
fn template(s: &str) -> Expression {
    if !s.contains("${") && !s.contains("%{") {
        return Expression::from(s);
    }
    if crate::source::too_deep(s) {
        // Not parsed (see `source::MAX_NESTING`); a name nothing binds
        // evaluates to unknown, so the value is "could not verify".
        return Expression::Variable(
            hcl_edit::Ident::new("evaluation_budget_exceeded_template_nested_too_deeply").into(),
        );
    }
    let mut quoted = String::with_capacity(s.len() + 2);
    quoted.push('"');
    for c in s.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    hcl_edit::parser::parse_expr(&quoted).unwrap_or_else(|_| Expression::from(s))
}
