//! PHI-LNT-004: every `module` block's source is approved by the policy and
//! pinned. Local paths are allowed: their files are linted themselves.

use phi_policy::exceptions::glob_match;
use phi_policy::{Policy, ids};

use crate::eval::{Scope, Value};
use crate::finding::Finding;
use crate::instance::{Instance, literal_source};
use crate::ir::Block;
use crate::source::SourceFile;

/// The kinds of source Terraform's grammar distinguishes, as far as pinning
/// is concerned.
#[derive(Debug, PartialEq, Eq)]
pub enum SourceKind {
    Local,
    Registry,
    Git { reference: Option<String> },
    Other,
}

/// Classifies a module source string.
pub fn classify(source: &str) -> SourceKind {
    if source.starts_with("./") || source.starts_with("../") {
        return SourceKind::Local;
    }
    let is_git = source.starts_with("git::")
        || source.starts_with("github.com/")
        || source.starts_with("git@")
        || source.starts_with("bitbucket.org/");
    if is_git {
        let reference = source.split_once('?').and_then(|(_, query)| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix("ref=").map(str::to_owned))
        });
        return SourceKind::Git { reference };
    }
    let path = source.split("//").next().unwrap_or(source);
    let parts = path.split('/').count();
    let registry_like = !source.contains("::")
        && !source.contains("://")
        && (parts == 3 || (parts == 4 && path.split('/').next().is_some_and(|h| h.contains('.'))));
    if registry_like {
        SourceKind::Registry
    } else {
        SourceKind::Other
    }
}

/// An exact version: digits and dots with an optional `=` and pre-release.
pub fn is_exact_version(v: &str) -> bool {
    let v = v.trim().trim_start_matches('=').trim();
    let core = v.split(['-', '+']).next().unwrap_or("");
    !core.is_empty()
        && core
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// A source in one canonical spelling, so that the ways Terraform accepts to
/// write the same address all match the same policy entry: the
/// `github.com/…` and `bitbucket.org/…` shorthands and scp-like
/// `git@host:path` become `git::https://…` / `git::ssh://…` URLs with `.git`,
/// and a registry address without a host gets `registry.terraform.io/`.
/// A `?query` is kept as it is.
pub fn normalise(source: &str) -> String {
    let (address, query) = match source.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (source, None),
    };
    // Split off a `//subdir` that follows the package address.
    let split_subdir = |rest: &str| -> (String, String) {
        let scheme_end = rest.find("://").map_or(0, |i| i + 3);
        match rest[scheme_end..].find("//") {
            Some(i) => (
                rest[..scheme_end + i].to_owned(),
                rest[scheme_end + i..].to_owned(),
            ),
            None => (rest.to_owned(), String::new()),
        }
    };
    let with_git_suffix = |repo: &str| {
        if repo.ends_with(".git") {
            repo.to_owned()
        } else {
            format!("{repo}.git")
        }
    };
    let canonical = if let Some(rest) = ["github.com/", "bitbucket.org/"]
        .iter()
        .find(|p| address.starts_with(**p))
        .map(|_| address)
    {
        let (repo, subdir) = split_subdir(rest);
        format!("git::https://{}{subdir}", with_git_suffix(&repo))
    } else if let Some(rest) = address.strip_prefix("git@") {
        let (repo, subdir) = split_subdir(rest);
        let repo = repo.replacen(':', "/", 1);
        format!("git::ssh://git@{}{subdir}", with_git_suffix(&repo))
    } else if classify(address) == SourceKind::Registry {
        let host_given = address
            .split('/')
            .next()
            .is_some_and(|first| first.contains('.'));
        if host_given {
            address.to_owned()
        } else {
            format!("registry.terraform.io/{address}")
        }
    } else {
        address.to_owned()
    };
    match query {
        Some(q) => format!("{canonical}?{q}"),
        None => canonical,
    }
}

/// Whether the policy's `approved_modules` lists this source. Both the
/// source and each pattern are normalised first, and a pattern matches with
/// or without the source's `?query` (pinning is checked separately).
pub fn approved(source: &str, policy: &Policy) -> bool {
    let source = normalise(source);
    let without_query = source.split('?').next().unwrap_or(&source);
    policy.approved_modules().iter().any(|p| {
        let p = normalise(p);
        glob_match(&p, without_query) || glob_match(&p, &source)
    })
}

pub fn check(instance: &Instance, policy: &Policy) -> Vec<Finding> {
    instance
        .module
        .blocks()
        .filter(|(_, b)| b.ident == "module")
        .flat_map(|(file, b)| check_module(file, b, policy))
        .collect()
}

