//! Writes cases as Terraform: many cases side by side in one root, each in
//! its own file `c<id>.tf` (with its module under `modules/c<id>/` and its
//! tfvars line in `terraform.tfvars`), so one `terraform plan` and one
//! phi-lint run judge a whole batch.

use super::cases::{Case, KEY, Kind, PolicyKind, Way};

/// One file of a root: (path relative to the root, contents).
pub type File = (String, String);

const ADMIN: &str = "\"arn:aws:iam::123456789012:role/admin\"";

/// The root's `versions.tf`: the phi provider pinned, in eu-central-1.
pub const VERSIONS: &str = "terraform {\n  required_providers {\n    phi = {\n      source  = \"phi-guard/phi\"\n      version = \"0.1.0\"\n    }\n  }\n}\n\nprovider \"phi\" {\n  region = \"eu-central-1\"\n}\n";

const MODULE_VERSIONS: &str = "terraform {\n  required_providers {\n    phi = {\n      source  = \"phi-guard/phi\"\n      version = \">= 0.1.0\"\n    }\n  }\n}\n";

/// The real keys in moto the values refer to: the compliant key in
/// eu-central-1 (`KEY` in values) and a replica key per region
/// (`REPLICA_KEY_<region>`), so the provider's API checks on them pass and
/// only what the configuration says is judged.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    pub main: String,
    pub replicas: Vec<(String, String)>,
}

impl Keys {
    fn fill(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (region, arn) in &self.replicas {
            text = text.replace(&format!("REPLICA_KEY_{region}"), arn);
        }
        text
    }
}

/// The private network (subnet group, security group id) the run created
/// in the emulator, see [`use_database_network`].
static NETWORK: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();

/// Sets the private network every generated `phi_database` is placed in;
/// called once per run, before any root is written.
pub fn use_database_network(subnet_group: &str, security_group: &str) {
    let _ = NETWORK.set((subnet_group.to_owned(), security_group.to_owned()));
}

/// The network arguments every `phi_database` carries (the provider
/// requires both, PHI-RDS-013/014): literals, so phi-lint knows them and the
/// provider checks them against the emulator's EC2.
pub fn database_network() -> Vec<(&'static str, String)> {
    match NETWORK.get() {
        Some((group, sg)) => vec![
            ("db_subnet_group_name", format!("\"{group}\"")),
            ("vpc_security_group_ids", format!("[\"{sg}\"]")),
        ],
        None => Vec::new(),
    }
}

/// The compliant arguments of a root of `kind`, named by `name` (an HCL
/// expression), before the varied attribute is set.
fn compliant(kind: Kind, name: &str, policy: PolicyKind, key: &str) -> Vec<(&'static str, String)> {
    let key = format!("\"{key}\"");
    let mut out = match kind {
        Kind::Sink => vec![
            ("name", name.to_owned()),
            ("kms_key_arn", key),
            // The floor of the policy in force.
            (
                "retention_days",
                if policy == PolicyKind::Stricter {
                    "2557"
                } else {
                    "2192"
                }
                .to_owned(),
            ),
        ],
        Kind::Bucket => vec![
            ("name", name.to_owned()),
            ("kms_key_arn", key),
            ("audit_log_sink", "\"acme-audit\"".to_owned()),
        ],
        Kind::Database => {
            let mut db = vec![
                ("identifier", name.to_owned()),
                ("engine", "\"postgres\"".to_owned()),
                ("engine_version", "\"16.4\"".to_owned()),
                ("instance_class", "\"db.t3.medium\"".to_owned()),
                ("allocated_storage_gb", "20".to_owned()),
                ("kms_key_arn", key),
            ];
            db.extend(database_network());
            db
        }
        Kind::Key | Kind::Provider => vec![
            ("name", name.to_owned()),
            ("services", "[\"s3\"]".to_owned()),
            ("administrator_arns", format!("[{ADMIN}]")),
        ],
    };
    if matches!(policy, PolicyKind::Stricter | PolicyKind::Exceptions) {
        out.push(("tags", "{ owner = \"platform\" }".to_owned()));
    }
    out
}

fn resolve(value: &str, key: &str) -> String {
    if value == KEY {
        format!("\"{key}\"")
    } else {
        value.to_owned()
    }
}

fn block(head: &str, meta: &[String], attrs: &[(&str, String)]) -> String {
    let width = attrs.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut s = format!("{head} {{\n");
    for m in meta {
        s.push_str(&format!("  {m}\n"));
    }
    for (n, v) in attrs {
        s.push_str(&format!("  {n:width$} = {v}\n"));
    }
    s.push_str("}\n");
    s
}

