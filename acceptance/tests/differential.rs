//! Differential test, linter against provider: configurations generated from
//! one compliant root by varying a checked attribute through boundary and
//! violating values and through each way a value can reach it (literal,
//! variable default, tfvars, local, `for_each` map, `count`, module
//! argument, `optional()` default). For each, the set of (control, file,
//! line, instance) phi-lint reports must equal the set of refusals in
//! `terraform plan` by the real provider against moto.
//!
//! Scope today: PHI-LOG-001 (`retention_days` of `phi_audit_log_sink`), the
//! control whose value a plan can refuse without any other AWS object; the
//! generator is written so further attributes are one more `Attribute`.
//! The whole set (8 ways x 4 values) runs in CI:
//! `cargo test -p phi-acceptance --test differential`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use phi_acceptance::aws::{clients, create_cmk};
use phi_acceptance::terraform::phi_lint;
use phi_acceptance::{Moto, Workdir};

/// (control, file relative to the root, line, instance address).
type Refusal = (String, String, u64, String);

/// A plan error being read: control, then its address and location.
type Pending = Option<(String, Option<String>, Option<(String, u64)>)>;

const VERSIONS: &str = "terraform {\n  required_providers {\n    phi = {\n      source  = \"phi-guard/phi\"\n      version = \"0.1.0\"\n    }\n  }\n}\n\nprovider \"phi\" {\n  region = \"eu-central-1\"\n}\n";

/// Every way a value can arrive, as (files to write) for a value.
const WAYS: &[&str] = &[
    "literal",
    "variable default",
    "tfvars",
    "local",
    "for_each map",
    "count",
    "module argument",
    "optional() default",
];

/// Boundary and violating values of `retention_days` under the baseline
/// (accepted: 2192, 2557, 2922, 3288 or 3653).
const VALUES: &[u32] = &[2191, 2192, 3653, 3654];

fn sink(name: &str, key: &str, retention: &str, meta: &str) -> String {
    format!(
        "resource \"phi_audit_log_sink\" \"s\" {{\n{meta}  name           = {name}\n  kms_key_arn    = \"{key}\"\n  retention_days = {retention}\n}}\n"
    )
}

/// The files of one configuration: (path, contents).
fn configuration(way: &str, value: u32, key: &str) -> Vec<(String, String)> {
    let n = "\"acme-diff\"";
    let main = match way {
        "literal" => sink(n, key, &value.to_string(), ""),
        "variable default" => format!(
            "variable \"days\" {{\n  type    = number\n  default = {value}\n}}\n\n{}",
            sink(n, key, "var.days", "")
        ),
        "tfvars" => format!(
            "variable \"days\" {{\n  type = number\n}}\n\n{}",
            sink(n, key, "var.days", "")
        ),
        "local" => format!(
            "locals {{\n  days = {value}\n}}\n\n{}",
            sink(n, key, "local.days", "")
        ),
        "for_each map" => format!(
            "locals {{\n  sinks = {{ a = 2192, b = {value} }}\n}}\n\n{}",
            sink(
                "\"acme-diff-${each.key}\"",
                key,
                "each.value",
                "  for_each       = local.sinks\n"
            )
        ),
        "count" => sink(
            "\"acme-diff-${count.index}\"",
            key,
            &format!("count.index == 0 ? 2192 : {value}"),
            "  count          = 2\n",
        ),
        "module argument" => {
            format!("module \"m\" {{\n  source = \"./m\"\n  days   = {value}\n}}\n")
        }
        "optional() default" => format!(
            "variable \"audit\" {{\n  type    = object({{ days = optional(number, {value}) }})\n  default = {{}}\n}}\n\n{}",
            sink(n, key, "var.audit.days", "")
        ),
        other => unreachable!("{other}"),
    };
    let mut files = vec![
        ("versions.tf".to_owned(), VERSIONS.to_owned()),
        ("main.tf".to_owned(), main),
    ];
    if way == "tfvars" {
        files.push(("terraform.tfvars".to_owned(), format!("days = {value}\n")));
    }
    if way == "module argument" {
        files.push((
            "m/main.tf".to_owned(),
            format!(
                "terraform {{\n  required_providers {{\n    phi = {{\n      source  = \"phi-guard/phi\"\n      version = \">= 0.1.0\"\n    }}\n  }}\n}}\n\nvariable \"days\" {{\n  type = number\n}}\n\n{}",
                sink(n, key, "var.days", "")
            ),
        ));
    }
    files
}

