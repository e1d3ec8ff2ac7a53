//! A small XML tree for the answers of AWS's Query-protocol APIs (EC2's
//! `Describe*` calls): element names, text and children, nothing else.
//!
//! DESIGN: the two EC2 reads the provider makes do not justify the EC2 SDK
//! crate, whose hundreds of operations cost minutes of every cold build. The
//! answers are small documents read once, so a tree is simpler than a
//! streaming decoder; namespaces and attributes carry nothing the provider
//! needs and are dropped.

use std::borrow::Cow;

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
#[error("malformed XML in the answer: {0}")]
pub struct XmlError(String);

/// One element: its local name, its text (concatenated, unescaped) and its
/// child elements in document order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The trimmed text of the first child named `name`, if it has any.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// The `<item>` children of the child `name`: how the Query protocol
    /// writes a list (`<routeSet><item>…</item></routeSet>`).
    pub fn items<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Element> + 'a {
        self.child(name)
            .into_iter()
            .flat_map(|list| list.children.iter().filter(|c| c.name == "item"))
    }
}

/// Parses `doc` into its root element.
pub fn parse(doc: &str) -> Result<Element, XmlError> {
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    for token in xmlparser::Tokenizer::from(doc) {
        let token = token.map_err(|e| XmlError(e.to_string()))?;
        match token {
            xmlparser::Token::ElementStart { local, .. } => {
                if root.is_some() {
                    return Err(XmlError("content after the root element".into()));
                }
                stack.push(Element {
                    name: local.as_str().to_owned(),
                    ..Element::default()
                });
            }
            xmlparser::Token::ElementEnd { end, .. } => match end {
                xmlparser::ElementEnd::Open => {}
                xmlparser::ElementEnd::Close(_, local) => {
                    let open = stack.last().map(|e| e.name.as_str());
                    if open != Some(local.as_str()) {
                        return Err(XmlError(format!(
                            "</{}> closes <{}>",
                            local.as_str(),
                            open.unwrap_or("nothing")
                        )));
                    }
                    close(&mut stack, &mut root);
                }
                xmlparser::ElementEnd::Empty => close(&mut stack, &mut root),
            },
            xmlparser::Token::Text { text } => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&unescape(text.as_str())?);
                }
            }
            xmlparser::Token::Cdata { text, .. } => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(text.as_str());
                }
            }
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError(format!("<{}> is never closed", stack[0].name)));
    }
    root.ok_or_else(|| XmlError("no root element".into()))
}

fn close(stack: &mut Vec<Element>, root: &mut Option<Element>) {
    if let Some(done) = stack.pop() {
        match stack.last_mut() {
            Some(parent) => parent.children.push(done),
            None => *root = Some(done),
        }
    }
}

/// Replaces the five predefined entities and numeric character references.
fn unescape(text: &str) -> Result<Cow<'_, str>, XmlError> {
    if !text.contains('&') {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after
            .find(';')
            .ok_or_else(|| XmlError(format!("unterminated entity in {text:?}")))?;
        let entity = &after[..end];
        let ch = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => numeric_reference(entity)
                .ok_or_else(|| XmlError(format!("unknown entity &{entity};")))?,
        };
        out.push(ch);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

fn numeric_reference(entity: &str) -> Option<char> {
    let code = match entity.strip_prefix("#x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => entity.strip_prefix('#')?.parse().ok()?,
    };
    char::from_u32(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_answer_becomes_a_tree_with_lists_of_items() {
        let doc = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeThingsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>r-1</requestId>
    <thingSet>
        <item><id>a</id><empty/></item>
        <item><id> b &amp; &#x63;&#100; </id></item>
    </thingSet>
</DescribeThingsResponse>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "DescribeThingsResponse");
        assert_eq!(root.child_text("requestId"), Some("r-1"));
        let ids: Vec<_> = root
            .items("thingSet")
            .filter_map(|i| i.child_text("id"))
            .collect();
        assert_eq!(ids, ["a", "b & cd"]);
        assert_eq!(root.items("missing").count(), 0);
        assert_eq!(
            root.child("thingSet").unwrap().children[0].child_text("empty"),
            None
        );
    }

    #[test]
    fn broken_documents_are_errors_not_panics() {
        for doc in [
            "",
            "<a>",
            "<a></b>",
            "<a>&bogus;</a>",
            "<a>&amp</a>",
            "<a/><b/>",
            "<a>&#xFFFFFFFF;</a>",
        ] {
            assert!(parse(doc).is_err(), "{doc:?} parsed");
        }
    }
}
