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
    json_with(findings, &Summary::default())
}

/// What a report says besides its findings: the paths `--exclude` skipped
/// and the baseline entries nothing matched any more.
#[derive(Debug, Default)]
pub struct Summary {
    pub excluded: Vec<std::path::PathBuf>,
    pub stale: Vec<crate::baseline::Entry>,
}

/// [`json`], plus `excluded` and `stale_baseline` when there are any.
pub fn json_with(findings: &[Finding], summary: &Summary) -> String {
    let (suppressed, rest): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|f| f.suppressed.is_some());
    let (waived, active): (Vec<&Finding>, Vec<&Finding>) =
        rest.into_iter().partition(|f| f.waived.is_some());
    let mut doc = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "findings": active,
        "suppressed": suppressed,
        "waived": waived,
    });
    if !summary.excluded.is_empty() {
        doc["excluded"] = summary
            .excluded
            .iter()
            .map(|p| p.display().to_string())
            .collect();
    }
    if !summary.stale.is_empty() {
        doc["stale_baseline"] = serde_json::to_value(&summary.stale).unwrap_or_default();
    }
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// The source root paths are reported relative to: the top of the git
/// repository the working directory is in (`.git` directory or file), else
/// the working directory. So SARIF URIs and baseline entries are the same
/// whether phi-lint runs at the top of the repository or in a subdirectory.
pub fn source_root() -> &'static std::path::Path {
    static ROOT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let cwd = std::env::current_dir().unwrap_or_default();
        cwd.ancestors()
            .find(|d| d.join(".git").exists())
            .unwrap_or(&cwd)
            .to_path_buf()
    })
}

/// A path relative to [`source_root`] with `/` separators, or the absolute
/// path when it is outside it.
pub fn root_relative(path: &str) -> String {
    let p = std::path::Path::new(path);
    let absolute = if p.is_absolute() {
        crate::walk::normalize(p)
    } else {
        let cwd = std::env::current_dir().unwrap_or_default();
        crate::walk::normalize(&cwd.join(p))
    };
    match absolute.strip_prefix(source_root()) {
        Ok(r) => r.to_string_lossy().replace('\\', "/"),
        Err(_) => absolute.to_string_lossy().into_owned(),
    }
}

/// [`root_relative`] as a URI reference (percent-encoded), and whether it
/// is relative to the source root (else a `file://` URI).
pub fn root_uri(path: &str) -> (String, bool) {
    let rel = root_relative(path);
    if std::path::Path::new(&rel).is_absolute() {
        (format!("file://{}", encode(&rel)), false)
    } else {
        (encode(&rel), true)
    }
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
