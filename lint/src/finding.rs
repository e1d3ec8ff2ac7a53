//! One finding: a control, where, and what exactly.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub control: &'static str,
    pub severity: String,
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

impl Finding {
    pub fn new(
        control_id: &'static str,
        file: &str,
        (line, column): (usize, usize),
        message: impl Into<String>,
    ) -> Self {
        let severity = phi_policy::control(control_id)
            .map(|c| c.severity.to_string())
            .unwrap_or_else(|| "high".to_owned());
        Finding {
            control: control_id,
            severity,
            file: file.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }
}
