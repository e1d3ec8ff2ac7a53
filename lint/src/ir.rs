//! One model of a Terraform file for every syntax: native `.tf` and
//! `.tf.json` both become [`Block`]s whose attributes are `hcl-edit`
//! expressions, each with a located position. Rules and the evaluator never
//! see which syntax a block came from.

use std::collections::HashMap;
use std::ops::Range;

use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Body, Structure};

/// 1-based line and column.
pub type Pos = (usize, usize);

#[derive(Debug, Clone)]
pub struct Attr {
    pub name: String,
    pub expr: Expression,
    pub at: Pos,
    /// Where the expression's source text is, for messages; computed only
    /// when a message needs it.
    pub text: SourceText,
}

#[derive(Debug, Clone)]
pub enum SourceText {
    /// A byte range of the file's text.
    Span(Option<Range<usize>>),
    /// Text already known (JSON values).
    Owned(String),
}

impl Attr {
    /// The expression's source text, on one line, shortened.
    pub fn source_text(&self, file_text: &str) -> String {
        match &self.text {
            SourceText::Span(span) => snippet(span.clone(), file_text),
            SourceText::Owned(s) => shorten(s),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Block {
    pub ident: String,
    pub labels: Vec<String>,
    pub attrs: Vec<Attr>,
    pub blocks: Vec<Block>,
    pub at: Pos,
    /// First and last line, for block-wide suppressions.
    pub lines: (usize, usize),
}

impl Block {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }
    pub fn label(&self, i: usize) -> Option<&str> {
        self.labels.get(i).map(String::as_str)
    }
    pub fn blocks_named<'a>(&'a self, ident: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| b.ident == ident)
    }
}

/// Converts a parsed native body into a root block (no ident, no labels):
/// its blocks are the file's blocks, its attributes a `.tfvars` file's
/// values. `position` maps byte offsets of the original text; `renamed` maps
/// object keys the loader renamed to get past a parser limitation back to
/// their real names (see `source::parse`).
pub fn from_body(
    body: Body,
    text: &str,
    position: &dyn Fn(usize) -> Pos,
    renamed: &HashMap<String, String>,
) -> Block {
    let wrapper = hcl_edit::structure::Block::builder(hcl_edit::Ident::new("root")).build();
    let mut root = block(wrapper, position, renamed);
    root.ident.clear();
    for s in body {
        match s {
            Structure::Attribute(a) => root.attrs.push(attr(a, position, renamed)),
            Structure::Block(b) => root.blocks.push(block(b, position, renamed)),
        }
    }
    root.at = (1, 1);
    root.lines = (1, position(text.len()).0);
    root
}

fn attr(
    a: hcl_edit::structure::Attribute,
    position: &dyn Fn(usize) -> Pos,
    renamed: &HashMap<String, String>,
) -> Attr {
    let span = a.value.span();
    let name = a.key.as_str().to_owned();
    let mut expr = a.value;
    if !renamed.is_empty() {
        restore_keys(&mut expr, renamed);
    }
    Attr {
        name,
        at: position(span.as_ref().map_or(0, |s| s.start)),
        text: SourceText::Span(span),
        expr,
    }
}

fn block(
    b: hcl_edit::structure::Block,
    position: &dyn Fn(usize) -> Pos,
    renamed: &HashMap<String, String>,
) -> Block {
    let span = b.span().unwrap_or(0..0);
    let at = position(b.ident.span().map_or(span.start, |s| s.start));
    let lines = (
        position(span.start).0,
        position(span.end.saturating_sub(1).max(span.start)).0,
    );
    let labels = b
        .labels
        .iter()
        .map(|l| match l {
            hcl_edit::structure::BlockLabel::Ident(i) => i.as_str().to_owned(),
            hcl_edit::structure::BlockLabel::String(s) => s.value().to_string(),
        })
        .collect();
    let ident = b.ident.as_str().to_owned();
    let mut attrs = Vec::new();
    let mut blocks = Vec::new();
    for s in b.body {
        match s {
            Structure::Attribute(a) => attrs.push(attr(a, position, renamed)),
            Structure::Block(inner) => blocks.push(block(inner, position, renamed)),
        }
    }
    Block {
        ident,
        labels,
        attrs,
        blocks,
        at,
        lines,
    }
}

/// Puts the real names back on object keys the loader renamed.
fn restore_keys(expr: &mut Expression, renamed: &HashMap<String, String>) {
    use hcl_edit::expr::ObjectKey;
    match expr {
        Expression::Object(obj) => {
            let entries: Vec<_> = std::mem::take(obj).into_iter().collect();
            for (key, mut value) in entries {
                restore_keys(value.expr_mut(), renamed);
                let key = match key {
                    ObjectKey::Ident(i) => match renamed.get(i.as_str()) {
                        Some(real) => ObjectKey::Ident(hcl_edit::Ident::new(real.as_str()).into()),
                        None => ObjectKey::Ident(i),
                    },
                    ObjectKey::Expression(Expression::String(s)) => {
                        match renamed.get(s.value().as_str()) {
                            Some(real) => ObjectKey::Expression(Expression::from(real.as_str())),
                            None => ObjectKey::Expression(Expression::String(s)),
                        }
                    }
                    other => other,
                };
                // Terraform keeps the last of duplicate keys.
                obj.insert(key, value);
            }
        }
        Expression::Array(a) => a.iter_mut().for_each(|e| restore_keys(e, renamed)),
        Expression::Parenthesis(p) => restore_keys(p.inner_mut(), renamed),
        Expression::Conditional(c) => {
            restore_keys(&mut c.true_expr, renamed);
            restore_keys(&mut c.false_expr, renamed);
        }
        Expression::FuncCall(f) => f.args.iter_mut().for_each(|e| restore_keys(e, renamed)),
        _ => {}
    }
}

/// The source text of a span on one line, shortened for messages.
pub fn snippet(span: Option<Range<usize>>, text: &str) -> String {
    shorten(span.and_then(|s| text.get(s)).unwrap_or("this expression"))
}

/// One line, at most 60 characters.
pub fn shorten(raw: &str) -> String {
    let raw = raw.trim();
    let one_line: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 60 {
        format!("{}…", one_line.chars().take(60).collect::<String>())
    } else {
        one_line
    }
}
