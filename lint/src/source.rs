//! A Terraform file's text, its parse, and byte-offset to line:column.

use std::ops::Range;
use std::path::Path;

use hcl_edit::structure::Body;

use crate::finding::Finding;
use phi_policy::ids;

pub struct SourceFile {
    pub path: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: &str, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            path: path.to_owned(),
            text,
            line_starts,
        }
    }

    pub fn load(path: &Path) -> Result<Self, Finding> {
        let name = path.display().to_string();
        match std::fs::read(path) {
            Ok(bytes) => Ok(SourceFile::new(
                &name,
                String::from_utf8_lossy(&bytes).into_owned(),
            )),
            Err(e) => Err(Finding::new(
                ids::LINT_PARSE_ERROR,
                &name,
                (1, 1),
                format!("cannot read the file: {e}"),
            )),
        }
    }

    pub fn parse(&self) -> Result<Body, Finding> {
        hcl_edit::parser::parse_body(&self.text).map_err(|e| {
            Finding::new(
                ids::LINT_PARSE_ERROR,
                &self.path,
                (e.location().line(), e.location().column()),
                format!("syntax error: {}", e.message()),
            )
        })
    }

    /// 1-based line and column of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|s| *s <= offset);
        let start = self.line_starts[line - 1];
        let column = self.text[start..offset].chars().count() + 1;
        (line, column)
    }

    pub fn span_position(&self, span: Option<Range<usize>>) -> (usize, usize) {
        self.position(span.map_or(0, |s| s.start))
    }

    /// The text of a 1-based line, for snippets.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self
            .line_starts
            .get(line - 1)
            .copied()
            .unwrap_or(self.text.len());
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |e| e - 1);
        self.text[start..end.max(start)].trim_end_matches('\r')
    }
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
    }
}