/// phi-lint's findings other than its own PHI-LNT-* ones.
fn linter(root: &Path) -> BTreeSet<Refusal> {
    let out = Command::new(phi_lint())
        .args(["--format", "json"])
        .env_remove("PHI_POLICY_FILE")
        .arg(root)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let prefix = format!("{}/", root.display());
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["control"].as_str().unwrap().starts_with("PHI-LNT-"))
        .map(|f| {
            let file = f["file"].as_str().unwrap();
            let message = f["message"].as_str().unwrap();
            (
                f["control"].as_str().unwrap().to_owned(),
                file.strip_prefix(&prefix).unwrap_or(file).to_owned(),
                f["line"].as_u64().unwrap(),
                message.split(": ").next().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// The errors of a plan that name a control: `Error: PHI-…`, then
/// `with <address>,` and `on <file> line <n>`.
fn provider(output: &str) -> BTreeSet<Refusal> {
    let mut out = BTreeSet::new();
    let mut current: Pending = None;
    let mut flush = |c: &mut Pending| {
        if let Some((control, Some(address), Some((file, line)))) = c.take() {
            out.insert((control, file, line, address));
        }
    };
    for raw in output.lines() {
        let line = raw.trim_start_matches(['│', '╷', '╵', ' ']).trim_end();
        if let Some(rest) = line.strip_prefix("Error: ") {
            flush(&mut current);
            let control: String = rest
                .chars()
                .take_while(|c| *c != ':' && *c != ' ')
                .collect();
            if control.starts_with("PHI-") {
                current = Some((control, None, None));
            }
        } else if line.starts_with("Warning: ") {
            flush(&mut current);
        } else if let Some((_, address, at)) = current.as_mut() {
            if let Some(a) = line.strip_prefix("with ") {
                *address = Some(a.trim_end_matches(',').to_owned());
            } else if let Some(rest) = line.strip_prefix("on ")
                && let Some((file, after)) = rest.split_once(" line ")
            {
                let n: String = after.chars().take_while(char::is_ascii_digit).collect();
                *at = Some((file.to_owned(), n.parse().unwrap_or(0)));
            }
        }
    }
    flush(&mut current);
    out
}

#[tokio::test]
async fn linter_and_provider_refuse_the_same_instances_on_the_same_lines() {
    let moto = Moto::start().unwrap();
    let aws = clients(&moto, "eu-central-1").await;
    let key = create_cmk(&aws, true).await;
    let mut disagreements = Vec::new();
    let mut refused = 0;
    for way in WAYS {
        for value in VALUES {
            let wd = Workdir::new(&moto);
            for (path, text) in configuration(way, *value, &key) {
                if let Some(parent) = Path::new(&path).parent() {
                    std::fs::create_dir_all(wd.path().join(parent)).unwrap();
                }
                wd.write(&path, &text);
            }
            if *way == "module argument" {
                // Local modules are recorded by `terraform get` (init without
                // providers: the provider comes from the dev override).
                wd.terraform(&["get", "-no-color"]).assert_success();
            }
            let lint = linter(wd.path());
            let plan = wd.plan(&[]);
            let provider = provider(&plan.combined());
            if !provider.is_empty() {
                refused += 1;
            }
            if lint != provider {
                disagreements.push(format!(
                    "{way}, retention {value}:\n  phi-lint: {lint:?}\n  provider: {provider:?}\n{}",
                    plan.combined()
                ));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    // The sample exercises both verdicts: every way with a violating value.
    assert_eq!(refused, WAYS.len() * 2, "violating configurations refused");
}
