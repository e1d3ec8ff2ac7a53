//! What the plan's `configuration` section resolves that the linter could
//! only call "could not verify": the region each provider configuration
//! ends up with (a constant or a variable's planned value) and every module
//! source, however deeply nested.

use std::collections::BTreeMap;

use serde_json::Value;

/// A provider configuration and the region it resolves to.
#[derive(Debug, Clone)]
pub struct ProviderRegion {
    /// `phi`, `aws.replica`, `module.x:aws` as the plan keys it.
    pub key: String,
    /// The provider's short type name: `phi`, `aws`.
    pub name: String,
    pub region: Option<String>,
}

/// Every provider configuration of the plan with its resolved region.
pub fn provider_regions(plan: &Value) -> Vec<ProviderRegion> {
    let vars = variables(plan);
    let Some(configs) = plan
        .pointer("/configuration/provider_config")
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    configs
        .iter()
        .map(|(key, cfg)| ProviderRegion {
            key: key.clone(),
            name: cfg
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(key)
                .to_owned(),
            region: cfg
                .pointer("/expressions/region")
                .and_then(|e| resolve(e, &vars)),
        })
        .collect()
}

/// The root variables' planned values.
fn variables(plan: &Value) -> BTreeMap<String, Value> {
    plan.get("variables")
        .and_then(Value::as_object)
        .map(|vars| {
            vars.iter()
                .filter_map(|(k, v)| v.get("value").map(|v| (k.clone(), v.clone())))
                .collect()
        })
        .unwrap_or_default()
}

/// A configuration expression's value: a constant, or a lone reference to
/// a root variable.
fn resolve(expr: &Value, vars: &BTreeMap<String, Value>) -> Option<String> {
    if let Some(c) = expr.get("constant_value") {
        return c.as_str().map(str::to_owned);
    }
    let refs = expr.get("references")?.as_array()?;
    let name = refs.first()?.as_str()?.strip_prefix("var.")?;
    vars.get(name)?.as_str().map(str::to_owned)
}

/// The region the provider `name` (e.g. `phi`) resolves to, when every
/// configuration of it agrees on one.
pub fn region_of(regions: &[ProviderRegion], name: &str) -> Option<String> {
    let mut found = regions
        .iter()
        .filter(|p| p.name == name)
        .filter_map(|p| p.region.clone());
    let first = found.next()?;
    found.all(|r| r == first).then_some(first)
}

/// A module call of the plan's configuration.
#[derive(Debug, Clone)]
pub struct ModuleCall {
    /// `module.a.module.b`.
    pub address: String,
    pub source: String,
    pub version: Option<String>,
}

/// Every module call, nested ones included.
pub fn module_calls(plan: &Value) -> Vec<ModuleCall> {
    let mut out = Vec::new();
    if let Some(root) = plan.pointer("/configuration/root_module") {
        walk(root, "", &mut out);
    }
    out
}

fn walk(module: &Value, prefix: &str, out: &mut Vec<ModuleCall>) {
    let Some(calls) = module.get("module_calls").and_then(Value::as_object) else {
        return;
    };
    for (name, call) in calls {
        let address = format!("{prefix}module.{name}");
        out.push(ModuleCall {
            address: address.clone(),
            source: call
                .get("source")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            version: call
                .get("version_constraint")
                .and_then(Value::as_str)
                .map(str::to_owned),
        });
        if let Some(child) = call.get("module") {
            walk(child, &format!("{address}."), out);
        }
    }
}
