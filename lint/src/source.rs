//! A Terraform file's text, its parse, and byte-offset to line:column.
//!
//! `hcl-edit` rejects two things Terraform accepts (LINTERS.md §3): a
//! duplicate key in an object constructor (Terraform keeps the last) and a
//! conditional broken over lines inside an object `for`. Rather than skip such
//! files, [`SourceFile::parse`] retries on a patched copy of the text whose
//! edits keep every byte offset, so positions still point into the original:
//! a duplicate key is renamed to a placeholder of the same length (and named
//! back after parsing, last one winning), and the newline before a `?` or `:`
//! continuation becomes a space.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use crate::finding::Finding;
use crate::ir::{self, Block, Pos};
use phi_policy::ids;

/// How many patches one file may need before its parse error is reported.
const MAX_PATCHES: usize = 64;

/// Brackets nested deeper than this are not handed to the parser (which,
/// like every recursive-descent parser, recurses once per level) nor to the
/// evaluator. Real Terraform nests a few levels; 10,000 `[` in a 10 KB file
/// would otherwise exhaust the stack.
pub const MAX_NESTING: usize = 200;

/// Whether `text` opens more than [`MAX_NESTING`] brackets without closing
/// them. Counts every `(`, `[`, `{`, even in strings: cheap, and an
/// over-estimate only refuses what no real file holds.
pub fn too_deep(text: &str) -> bool {
    let mut depth = 0usize;
    for b in text.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return true;
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[derive(Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
    line_starts: Vec<usize>,
    /// Characters before every CHAR_MARK-th byte (at char boundaries), so
    /// a column on a very long line (minified JSON) costs a short count, not
    /// a count from the line's start for every key.
    char_marks: Vec<(usize, usize)>,
}

/// Bytes between two entries of `char_marks`.
const CHAR_MARK: usize = 4096;

/// `char_marks` of a text: (byte offset, characters before it).
fn char_marks(text: &str) -> Vec<(usize, usize)> {
    let mut marks = vec![(0, 0)];
    let (mut at, mut chars) = (0, 0);
    while at + CHAR_MARK < text.len() {
        let mut next = at + CHAR_MARK;
        while !text.is_char_boundary(next) {
            next += 1;
        }
        chars += text[at..next].chars().count();
        at = next;
        marks.push((at, chars));
    }
    marks
}

impl SourceFile {
    pub fn new(path: &str, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            path: path.to_owned(),
            char_marks: char_marks(&text),
            text,
            line_starts,
        }
    }

    pub fn load(path: &Path) -> Result<Self, Finding> {
        let name = path.display().to_string();
        match crate::input::read_regular(path) {
            // Terraform skips a UTF-8 byte-order mark at the start of a file.
            Ok(bytes) => Ok(SourceFile::new(
                &name,
                String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes))
                    .into_owned(),
            )),
            Err(e) => Err(Finding::new(
                ids::LINT_PARSE_ERROR,
                &name,
                (1, 1),
                format!("cannot read the file: {e}"),
            )),
        }
    }

    /// Parses the file into a root block: native syntax, or JSON for
    /// `.tf.json` and `.tfvars.json`.
    pub fn root(&self) -> Result<Block, Finding> {
        if self.path.ends_with(".json") {
            return crate::json::root(self);
        }
        let (body, renamed) = self.parse()?;
        let position = |offset: usize| self.position(offset);
        Ok(ir::from_body(body, &self.text, &position, &renamed))
    }

    /// Parses native syntax, working around the parser gaps described in the
    /// module docs. Returns the body and the placeholder-to-real key names.
    pub fn parse(&self) -> Result<(hcl_edit::structure::Body, HashMap<String, String>), Finding> {
        if too_deep(&self.text) {
            return Err(Finding::new(
                ids::LINT_UNVERIFIABLE,
                &self.path,
                (1, 1),
                format!(
                    "could not verify this file: {}: brackets nested more than {MAX_NESTING} \
                     levels deep; it was not parsed",
                    crate::budget::EXCEEDED
                ),
            ));
        }
        let mut patched: Option<String> = None;
        let mut renamed = HashMap::new();
        let mut first_error = None;
        for _ in 0..=MAX_PATCHES {
            let text = patched.as_deref().unwrap_or(&self.text);
            let err = match hcl_edit::parser::parse_body(text) {
                Ok(body) => {
                    if let Some(offset) = malformed_number(&body) {
                        return Err(Finding::new(
                            ids::LINT_PARSE_ERROR,
                            &self.path,
                            self.position(offset),
                            "syntax error: a number literal cannot be followed by `.` and more \
                             digits (`10.20.0.0`); Terraform rejects it. Quote it if it is a \
                             string, e.g. an address block \"10.20.0.0/16\"",
                        ));
                    }
                    return Ok((body, renamed));
                }
                Err(e) => e,
            };
            let offset = offset_in(text, err.location().line(), err.location().column());
            let error = first_error.get_or_insert_with(|| {
                Finding::new(
                    ids::LINT_PARSE_ERROR,
                    &self.path,
                    self.position(offset),
                    format!("syntax error: {}", err.message()),
                )
            });
            let fixed = if err.message().contains("redefined object key") {
                rename_key(text, offset, &mut renamed)
            } else {
                join_continuation(text, offset)
            };
            match fixed {
                Some(t) => patched = Some(t),
                None => return Err(error.clone()),
            }
        }
        Err(first_error.expect("the loop ran at least once"))
    }

    /// 1-based line and column of a byte offset.
    pub fn position(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|s| *s <= offset);
        let start = self.line_starts[line - 1];
        if !self.text.is_char_boundary(offset) {
            let column = self
                .text
                .get(start..offset)
                .map_or(1, |s| s.chars().count() + 1);
            return (line, column);
        }
        (
            line,
            self.chars_before(offset) - self.chars_before(start) + 1,
        )
    }

    /// Characters before a byte offset (a char boundary), from the nearest
    /// mark.
    fn chars_before(&self, offset: usize) -> usize {
        let i = self.char_marks.partition_point(|(at, _)| *at <= offset) - 1;
        let (at, chars) = self.char_marks[i];
        chars + self.text[at..offset].chars().count()
    }

    pub fn span_position(&self, span: Option<Range<usize>>) -> Pos {
        self.position(span.map_or(0, |s| s.start))
    }

    /// The text of a 1-based line, for snippets.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |e| e - 1);
        self.text[start..end.max(start)].trim_end_matches('\r')
    }
}

