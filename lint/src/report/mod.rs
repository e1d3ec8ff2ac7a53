//! Output formats. Each writer takes every finding, suppressed ones
//! included, and decides how to show the waived ones.

pub mod github;
pub mod junit;
pub mod sarif;
pub mod text;

use crate::finding::Finding;

pub use text::text;

/// `{"version", "findings": [...], "suppressed": [...], "waived": [...]}`:
/// active findings, the ones inline suppressions waive and the ones policy
/// exceptions waive (each with its `waived` exception), apart, so a consumer
/// counting `findings` counts what fails the run.
pub fn json(findings: &[Finding]) -> String {
    let (suppressed, rest): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|f| f.suppressed.is_some());
    let (waived, active): (Vec<&Finding>, Vec<&Finding>) =
        rest.into_iter().partition(|f| f.waived.is_some());
    let doc = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "findings": active,
        "suppressed": suppressed,
        "waived": waived,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// A path as a URI relative to the working directory (the repository root in
/// CI), with `/` separators and reserved characters percent-encoded; an
/// absolute path outside it becomes a `file://` URI.
pub fn relative_uri(path: &str) -> String {
    let p = std::path::Path::new(path);
    let rel = if p.is_absolute() {
        match std::env::current_dir()
            .ok()
            .and_then(|cwd| p.strip_prefix(cwd).ok().map(|r| r.to_path_buf()))
        {
            Some(r) => r,
            None => return format!("file://{}", encode(&path.replace('\\', "/"))),
        }
    } else {
        crate::walk::normalize(p)
    };
    encode(&rel.to_string_lossy().replace('\\', "/"))
}

/// A path relative to the working directory when it is under it (GitHub
/// annotations need repository-relative paths), else as given.
pub fn relative_path(path: &str) -> String {
    let p = std::path::Path::new(path);
    if p.is_absolute()
        && let Some(rel) = std::env::current_dir()
            .ok()
            .and_then(|cwd| p.strip_prefix(cwd).ok().map(|r| r.to_path_buf()))
    {
        return rel.to_string_lossy().into_owned();
    }
    crate::walk::normalize(p).to_string_lossy().into_owned()
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
