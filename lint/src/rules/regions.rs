//! PHI-REG-001 on the source: every `provider "aws"` and `provider "phi"`
//! block (aliases included), every resource-level `region` argument (AWS
//! provider v6), and every provider configuration a module call hands its
//! child through `providers = {}` must resolve to an approved region.

use phi_policy::{Policy, ids};

use super::unverifiable;
use crate::eval::Value;
use crate::finding::Finding;
use crate::instance::Instance;

/// Provider types whose configurations carry a region we govern.
const REGIONAL_PROVIDERS: &[&str] = &["aws", "phi"];

fn region_finding(
    policy: &Policy,
    region: &str,
    file: &str,
    at: (usize, usize),
    what: &str,
) -> Option<Finding> {
    phi_policy::checks::region::check_region(region, policy, &[]).map(|v| {
        Finding::new(
            ids::REGION_APPROVED,
            file,
            at,
            format!("{what}: {}", v.message),
        )
    })
}

pub fn check(instance: &Instance, policy: &Policy) -> Vec<Finding> {
    let mut out = Vec::new();
    for (file, block) in instance.module.blocks() {
        let what = match (block.ident.as_str(), block.label(0)) {
            ("provider", Some(p)) if REGIONAL_PROVIDERS.contains(&p) => {
                match block.attr("alias").map(|a| instance.scope.eval(&a.expr)) {
                    Some(Value::String(alias)) => format!("provider \"{p}\" (alias {alias:?})"),
                    _ => format!("provider \"{p}\""),
                }
            }
            ("resource" | "data", Some(ty))
                if REGIONAL_PROVIDERS
                    .iter()
                    .any(|p| ty.starts_with(&format!("{p}_"))) =>
            {
                format!(
                    "{} \"{ty}\" \"{}\"",
                    block.ident,
                    block.label(1).unwrap_or("?")
                )
            }
            ("module", Some(name)) => {
                out.extend(passed_providers(instance, policy, file, block, name));
                continue;
            }
            _ => continue,
        };
        let Some(attr) = block.attr("region") else {
            if block.ident == "provider" {
                out.push(Finding::new(
                    ids::LINT_UNVERIFIABLE,
                    &file.path,
                    block.at,
                    format!(
                        "{what} sets no region: it comes from the environment (AWS_REGION or \
                         the profile) and could not be verified from the source"
                    ),
                ));
            }
            continue;
        };
        // A resource with `count`/`for_each` is checked per instance: its
        // region may come from `each.value`.
        let instances = if block.ident == "provider" {
            vec![crate::expand::BlockInstance::default()]
        } else {
            match crate::expand::instances(block, &instance.scope) {
                Ok(list) => list,
                Err(u) => {
                    out.push(Finding::new(
                        ids::LINT_UNVERIFIABLE,
                        &file.path,
                        u.attr.at,
                        format!(
                            "{what}: its instances could not be verified from the source: \
                             `{} = {}`: {}",
                            u.attr.name,
                            u.attr.source_text(&file.text),
                            crate::expand::unexpandable_reason(&u)
                        ),
                    ));
                    continue;
                }
            }
        };
        for each in &instances {
            let what = if each.suffix.is_empty() {
                what.clone()
            } else {
                format!("{what}{}", each.suffix)
            };
            check_region_value(
                policy,
                file,
                block,
                attr,
                &what,
                instance.scope.eval_with(&attr.expr, &each.bindings),
                &mut out,
            );
        }
    }
    out
}

/// One evaluated `region` argument of a provider or resource instance.
fn check_region_value(
    policy: &Policy,
    file: &crate::source::SourceFile,
    block: &crate::ir::Block,
    attr: &crate::ir::Attr,
    what: &str,
    value: Value,
    out: &mut Vec<Finding>,
) {
    {
        match value {
            // An empty region is an unset one: the AWS provider falls back to
            // the environment, a resource to its provider's region.
            Value::String(region) if region.is_empty() => {
                if block.ident == "provider" {
                    out.push(Finding::new(
                        ids::LINT_UNVERIFIABLE,
                        &file.path,
                        attr.at,
                        format!(
                            "{what}: `region = {}` is empty: the region comes from the \
                             environment (AWS_REGION or the profile) and could not be verified",
                            attr.source_text(&file.text)
                        ),
                    ));
                }
            }
            Value::String(region) => {
                out.extend(region_finding(policy, &region, &file.path, attr.at, what));
            }
            // `region = null` on a resource means "the provider's region".
            Value::Null if block.ident != "provider" => {}
            v if !v.is_known() => out.push(unverifiable(file, what, attr, &v)),
            other => out.push(Finding::new(
                ids::REGION_APPROVED,
                &file.path,
                attr.at,
                format!(
                    "{what}: region is a {}, not a region name",
                    other.type_name()
                ),
            )),
        }
    }
}

/// A module call that hands its child a provider configuration in an
/// unapproved region: reported at the call, naming the configuration, so
/// the reader sees which module deploys where.
fn passed_providers(
    instance: &Instance,
    policy: &Policy,
    file: &crate::source::SourceFile,
    call: &crate::ir::Block,
    name: &str,
) -> Vec<Finding> {
    let Some(attr) = call.attr("providers") else {
        return Vec::new();
    };
    instance
        .provider_map(attr)
        .into_iter()
        .filter_map(|(child, parent, at)| {
            let conf = instance.providers.get(&parent)?;
            let Some(Value::String(region)) = &conf.region else {
                return None;
            };
            region_finding(
                policy,
                region,
                &file.path,
                at,
                &format!(
                    "module \"{name}\" receives provider {parent} as {child} (region {region:?})"
                ),
            )
        })
        .collect()
}