/// Sets `name` to `value` in `attrs` (replacing the compliant value).
fn set(attrs: &mut Vec<(&'static str, String)>, name: &'static str, value: String) {
    match attrs.iter_mut().find(|(n, _)| *n == name) {
        Some(slot) => slot.1 = value,
        None => attrs.push((name, value)),
    }
}

/// A case's files, plus the line it adds to `terraform.tfvars`.
pub fn case(case: &Case, key: &str) -> (Vec<File>, Option<String>) {
    let id = case.id;
    let a = &case.attribute;
    let value = resolve(case.value, key);
    let good = resolve(a.compliant, key);
    let var = format!("c{id}");
    let stem = case.name();
    let name = match case.way {
        Way::ForEachMap => format!("\"{stem}-${{each.key}}\""),
        Way::Count => format!("\"{stem}-${{count.index}}\""),
        _ => format!("\"{stem}\""),
    };
    let mut attrs = compliant(a.kind, &name, a.policy, key);
    let mut meta = Vec::new();
    let mut top = String::new();
    let mut tfvars = None;
    let mut files = Vec::new();
    let expr = match case.way {
        Way::Literal => value.clone(),
        Way::VariableDefault => {
            top.push_str(&format!(
                "variable \"{var}\" {{\n  type    = {}\n  default = {value}\n}}\n\n",
                a.ty
            ));
            format!("var.{var}")
        }
        Way::Tfvars => {
            top.push_str(&format!("variable \"{var}\" {{\n  type = {}\n}}\n\n", a.ty));
            tfvars = Some(format!("{var} = {value}\n"));
            format!("var.{var}")
        }
        Way::Local => {
            top.push_str(&format!("locals {{\n  {var} = {value}\n}}\n\n"));
            format!("local.{var}")
        }
        Way::ForEachMap => {
            top.push_str(&format!(
                "locals {{\n  {var} = {{\n    a = {good}\n    b = {value}\n  }}\n}}\n\n"
            ));
            meta.push(format!("for_each = local.{var}"));
            "each.value".to_owned()
        }
        Way::Count => {
            meta.push("count = 2".to_owned());
            format!("count.index == 0 ? {good} : {value}")
        }
        Way::ModuleArgument => {
            top.push_str(&format!(
                "module \"{var}\" {{\n  source = \"./modules/{var}\"\n  value  = {value}\n}}\n\n"
            ));
            "var.value".to_owned()
        }
        Way::OptionalDefault => {
            top.push_str(&format!(
                "variable \"{var}\" {{\n  type    = object({{ value = optional({}, {value}) }})\n  default = {{}}\n}}\n\n",
                a.ty
            ));
            format!("var.{var}.value")
        }
    };
    if a.kind == Kind::Provider {
        // The varied value is the provider's region; a key uses the alias
        // (Terraform configures only providers something uses).
        let provider = block(
            "provider \"phi\"",
            &[],
            &[("alias", format!("\"{var}\"")), ("region", expr)],
        );
        meta.insert(0, format!("provider = phi.{var}"));
        let key_block = block(
            &format!("resource \"phi_kms_key\" \"{var}\""),
            &meta,
            &attrs,
        );
        files.push((format!("{var}.tf"), format!("{top}{provider}\n{key_block}")));
        return (files, tfvars);
    }
    set(&mut attrs, a.name, expr);
    let resource_type = a.kind.resource_type();
    if case.way == Way::ModuleArgument {
        let module = format!(
            "{MODULE_VERSIONS}\nvariable \"value\" {{\n  type = {}\n}}\n\n{}",
            a.ty,
            block(
                &format!("resource \"{resource_type}\" \"r\""),
                &meta,
                &attrs
            )
        );
        files.push((format!("modules/{var}/main.tf"), module));
        files.push((format!("{var}.tf"), top));
    } else {
        let resource = block(
            &format!("resource \"{resource_type}\" \"{var}\""),
            &meta,
            &attrs,
        );
        files.push((format!("{var}.tf"), format!("{top}{resource}")));
    }
    (files, tfvars)
}

/// A root holding every case of `cases`: `versions.tf`, one file per case,
/// `terraform.tfvars` when any case needs it.
pub fn root(cases: &[&Case], keys: &Keys) -> Vec<File> {
    let mut files = vec![("versions.tf".to_owned(), VERSIONS.to_owned())];
    let mut tfvars = String::new();
    for c in cases {
        let (f, line) = case(c, &keys.main);
        files.extend(f.into_iter().map(|(p, t)| (p, keys.fill(&t))));
        tfvars.push_str(&keys.fill(&line.unwrap_or_default()));
    }
    if !tfvars.is_empty() {
        files.push(("terraform.tfvars".to_owned(), tfvars));
    }
    files
}
