//! PHI-LNT-007: a module that uses the phi provider declares it in
//! `required_providers` with the phi-guard source and a version: without the
//! entry Terraform looks for `hashicorp/phi`, and without a pinned version an
//! upgrade of the provider that enforces the controls happens unreviewed.
//! Root modules bound the version from above (`~> 0.1`, `>= 0.1.0, < 1.0.0`
//! or an exact version), as Terraform recommends, and the lock file pins the
//! exact build: when `.terraform.lock.hcl` is present, its locked version
//! must satisfy the constraint. Child modules state a constraint.

use phi_policy::{Policy, ids};

use crate::eval::{Scope, Value};
use crate::finding::Finding;
use crate::instance::Instance;
use crate::ir::{Attr, Block};
use crate::rules::version_constraint::{has_upper_bound, satisfies};

/// The phi provider's address in `.terraform.lock.hcl`.
const LOCK_ADDRESS: &str = "registry.terraform.io/phi-guard/phi";

/// A finding when the root's `.terraform.lock.hcl` locks a phi provider
/// version the constraint does not allow (`terraform init` would refuse
/// it; a CI that skips `-upgrade` would run another provider than reviewed).
fn lock_mismatch(instance: &Instance, constraint: &str) -> Option<Finding> {
    let path = instance.root_dir.join(".terraform.lock.hcl");
    let parsed = crate::project::parse(&path).ok()?;
    let provider = parsed.root.blocks.iter().find(|b| {
        b.ident == "provider"
            && b.label(0)
                .is_some_and(|l| l.eq_ignore_ascii_case(LOCK_ADDRESS))
    })?;
    let attr = provider.attr("version")?;
    let Value::String(locked) = Scope::empty().eval(&attr.expr) else {
        return None;
    };
    (satisfies(&locked, constraint) == Some(false)).then(|| {
        Finding::new(
            ids::LINT_PROVIDER_PINNED,
            &parsed.source.path,
            attr.at,
            format!(
                "the lock file locks phi provider {locked}, which required_providers.phi.version \
                 {constraint:?} does not allow: run `terraform init -upgrade` and review the \
                 change, or fix the constraint"
            ),
        )
    })
}

/// The phi provider's source address, short and fully qualified.
pub const APPROVED_SOURCES: &[&str] = &["phi-guard/phi", "registry.terraform.io/phi-guard/phi"];

fn uses_phi(block: &Block) -> bool {
    match (block.ident.as_str(), block.label(0)) {
        ("provider", Some("phi")) => true,
        ("resource" | "data", Some(ty)) => ty.starts_with("phi_"),
        _ => false,
    }
}

/// The `phi` entry of a module's `required_providers`, native or JSON.
fn phi_entry(
    module_blocks: &[(&crate::source::SourceFile, &Block)],
) -> Option<(usize, Value, (usize, usize))> {
    for (i, (_, b)) in module_blocks.iter().enumerate() {
        if b.ident != "terraform" {
            continue;
        }
        let attrs: Vec<&Attr> = b
            .blocks_named("required_providers")
            .flat_map(|r| r.attrs.iter())
            .filter(|a| a.name == "phi")
            .collect();
        if let Some(a) = attrs.first() {
            return Some((i, Scope::empty().eval(&a.expr), a.at));
        }
        // JSON syntax: `"required_providers": {"phi": {...}}` is an attribute.
        if let Some(a) = b.attr("required_providers")
            && let Value::Map(m) = Scope::empty().eval(&a.expr)
            && let Some(v) = m.get("phi")
        {
            return Some((i, v.clone(), a.at));
        }
    }
    None
}

pub fn check(instance: &Instance, _policy: &Policy) -> Vec<Finding> {
    let blocks: Vec<_> = instance
        .module
        .blocks()
        .map(|(f, b)| (f.as_ref(), b))
        .collect();
    let Some((file, first_use)) = blocks.iter().find(|(_, b)| uses_phi(b)).copied() else {
        return Vec::new();
    };
    let Some((i, entry, at)) = phi_entry(&blocks) else {
        return vec![Finding::new(
            ids::LINT_PROVIDER_PINNED,
            &file.path,
            first_use.at,
            "this module uses the phi provider but declares no `required_providers` entry for it: \
             Terraform would look for hashicorp/phi. Add `phi = { source = \"phi-guard/phi\", \
             version = \"~> 0.1\" }`",
        )];
    };
    let path = &blocks[i].0.path;
    let finding = |message: String| Finding::new(ids::LINT_PROVIDER_PINNED, path, at, message);
    let (source, version) = match &entry {
        Value::Map(m) => (m.get("source").cloned(), m.get("version").cloned()),
        // The legacy `phi = "1.0.0"` form has no source.
        Value::String(v) => (None, Some(Value::String(v.clone()))),
        _ => (None, None),
    };
    let mut out = Vec::new();
    match source {
        Some(Value::String(s)) if APPROVED_SOURCES.contains(&s.to_ascii_lowercase().as_str()) => {}
        Some(Value::String(s)) => out.push(finding(format!(
            "required_providers.phi.source is {s:?}; the phi provider is \"phi-guard/phi\""
        ))),
        _ => out.push(finding(
            "required_providers.phi has no `source`: Terraform would look for hashicorp/phi"
                .to_owned(),
        )),
    }
    let root = instance.address.is_empty();
    match version {
        Some(Value::String(_)) if !root => {}
        Some(Value::String(v)) => match has_upper_bound(&v) {
            Some(true) => out.extend(lock_mismatch(instance, &v)),
            Some(false) => out.push(finding(format!(
                "required_providers.phi.version is {v:?}, which has no upper bound: a root module \
                 bounds it (`~> 0.1`, `>= 0.1.0, < 1.0.0` or an exact version) so that a major \
                 upgrade of the provider enforcing the controls is reviewed; the lock file pins \
                 the exact build"
            ))),
            None => out.push(finding(format!(
                "required_providers.phi.version is {v:?}, not a version constraint Terraform accepts"
            ))),
        },
        _ => out.push(finding(
            "required_providers.phi has no `version`: pin the provider that enforces the controls"
                .to_owned(),
        )),
    }
    out
}