/// Where a number literal is followed by a legacy index (`10.20.0.0` parses
/// in hcl-edit as `10.20` then `.0` `.0`): Terraform's scanner rejects it,
/// so phi-lint must too (a CIDR written without quotes).
fn malformed_number(body: &hcl_edit::structure::Body) -> Option<usize> {
    use hcl_edit::expr::{Expression, Traversal, TraversalOperator};
    use hcl_edit::visit::{Visit, visit_traversal};
    struct Finder(Option<usize>);
    impl Visit for Finder {
        fn visit_traversal(&mut self, t: &Traversal) {
            if self.0.is_none()
                && let Expression::Number(n) = &t.expr
                && matches!(
                    t.operators.first().map(|o| o.value()),
                    Some(TraversalOperator::LegacyIndex(_))
                )
            {
                use hcl_edit::Span;
                self.0 = Some(n.span().map_or(0, |s| s.start));
            }
            visit_traversal(self, t);
        }
    }
    let mut finder = Finder(None);
    finder.visit_body(body);
    finder.0
}

/// Byte offset of a 1-based line and column (in characters) in `text`.
fn offset_in(text: &str, line: usize, column: usize) -> usize {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    text[start..]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len(), |(i, _)| start + i)
}

/// Renames the object key starting at `offset` to an unused placeholder of
/// the same byte length; records placeholder -> real name.
fn rename_key(text: &str, offset: usize, renamed: &mut HashMap<String, String>) -> Option<String> {
    let rest = text.get(offset..)?;
    let (quoted, key) = if let Some(inner) = rest.strip_prefix('"') {
        (true, &inner[..inner.find('"')?])
    } else {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        (false, &rest[..end])
    };
    if key.is_empty() || !key.is_ascii() {
        return None;
    }
    let real = renamed.get(key).cloned().unwrap_or_else(|| key.to_owned());
    let placeholder = (0..10_000u32).find_map(|n| {
        let tag = format!("Z{n}");
        let candidate = if key.len() > tag.len() {
            format!("{}{tag}", "Z".repeat(key.len() - tag.len()))
        } else if key.len() == tag.len() {
            tag
        } else {
            let c = char::from(b'A' + (n % 26) as u8)
                .to_string()
                .repeat(key.len());
            if n >= 26 {
                return None;
            }
            c
        };
        (!text.contains(&candidate) && !renamed.contains_key(&candidate)).then_some(candidate)
    })?;
    let start = offset + usize::from(quoted);
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start]);
    out.push_str(&placeholder);
    out.push_str(&text[start + key.len()..]);
    renamed.insert(placeholder, real);
    Some(out)
}

