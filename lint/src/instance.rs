//! Module instances: a module directory evaluated in the context it is used
//! in. A root module takes its variables from defaults, `TF_VAR_*`,
//! `terraform.tfvars`, `*.auto.tfvars` and `--var-file` (Terraform's order,
//! later wins); a child module takes the arguments its caller passes, and the
//! provider configurations its caller gives it (inherited defaults, or the
//! `providers = {}` map). Calls are followed recursively.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::eval::{Scope, Value, describe, types};
use crate::ir::{Attr, Block, Pos};
use crate::project::{ModuleDir, Project};
use crate::source::SourceFile;
use crate::walk;

/// Module calls deeper than this are not followed (a cycle through symlinks
/// or a pathological tree), and a finding says so.
pub const MAX_DEPTH: usize = 16;

/// Arguments of a `module` block that are not inputs.
const META_ARGUMENTS: &[&str] = &[
    "source",
    "version",
    "providers",
    "count",
    "for_each",
    "depends_on",
];

/// A provider configuration as one instance sees it.
#[derive(Debug, Clone)]
pub struct ProviderConf {
    /// `aws` or `aws.eu`, in the module that defines it.
    pub name: String,
    pub region: Option<Value>,
    pub file: Arc<SourceFile>,
    pub at: Pos,
}

/// Variable values given to root modules by the command line and the
/// environment, before the root's own tfvars are read.
#[derive(Debug, Clone, Default)]
pub struct RootInputs {
    /// `TF_VAR_name` values, raw.
    pub env: BTreeMap<String, String>,
    /// `--var-file` files, in the order given, parsed.
    pub var_files: Vec<Arc<crate::project::Parsed>>,
}

pub struct Instance<'p> {
    pub module: &'p ModuleDir,
    /// `""` for a root, else `module.a.module.b`.
    pub address: String,
    pub scope: Scope,
    /// Provider configurations by local name (`aws`, `aws.eu`).
    pub providers: BTreeMap<String, ProviderConf>,
    /// Inside a module whose source the policy approves: raw resources are
    /// its business.
    pub in_approved_module: bool,
    /// Set on roots: the directory `.terraform/modules` is relative to.
    pub root_dir: PathBuf,
    /// Key in `.terraform/modules/modules.json` (`a.b`), `""` for a root.
    pub manifest_key: String,
    /// Where a variable's value was set, when a message should say so:
    /// `prod.tfvars:28`, `TF_VAR_retention`, `module argument at main.tf:12`.
    pub origins: BTreeMap<String, String>,
    /// The day policy exceptions are compared with (today, or the day a
    /// test fixes).
    pub today: time::Date,
    /// Unknown key ARNs (by what they read, `data.phi_bucket.b.kms_key_arn`)
    /// that a calling module passed in from a lookup the provider checks:
    /// see [`Instance::key_from_checked_lookup`].
    pub checked_lookup_keys: BTreeSet<String>,
}

/// Where a local module call points, if it is local.
pub fn local_target(dir: &Path, source: &str) -> Option<PathBuf> {
    (source.starts_with("./") || source.starts_with("../"))
        .then(|| walk::normalize(&dir.join(source.split("//").next().unwrap_or(source))))
        .map(|p| {
            // `./x//sub` addresses a subdirectory of a package.
            match source.split_once("//") {
                Some((_, sub)) if !sub.is_empty() => walk::normalize(&p.join(sub)),
                _ => p,
            }
        })
}