fn check_module(file: &SourceFile, block: &Block, policy: &Policy) -> Vec<Finding> {
    let name = block.label(0).unwrap_or("?");
    let Some(source_attr) = block.attr("source") else {
        return Vec::new();
    };
    let at = source_attr.at;
    // Terraform itself requires a literal source.
    let Some(source) = literal_source(block) else {
        return Vec::new();
    };
    let finding = |message: String| Finding::new(ids::LINT_MODULE_SOURCE, &file.path, at, message);
    let kind = classify(&source);
    if kind == SourceKind::Local {
        return Vec::new();
    }
    let mut out = Vec::new();
    if !approved(&source, policy) {
        out.push(finding(format!(
            "module \"{name}\": source {source:?} is not in the policy's approved_modules"
        )));
    }
    match kind {
        SourceKind::Git { reference: None } => out.push(finding(format!(
            "module \"{name}\": git source {source:?} is not pinned; add ?ref=<tag or commit>"
        ))),
        SourceKind::Git { reference: Some(r) }
            if ["main", "master", "HEAD"].contains(&r.as_str()) =>
        {
            out.push(finding(format!(
                "module \"{name}\": ref={r} is a moving branch; pin a tag or a commit"
            )))
        }
        SourceKind::Registry => match block.attr("version").map(|a| Scope::empty().eval(&a.expr)) {
            Some(Value::String(v)) if is_exact_version(&v) => {}
            Some(Value::String(v)) => out.push(finding(format!(
                "module \"{name}\": version {v:?} is a range; pin an exact version"
            ))),
            _ => out.push(finding(format!(
                "module \"{name}\": registry source {source:?} has no exact `version`"
            ))),
        },
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_terraform_source_forms() {
        assert_eq!(classify("./modules/phi-bucket"), SourceKind::Local);
        assert_eq!(
            classify("terraform-aws-modules/s3-bucket/aws"),
            SourceKind::Registry
        );
        assert_eq!(
            classify("app.terraform.io/acme/phi-bucket/aws"),
            SourceKind::Registry
        );
        assert_eq!(
            classify("acme/phi/aws//modules/bucket"),
            SourceKind::Registry
        );
        assert_eq!(
            classify("git::https://git.example.com/platform/phi.git//modules/bucket?ref=v1.2.0"),
            SourceKind::Git {
                reference: Some("v1.2.0".into())
            }
        );
        assert_eq!(
            classify("github.com/acme/phi"),
            SourceKind::Git { reference: None }
        );
        assert_eq!(
            classify("s3::https://s3.amazonaws.com/bucket/module.zip"),
            SourceKind::Other
        );
    }

    #[test]
    fn normalises_the_spellings_of_one_address() {
        assert_eq!(
            normalise("github.com/phi-guard/phi-guard//modules/phi-bucket?ref=v0.1.0"),
            "git::https://github.com/phi-guard/phi-guard.git//modules/phi-bucket?ref=v0.1.0"
        );
        assert_eq!(
            normalise("git@github.com:phi-guard/phi-guard.git//modules/phi-bucket"),
            "git::ssh://git@github.com/phi-guard/phi-guard.git//modules/phi-bucket"
        );
        assert_eq!(
            normalise("acme/phi-bucket/aws"),
            "registry.terraform.io/acme/phi-bucket/aws"
        );
        assert_eq!(
            normalise("app.terraform.io/acme/phi-bucket/aws"),
            "app.terraform.io/acme/phi-bucket/aws"
        );
        let git = "git::https://git.example.com/platform/phi.git//modules/x?ref=v1";
        assert_eq!(normalise(git), git);
    }

    #[test]
    fn the_default_policy_approves_the_projects_own_modules_in_any_spelling() {
        let policy = Policy::baseline();
        for source in [
            "git::https://github.com/phi-guard/phi-guard.git//modules/phi-bucket?ref=v0.1.0",
            "github.com/phi-guard/phi-guard//modules/phi-database?ref=v0.1.0",
            "git@github.com:phi-guard/phi-guard.git//modules/audit-log-sink?ref=v0.1.0",
        ] {
            assert!(approved(source, &policy), "{source}");
        }
        for source in [
            "github.com/someone-else/phi-guard//modules/phi-bucket?ref=v0.1.0",
            "terraform-aws-modules/s3-bucket/aws",
        ] {
            assert!(!approved(source, &policy), "{source}");
        }
    }

    #[test]
    fn exact_versions() {
        assert!(is_exact_version("1.2.3"));
        assert!(is_exact_version("= 1.2.3"));
        assert!(is_exact_version("1.2.3-beta.1"));
        assert!(!is_exact_version("~> 1.2"));
        assert!(!is_exact_version(">= 1.0"));
        assert!(!is_exact_version(""));
    }
}