/// Joins a conditional broken over lines: when the error sits at the start
/// of a line that begins with `?` or `:`, or at the end of a line followed by
/// one, or after a line ending in `?`, `:` or `=>`, the newline between the
/// two lines becomes a space (same byte length, so offsets are unchanged).
fn join_continuation(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let is_continuation = |line: &str| {
        let t = line.trim_start();
        t.starts_with('?') || (t.starts_with(':') && !t.starts_with("::"))
    };
    let ends_open = |line: &str| {
        let t = line.trim_end();
        t.ends_with('?') || t.ends_with("=>") || (t.ends_with(':') && !t.ends_with("::"))
    };
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map(|i| offset + i);
    let this_line = &text[line_start..line_end.unwrap_or(text.len())];
    let newline = if line_start > 0
        && text[line_start..offset].trim().is_empty()
        && (is_continuation(this_line) || ends_open(&text[..line_start - 1]))
    {
        // The error is at the start of this line: join it to the previous.
        line_start - 1
    } else {
        let end = line_end?;
        let next_end = text[end + 1..]
            .find('\n')
            .map_or(text.len(), |i| end + 1 + i);
        let at_end = text[offset..end].trim().is_empty();
        if at_end && (is_continuation(&text[end + 1..next_end]) || ends_open(this_line)) {
            end
        } else {
            return None;
        }
    };
    if !inside_object_for(text, newline) {
        return None;
    }
    let mut bytes = text.as_bytes().to_vec();
    bytes[newline] = b' ';
    if newline > 0 && bytes[newline - 1] == b'\r' {
        bytes[newline - 1] = b' ';
    }
    String::from_utf8(bytes).ok()
}

/// Whether `offset` is directly inside an object `for` expression
/// (`{ for …`), the only place Terraform accepts the broken conditional and
/// hcl-edit does not: elsewhere the newline ends the attribute for Terraform
/// too, and the file must stay rejected.
fn inside_object_for(text: &str, offset: usize) -> bool {
    let mut depth = 0usize;
    for (i, c) in text[..offset].char_indices().rev() {
        match c {
            ')' | ']' | '}' => depth += 1,
            '(' | '[' if depth == 0 => return false,
            '{' if depth == 0 => return text[i + 1..].trim_start().starts_with("for "),
            '(' | '[' | '{' => depth -= 1,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_character_columns() {
        let f = SourceFile::new("x.tf", "a = 1\nbé = \"x\"\n".to_owned());
        assert_eq!(f.position(0), (1, 1));
        assert_eq!(f.position(6), (2, 1));
        assert_eq!(f.position(11), (2, 5));
        assert_eq!(f.line_text(2), "bé = \"x\"");
        // Across marks on one long line, with multi-byte characters.
        let long = format!("{}x", "é".repeat(5000));
        let f = SourceFile::new("x.tf", long.clone());
        assert_eq!(f.position(long.len() - 1), (1, 5001));
        assert_eq!(f.position(2 * 2500), (1, 2501));
    }

    #[test]
    fn duplicate_object_keys_parse_and_the_last_one_wins() {
        let text = "locals {\n  x = {\n    min_size = 1\n    min_size = 2\n  }\n}\n";
        let f = SourceFile::new("x.tf", text.to_owned());
        let root = f.root().expect("parses");
        let attr = &root.blocks[0].attrs[0];
        let v = crate::eval::Scope::empty().eval(&attr.expr);
        assert_eq!(v.to_string(), "{min_size = 2}");
    }

    #[test]
    fn a_multi_line_conditional_inside_an_object_for_parses() {
        let text = "locals {\n  x = { for k, v in var.users : k =>\n    local.is_mysql\n    ? { a = 1 }\n    : { b = 2 }\n  }\n  y = 1\n}\n";
        let f = SourceFile::new("x.tf", text.to_owned());
        let root = f.root().expect("parses");
        assert_eq!(root.blocks[0].attrs[1].name, "y");
        assert_eq!(
            root.blocks[0].attrs[1].at,
            (7, 7),
            "positions follow the original text"
        );
    }

    #[test]
    fn a_conditional_broken_over_lines_elsewhere_stays_an_error_as_in_terraform() {
        let f = SourceFile::new(
            "x.tf",
            "locals {\n  a = true\n    ? 1\n    : 2\n}\n".to_owned(),
        );
        assert_eq!(f.root().unwrap_err().control, ids::LINT_PARSE_ERROR);
    }

    #[test]
    fn an_unquoted_cidr_is_a_syntax_error_as_in_terraform() {
        let f = SourceFile::new(
            "x.tf",
            "resource \"a\" \"b\" {\n  cidr_blocks = [10.20.0.0/16]\n}\n".to_owned(),
        );
        let err = f.root().unwrap_err();
        assert_eq!(err.control, ids::LINT_PARSE_ERROR);
        assert_eq!((err.line, err.column), (2, 18));
        let ok = SourceFile::new("x.tf", "x = [1.5, 2]\ny = [1, 2][0]\n".to_owned());
        assert!(ok.root().is_ok());
    }

    #[test]
    fn real_syntax_errors_are_still_located() {
        let f = SourceFile::new("x.tf", "resource \"a\" \"b\" {\n  x = \n}\n".to_owned());
        let err = f.root().unwrap_err();
        assert_eq!(err.control, ids::LINT_PARSE_ERROR);
        assert_eq!((err.line, err.column), (2, 7));
    }
}