/// The literal source of a module block, when it is one.
pub fn literal_source(block: &Block) -> Option<String> {
    match block.attr("source").map(|a| Scope::empty().eval(&a.expr)) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// `.terraform/modules/modules.json` of a root: key -> directory.
pub fn manifest(root_dir: &Path) -> BTreeMap<String, PathBuf> {
    let path = root_dir.join(".terraform/modules/modules.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return BTreeMap::new();
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for m in json["Modules"].as_array().into_iter().flatten() {
        if let (Some(key), Some(dir)) = (m["Key"].as_str(), m["Dir"].as_str())
            && !key.is_empty()
        {
            out.insert(key.to_owned(), walk::normalize(&root_dir.join(dir)));
        }
    }
    out
}

/// Loads every module directory a module call can reach, so evaluation can
/// borrow the project immutably.
pub fn load_called_modules(project: &mut Project) {
    let mut work: Vec<PathBuf> = project.modules.keys().cloned().collect();
    for root in project.linted.clone() {
        for dir in manifest(&root).into_values() {
            work.push(dir);
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    while let Some(dir) = work.pop() {
        if !seen.insert(dir.clone()) || !project.ensure_loaded(&dir) {
            continue;
        }
        let module = &project.modules[&dir];
        for (_, b) in module.blocks().filter(|(_, b)| b.ident == "module") {
            if let Some(target) = literal_source(b).and_then(|s| local_target(&dir, &s)) {
                work.push(target);
            }
        }
    }
}

/// Directories of the linted set that no other linted module calls: the
/// roots Terraform would be run in.
pub fn roots(project: &Project) -> Vec<PathBuf> {
    let mut called = std::collections::BTreeSet::new();
    for dir in &project.linted {
        for (_, b) in project.modules[dir]
            .blocks()
            .filter(|(_, b)| b.ident == "module")
        {
            if let Some(target) = literal_source(b).and_then(|s| local_target(dir, &s))
                && target != *dir
            {
                called.insert(target);
            }
        }
    }
    project
        .linted
        .iter()
        .filter(|d| !called.contains(*d) && !project.modules[*d].config.is_empty())
        .cloned()
        .collect()
}

/// Declared variables of a module and their defaults.
fn declared(module: &ModuleDir) -> BTreeMap<String, (Option<Value>, Option<String>)> {
    let mut out = BTreeMap::new();
    for (_, b) in module.blocks().filter(|(_, b)| b.ident == "variable") {
        let Some(name) = b.label(0) else { continue };
        let default = b.attr("default").map(|a| Scope::empty().eval(&a.expr));
        let ty = b.attr("type").map(|a| describe(&a.expr));
        out.insert(name.to_owned(), (default, ty));
    }
    out
}

/// Fills in the `optional()` defaults of each variable's type constraint,
/// as Terraform does before the module reads the value.
fn apply_type_defaults(module: &ModuleDir, vars: &mut BTreeMap<String, Value>) {
    for (_, b) in module.blocks().filter(|(_, b)| b.ident == "variable") {
        let (Some(name), Some(ty)) = (b.label(0), b.attr("type")) else {
            continue;
        };
        if let Some(v) = vars.remove(name) {
            vars.insert(name.to_owned(), types::apply_defaults(v, &ty.expr));
        }
    }
}

/// A `TF_VAR_` value: raw for primitive types, an HCL expression otherwise.
fn env_value(raw: &str, ty: Option<&str>) -> Value {
    match ty {
        None | Some("string" | "number" | "bool") => Value::String(raw.to_owned()),
        Some(_) => match hcl_edit::parser::parse_expr(raw) {
            Ok(e) => Scope::empty().eval(&e),
            Err(_) => Value::String(raw.to_owned()),
        },
    }
}

fn assign_file(
    vars: &mut BTreeMap<String, Value>,
    origins: &mut BTreeMap<String, String>,
    file: &crate::project::Parsed,
) {
    let name = crate::project::file_name(&file.source.path);
    for a in &file.root.attrs {
        vars.insert(a.name.clone(), Scope::empty().eval(&a.expr));
        origins.insert(a.name.clone(), format!("{name}:{}", a.at.0));
    }
}

impl<'p> Instance<'p> {
    /// A root module with its variable files.
    pub fn root(project: &'p Project, dir: &Path, inputs: &RootInputs) -> Option<Instance<'p>> {
        let module = project.modules.get(dir)?;
        let decl = declared(module);
        let mut vars = BTreeMap::new();
        for (name, (default, _)) in &decl {
            if let Some(d) = default {
                vars.insert(name.clone(), d.clone());
            }
        }
        let mut origins = BTreeMap::new();
        for (name, raw) in &inputs.env {
            if let Some((_, ty)) = decl.get(name) {
                vars.insert(name.clone(), env_value(raw, ty.as_deref()));
                origins.insert(name.clone(), format!("TF_VAR_{name}"));
            }
        }
        let mut given = BTreeMap::new();
        for f in &module.auto_vars {
            assign_file(&mut given, &mut origins, f);
        }
        for f in &inputs.var_files {
            assign_file(&mut given, &mut origins, f);
        }
        // Values for undeclared variables are ignored, as Terraform warns.
        vars.extend(given.into_iter().filter(|(k, _)| decl.contains_key(k)));
        origins.retain(|k, _| decl.contains_key(k));
        apply_type_defaults(module, &mut vars);
        let mut instance = Instance {
            module,
            address: String::new(),
            scope: Scope {
                vars,
                locals: BTreeMap::new(),
                path_module: ".".to_owned(),
                path_root: ".".to_owned(),
                budget: Default::default(),
            },
            providers: BTreeMap::new(),
            in_approved_module: false,
            root_dir: dir.to_owned(),
            manifest_key: String::new(),
            origins,
            today: time::OffsetDateTime::now_utc().date(),
            checked_lookup_keys: BTreeSet::new(),
        };
        instance.finish(BTreeMap::new());
        Some(instance)
    }

    /// Locals in dependency order, then this module's own provider blocks.
    fn finish(&mut self, inherited: BTreeMap<String, ProviderConf>) {
        let locals: Vec<&Attr> = self
            .module
            .blocks()
            .filter(|(_, b)| b.ident == "locals")
            .flat_map(|(_, b)| b.attrs.iter())
            .collect();
        crate::locals::evaluate(&mut self.scope, &locals);
        self.providers = inherited;
        for (file, b) in self.module.blocks().filter(|(_, b)| b.ident == "provider") {
            let Some(ty) = b.label(0) else { continue };
            let name = match b.attr("alias").map(|a| self.scope.eval(&a.expr)) {
                Some(Value::String(alias)) => format!("{ty}.{alias}"),
                _ => ty.to_owned(),
            };
            let region = b.attr("region").map(|a| self.scope.eval(&a.expr));
            self.providers.insert(
                name.clone(),
                ProviderConf {
                    name,
                    region,
                    file: file.clone(),
                    at: b.at,
                },
            );
        }
    }

    /// The child instance a `module` block creates; `None` when its source is
    /// not a literal, or is remote and not installed under `.terraform/modules`.
    pub fn child(
        &self,
        project: &'p Project,
        call: &Block,
        approved: impl Fn(&str) -> bool,
    ) -> Option<Instance<'p>> {
        self.child_instance(
            project,
            call,
            &crate::expand::BlockInstance::default(),
            approved,
        )
    }

    /// One instance of a module call (its `count`/`for_each` bindings and
    /// address suffix), as [`Instance::child`].
    pub fn child_instance(
        &self,
        project: &'p Project,
        call: &Block,
        each: &crate::expand::BlockInstance,
        approved: impl Fn(&str) -> bool,
    ) -> Option<Instance<'p>> {
        let name = call.label(0)?;
        let source = literal_source(call)?;
        let manifest_key = if self.manifest_key.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.manifest_key)
        };
        let dir = match local_target(&self.module.dir, &source) {
            Some(d) => d,
            None => manifest(&self.root_dir).remove(&manifest_key)?,
        };
        let module = project.modules.get(&dir)?;
        let mut vars = BTreeMap::new();
        for (var, (default, _)) in declared(module) {
            if let Some(d) = default {
                vars.insert(var, d);
            }
        }
        let mut origins = BTreeMap::new();
        let mut checked_lookup_keys = self.checked_lookup_keys.clone();
        for a in call
            .attrs
            .iter()
            .filter(|a| !META_ARGUMENTS.contains(&a.name.as_str()))
        {
            let v = self.scope.eval_with(&a.expr, &each.bindings);
            if self.key_from_checked_lookup(&v) {
                checked_lookup_keys.extend(v.unknown_reason().map(str::to_owned));
            }
            // A null argument means "use the default".
            if v != Value::Null {
                vars.insert(a.name.clone(), v);
                if let Some(origin) = self.origin_of(&a.expr, call) {
                    origins.insert(a.name.clone(), origin);
                }
            }
        }
        apply_type_defaults(module, &mut vars);
        let address = if self.address.is_empty() {
            format!("module.{name}{}", each.suffix)
        } else {
            format!("{}.module.{name}{}", self.address, each.suffix)
        };
        let mut child = Instance {
            module,
            address,
            scope: Scope {
                vars,
                locals: BTreeMap::new(),
                path_module: dir.display().to_string(),
                path_root: self.scope.path_root.clone(),
                budget: self.scope.budget.clone(),
            },
            providers: BTreeMap::new(),
            in_approved_module: self.in_approved_module || approved(&source),
            root_dir: self.root_dir.clone(),
            manifest_key,
            origins,
            today: self.today,
            checked_lookup_keys,
        };
        child.finish(self.passed_providers(call));
        Some(child)
    }

    /// Whether an unknown key ARN is the `kms_key_arn` of a `phi_audit_log_sink`
    /// or `phi_bucket` data source that keeps `require_compliant` on, declared
    /// in this module, or in a calling module that passed the key in as an
    /// argument (when this module declares no data block of that name): the
    /// provider runs the KMS checks on that key when it reads the data
    /// source, and the plan stops there if the key fails them, so it is
    /// checked before a resource using it is planned rather than
    /// unverifiable. With `require_compliant = false` (or not a literal) it
    /// is unverifiable like any other unknown key.
    ///
    /// A data source with `for_each` or `count` is read as
    /// `data.T.N[key].kms_key_arn` (or `data.T.N.0.kms_key_arn`); when
    /// `require_compliant` is on for the block as written (absent or `true`,
    /// never depending on `each` or `count`), every instance is checked, so
    /// any instance's key is too.
    pub fn key_from_checked_lookup(&self, value: &Value) -> bool {
        let Some(why) = value.unknown_reason() else {
            return false;
        };
        let parts: Vec<&str> = why.split('.').collect();
        let (ty, name, indexed) = match parts.as_slice() {
            ["data", ty, name, "kms_key_arn"] => match name.split_once('[') {
                Some((base, _)) => (*ty, base, true),
                None => (*ty, *name, false),
            },
            ["data", ty, name, index, "kms_key_arn"] if index.parse::<u64>().is_ok() => {
                (*ty, *name, true)
            }
            _ => return false,
        };
        if phi_policy::arguments::data_source_arguments(ty).is_none() {
            return false;
        }
        let mut local = self
            .module
            .blocks()
            .map(|(_, b)| b)
            .filter(|b| b.ident == "data" && b.label(0) == Some(ty) && b.label(1) == Some(name))
            .peekable();
        // A block of that name here decides, even if a caller passed in a
        // checked key read the same way: the two cannot be told apart, and
        // "could not verify" is the safe answer.
        if local.peek().is_none() {
            return self.checked_lookup_keys.contains(why);
        }
        local.any(|b| {
            (b.attr("count").is_some() || b.attr("for_each").is_some()) == indexed
                && match b.attr("require_compliant") {
                    None => true,
                    Some(a) => matches!(self.scope.eval(&a.expr), Value::Bool(true)),
                }
        })
    }

    /// Where the value of `expr` in `block` came from, when a variable set
    /// outside the code (tfvars, `TF_VAR_*`) feeds it directly or through the
    /// block's `for_each`/`count` (the instance key is in the address).
    pub fn origin_of(&self, expr: &hcl_edit::expr::Expression, block: &Block) -> Option<String> {
        let refs = crate::eval::refs::referenced(expr);
        let mut vars: Vec<String> = refs
            .iter()
            .filter(|(root, _)| root == "var")
            .map(|(_, name)| name.clone())
            .collect();
        let via_each = refs
            .iter()
            .any(|(root, _)| root == "each" || root == "count");
        if via_each {
            for meta in ["for_each", "count"] {
                if let Some(a) = block.attr(meta) {
                    vars.extend(
                        crate::eval::refs::referenced(&a.expr)
                            .into_iter()
                            .filter(|(root, _)| root == "var")
                            .map(|(_, name)| name),
                    );
                }
            }
        }
        vars.iter().find_map(|v| self.origins.get(v)).cloned()
    }

    /// The provider configurations a module call hands its child: the
    /// `providers = {}` map when present, else every default configuration.
    pub fn passed_providers(&self, call: &Block) -> BTreeMap<String, ProviderConf> {
        match call.attr("providers") {
            Some(a) => self
                .provider_map(a)
                .into_iter()
                .filter_map(|(child_name, parent_name, _)| {
                    self.providers
                        .get(&parent_name)
                        .map(|c| (child_name, c.clone()))
                })
                .collect(),
            None => self
                .providers
                .iter()
                .filter(|(k, _)| !k.contains('.'))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// Entries of a `providers = { child = parent }` map, each with the
    /// position of the `providers` argument.
    pub fn provider_map(&self, attr: &Attr) -> Vec<(String, String, Pos)> {
        let hcl_edit::expr::Expression::Object(obj) = &attr.expr else {
            return Vec::new();
        };
        obj.iter()
            .map(|(k, v)| {
                let key = match k {
                    hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_owned(),
                    hcl_edit::expr::ObjectKey::Expression(hcl_edit::expr::Expression::String(
                        s,
                    )) => s.value().to_string(),
                    hcl_edit::expr::ObjectKey::Expression(e) => describe(e),
                };
                (key, describe(v.expr()), attr.at)
            })
            .collect()
    }

    /// The provider configuration a resource uses: its `provider` meta
    /// argument, else the default configuration of its type's provider.
    pub fn provider_for(&self, resource: &Block) -> Option<&ProviderConf> {
        let ty = resource.label(0)?;
        let name = match resource.attr("provider") {
            Some(a) => describe(&a.expr),
            None => ty.split('_').next()?.to_owned(),
        };
        self.providers.get(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_sources_resolve_like_terraform() {
        let dir = Path::new("envs/prod");
        assert_eq!(
            local_target(dir, "../../modules/sink"),
            Some(PathBuf::from("modules/sink"))
        );
        assert_eq!(
            local_target(dir, "./pkg//sub"),
            Some(PathBuf::from("envs/prod/pkg/sub"))
        );
        assert_eq!(local_target(dir, "acme/sink/aws"), None);
        assert_eq!(local_target(dir, "git::https://x/y.git"), None);
    }

    #[test]
    fn env_values_are_raw_for_primitive_types_and_hcl_otherwise() {
        assert_eq!(
            env_value("eu-west-1", Some("string")),
            Value::String("eu-west-1".into())
        );
        assert_eq!(
            env_value("eu-west-1", None),
            Value::String("eu-west-1".into())
        );
        assert_eq!(
            env_value("[\"a\"]", Some("list(string)")),
            Value::List(vec![Value::String("a".into())])
        );
    }
}
