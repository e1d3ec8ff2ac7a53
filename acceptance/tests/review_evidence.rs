//! `phi-lint review` and `phi-lint evidence` over plan and state JSON that
//! real Terraform wrote, with the real provider against moto: the compliant
//! stack, a change that turns off deletion protection and raises retention
//! while AWS has drifted, and (from a hand-written part, see the fixture) a
//! raw `aws_s3_bucket` in an unapproved region. The HTML report is rendered
//! in headless Chromium (scripts/setup-browser) and the JSON checked against
//! `docs/evidence.schema.json`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use phi_acceptance::aws::clients;
use phi_acceptance::network::private_network;
use phi_acceptance::terraform::phi_lint;
use phi_acceptance::{Moto, Workdir, repo_root};
use serde_json::{Value, json};

const STACK: &str = "examples/compliant-stack";

/// phi-lint with `args`, without any policy from the environment:
/// (exit code, stdout, stderr).
fn lint(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(phi_lint())
        .args(args)
        .env_remove("PHI_POLICY_FILE")
        .output()
        .expect("running phi-lint");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn lint_json(args: &[&str]) -> (i32, Value) {
    let (code, stdout, stderr) = lint(args);
    let doc = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}\n{stderr}"));
    (code, doc)
}

/// The compliant stack copied into a work dir, with one key per store.
struct Stack {
    wd: Workdir,
    vars: Vec<String>,
}

impl Stack {
    async fn new(moto: &Moto) -> (Stack, phi_acceptance::aws::Clients) {
        let aws = clients(moto, "eu-central-1").await;
        // The stack makes its own keys with phi_kms_key: no key variables.
        // The database's private network (PHI-RDS-013/014) is the network
        // team's, made on the endpoint and passed in.
        let net = private_network(moto, "acme-private");
        let vars = vec![
            format!("-var=db_subnet_group={}", net.subnet_group),
            format!("-var=db_security_group={}", net.security_group),
        ];
        let wd = Workdir::new(moto);
        wd.copy_repo_dir("modules").copy_repo_dir(STACK);
        let stack = Stack { wd, vars };
        stack
            .tf(
                &["init", "-no-color", "-input=false", "-backend=false"],
                false,
            )
            .assert_success();
        (stack, aws)
    }

    fn dir(&self) -> PathBuf {
        self.wd.path().join(STACK)
    }

    fn tf(&self, args: &[&str], with_vars: bool) -> phi_acceptance::TfRun {
        let chdir = format!("-chdir={STACK}");
        let mut all = vec![chdir.as_str()];
        all.extend_from_slice(args);
        if with_vars {
            all.extend(self.vars.iter().map(String::as_str));
        }
        self.wd.terraform(&all)
    }

    /// `terraform plan -out` then `terraform show -json`, written to
    /// `<name>.json` beside the stack; returns its path.
    fn plan_json(&self, name: &str) -> PathBuf {
        let out = format!("{name}.tfplan");
        self.tf(
            &["plan", "-no-color", "-input=false", &format!("-out={out}")],
            true,
        )
        .assert_success();
        self.show_json(&[&out], name)
    }

    fn show_json(&self, extra: &[&str], name: &str) -> PathBuf {
        let mut args = vec!["show", "-json", "-no-color"];
        args.extend_from_slice(extra);
        let run = self.tf(&args, false);
        run.assert_success();
        let path = self.dir().join(format!("{name}.json"));
        std::fs::write(&path, &run.stdout).unwrap();
        path
    }

    fn edit(&self, from: &str, to: &str) {
        let main = self.dir().join("main.tf");
        let text = std::fs::read_to_string(&main).unwrap();
        assert!(text.contains(from), "{from:?} not in main.tf");
        std::fs::write(&main, text.replacen(from, to, 1)).unwrap();
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every control the catalogue assigns to `ty` and the evidence report
/// covers (lint-only controls are about source, not resources).
fn catalogue_controls(ty: &str) -> BTreeSet<String> {
    phi_policy::controls()
        .iter()
        .filter(|c| c.resources.contains(&ty) && c.enforcement != phi_policy::Enforcement::Lint)
        .map(|c| c.id.to_owned())
        .collect()
}

/// Asserts the evidence lists every control of every phi resource in
/// `state`, each `enforced` entry reported with its value; returns
/// `(address, control)` of every failing control.
fn assert_complete(evidence: &Value, state: &Value) -> BTreeSet<(String, String)> {
    let mut in_state = Vec::new();
    let mut stack = vec![&state["values"]["root_module"]];
    while let Some(m) = stack.pop() {
        in_state.extend(m["resources"].as_array().into_iter().flatten());
        stack.extend(m["child_modules"].as_array().into_iter().flatten());
    }
    let resources = evidence["resources"].as_array().unwrap();
    assert_eq!(
        resources.len(),
        in_state.len(),
        "one entry per phi resource"
    );
    let mut failing = BTreeSet::new();
    for r in in_state {
        let address = r["address"].as_str().unwrap();
        let ev = resources
            .iter()
            .find(|e| e["address"] == address)
            .unwrap_or_else(|| panic!("{address} missing from the evidence"));
        let listed: BTreeSet<String> = ev["controls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            listed,
            catalogue_controls(r["type"].as_str().unwrap()),
            "{address}"
        );
        for (key, value) in r["values"]["enforced"].as_object().unwrap() {
            // `phi_kms_key` also tracks its alias, which is no control.
            if !key.starts_with("PHI-") {
                continue;
            }
            let control = key.split_whitespace().next().unwrap();
            let c = ev["controls"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == control)
                .unwrap_or_else(|| panic!("{address}: {control} not listed"));
            // A control with several settings is reported per setting
            // (`PHI-RDS-003 parameter group`); put together, in order, they
            // must give back exactly what the state holds.
            let parts: Vec<String> = c["reported"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|p| {
                    let setting = p["setting"].as_str()?;
                    let v = p["value"].as_str()?;
                    if setting == key {
                        Some(v.to_owned())
                    } else {
                        let name = setting.strip_prefix(&format!("{key} "))?;
                        Some(format!("{name}: {v}"))
                    }
                })
                .collect();
            assert_eq!(
                Some(parts.join("; ").as_str()),
                value.as_str(),
                "{address}: {key} not reported as the state holds it: {c:#}"
            );
        }
        for c in ev["controls"].as_array().unwrap() {
            assert!(!c["hipaa"].as_array().unwrap().is_empty());
            assert!(!c["gdpr"].as_array().unwrap().is_empty());
            if c["status"] == "fail" {
                failing.insert((address.to_owned(), c["id"].as_str().unwrap().to_owned()));
            }
        }
    }
    failing
}

/// Validates `doc` against docs/evidence.schema.json with the `jsonschema`
/// package that moto[server] brings into .tools/venv.
fn assert_schema_valid(doc: &Value) {
    let python = repo_root().join(".tools/venv/bin/python");
    let schema = repo_root().join("docs/evidence.schema.json");
    let mut child = Command::new(python)
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             cls = jsonschema.validators.validator_for(schema)\n\
             cls.check_schema(schema)\n\
             errors = list(cls(schema).iter_errors(json.load(sys.stdin)))\n\
             [print(e.message, list(e.path)) for e in errors]\n\
             sys.exit(1 if errors else 0)\n",
            s(&schema),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(doc.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "evidence JSON violates the schema:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Decodes an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes)
/// with Python's standard library and, for each pixel row, counts the pixels
/// near each of `colours`. No image crate: one would change the features of
/// crates the AWS SDK shares and rebuild it.
const PNG_ROWS: &str = r#"
import json, struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, head = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        head = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
w, h, depth, ctype, _, _, interlace = head
assert depth == 8 and ctype in (2, 6) and interlace == 0, head
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
colours = json.loads(sys.argv[2])
prev, i = bytearray(stride), 0
for _ in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    counts = [0] * len(colours)
    for x in range(0, stride, bpp):
        px = line[x:x + 3]
        for k, col in enumerate(colours):
            if all(abs(px[j] - col[j]) <= 12 for j in range(3)):
                counts[k] += 1
    print(" ".join(map(str, counts)))
    prev = line
"#;

/// Renders `html` in headless Chromium (1000x1300): for each pixel row of
/// the screenshot, how many pixels are near each of `colours`; and the DOM
/// after rendering.
fn render(html: &Path, dir: &Path, colours: &[[u8; 3]]) -> (Vec<Vec<usize>>, String) {
    let profile = tempfile::tempdir().unwrap();
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--hide-scrollbars",
    ];
    let url = format!("file://{}", html.display());
    let chromium = |extra: &[String]| {
        let out = Command::new("chromium")
            .args(flags)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(&url)
            .output()
            .expect("chromium is installed (scripts/setup-browser)");
        assert!(out.status.success(), "chromium failed: {out:?}");
        out
    };
    let png_path = dir.join("evidence.png");
    chromium(&[
        "--window-size=1000,1300".to_owned(),
        format!("--screenshot={}", png_path.display()),
    ]);
    let dom = String::from_utf8(chromium(&["--dump-dom".to_owned()]).stdout).unwrap();
    let out = Command::new(repo_root().join(".tools/venv/bin/python"))
        .args(["-c", PNG_ROWS, s(&png_path), &json!(colours).to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "decoding the screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').map(|n| n.parse().unwrap()).collect())
        .collect();
    (rows, dom)
}

/// Pixel rows where at least `min` pixels have colour number `k`.
fn rows_with(rows: &[Vec<usize>], k: usize, min: usize) -> usize {
    rows.iter().filter(|r| r[k] >= min).count()
}

/// Writes the HTML evidence of `state`, renders it and checks the page shows
/// the control table: its grid lines, its badges, and every control row in
/// the DOM; `fail_badges` says whether red "fail" badges must show.
fn assert_html_renders(state: &Path, dir: &Path, fail_badges: bool) {
    let html = dir.join("evidence.html");
    let (code, _, stderr) = lint(&["evidence", s(state), "--format", "html", "-o", s(&html)]);
    assert!(code == 0 || code == 1, "{stderr}");
    let page = std::fs::read_to_string(&html).unwrap();
    for external in ["<script", "<link", "src=", "url(", "@import"] {
        assert!(
            !page.contains(external),
            "external asset or script: {external}"
        );
    }
    // Table borders (#999), pass badges (#2e7d32), fail badges (#c62828).
    let colours = [[0x99, 0x99, 0x99], [0x2e, 0x7d, 0x32], [0xc6, 0x28, 0x28]];
    let (rows, dom) = render(&html, dir, &colours);
    assert_eq!(rows.len(), 1300, "screenshot height");
    // Borders drawn across most of the table's width: one per row boundary.
    // The first screen holds some twenty control rows.
    let grid = rows_with(&rows, 0, 500);
    assert!(grid >= 15, "only {grid} table grid lines in the screenshot");
    assert!(rows_with(&rows, 1, 20) > 0, "no pass badge visible");
    let red = rows_with(&rows, 2, 20);
    assert_eq!(red > 0, fail_badges, "fail badges: {red} pixel rows");
    for c in phi_policy::controls()
        .iter()
        .filter(|c| c.enforcement != phi_policy::Enforcement::Lint)
    {
        assert!(
            dom.contains(&format!("<tr data-control=\"{}\">", c.id)),
            "{} row missing from the rendered DOM",
            c.id
        );
    }
}

#[tokio::test]
async fn review_and_evidence_of_the_compliant_stack_a_risky_change_and_drift() {
    let moto = Moto::start().unwrap();
    let (stack, aws) = Stack::new(&moto).await;
    stack
        .tf(
            &["apply", "-auto-approve", "-no-color", "-input=false"],
            true,
        )
        .assert_success();
    let dir = stack.dir();

    // The compliant stack: evidence lists every control of every resource,
    // nothing fails, the JSON follows the schema, the HTML renders.
    let state_path = stack.show_json(&[], "state");
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(&state_path).unwrap()).unwrap();
    let (code, evidence) = lint_json(&["evidence", s(&state_path), "--format", "json"]);
    assert_eq!(code, 0, "{evidence:#}");
    assert_eq!(evidence["status"], "pass");
    assert!(assert_complete(&evidence, &state).is_empty());
    assert_schema_valid(&evidence);
    assert_eq!(
        evidence["state"]["terraform_version"],
        state["terraform_version"]
    );
    assert_eq!(evidence["policy"]["source"], "the built-in baseline");
    let (_, md, _) = lint(&["evidence", s(&state_path)]);
    for c in evidence["controls"].as_array().unwrap() {
        assert!(md.contains(&format!("| {} |", c["id"].as_str().unwrap())));
    }
    assert_html_renders(&state_path, &dir, false);

    // A plan with nothing to change: nothing for a reviewer.
    let quiet = stack.plan_json("quiet");
    let (code, review) = lint_json(&["review", s(&quiet), "--format", "json"]);
    assert_eq!(code, 0, "{review:#}");
    assert_eq!(review["phi_changes"], json!([]));
    assert_eq!(review["findings"], json!([]));

    // AWS drifts: the records bucket loses its public access block and the
    // audit log group's retention is cut to 30 days, outside Terraform.
    aws.s3
        .delete_public_access_block()
        .bucket("acme-records")
        .send()
        .await
        .unwrap();
    aws.logs
        .put_retention_policy()
        .log_group_name("/phi-guard/audit/acme-audit")
        .retention_in_days(30)
        .send()
        .await
        .unwrap();
    // The refreshed state: evidence fails exactly where AWS was changed.
    stack
        .tf(
            &[
                "apply",
                "-refresh-only",
                "-auto-approve",
                "-no-color",
                "-input=false",
            ],
            true,
        )
        .assert_success();
    let drifted_path = stack.show_json(&[], "drifted-state");
    let drifted: Value =
        serde_json::from_str(&std::fs::read_to_string(&drifted_path).unwrap()).unwrap();
    let (code, evidence) = lint_json(&["evidence", s(&drifted_path), "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(evidence["status"], "fail");
    assert_schema_valid(&evidence);
    let failing = assert_complete(&evidence, &drifted);
    let want: BTreeSet<(String, String)> = [
        ("module.audit.phi_audit_log_sink.this", "PHI-LOG-001"),
        ("module.records.phi_bucket.this", "PHI-S3-002"),
    ]
    .iter()
    .map(|(a, c)| ((*a).to_owned(), (*c).to_owned()))
    .collect();
    assert_eq!(failing, want);
    // Failing first: the first control row and the first resources are failing.
    assert_eq!(evidence["controls"][0]["status"], "fail");
    assert_eq!(evidence["resources"][0]["status"], "fail");
    assert_eq!(evidence["resources"][1]["status"], "fail");
    assert_html_renders(&drifted_path, &dir, true);

    // The change: retention raised, the database's deletion protection off.
    stack.edit(
        "  owner       = \"security-team\"\n",
        "  owner       = \"security-team\"\n  retention_days = 2557\n",
    );
    stack.edit(
        "  owner                 = \"ehr-team\"\n",
        "  owner                 = \"ehr-team\"\n  deletion_protection   = false\n",
    );
    let change = stack.plan_json("change");
    let (code, review) = lint_json(&["review", s(&change), "--format", "json"]);
    assert_eq!(code, 1, "{review:#}");
    let changes = review["phi_changes"].as_array().unwrap();
    let summary: BTreeSet<String> = changes
        .iter()
        .flat_map(|c| {
            let address = c["address"].as_str().unwrap().to_owned();
            assert_eq!(c["action"], "update", "{address}");
            let a = address.clone();
            c["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |ch| {
                    format!(
                        "{a}: {} {}",
                        ch["description"].as_str().unwrap(),
                        ch["controls"]
                    )
                })
                .chain(c["restored"].as_array().unwrap().iter().map(move |r| {
                    format!(
                        "{address}: restored {} {} -> {}",
                        r["control"].as_str().unwrap(),
                        r["before"].as_str().unwrap(),
                        r["after"].as_str().unwrap()
                    )
                }))
                .collect::<Vec<_>>()
        })
        .collect();
    let expected: BTreeSet<String> = [
        "module.audit.phi_audit_log_sink.this: retention 2192 → 2557 days [\"PHI-LOG-001\",\"PHI-AUD-002\"]",
        "module.audit.phi_audit_log_sink.this: restored PHI-LOG-001 30 days -> 2557 days",
        "module.ehr.phi_database.this: deletion protection turned off [\"PHI-RDS-008\"]",
        "module.records.phi_bucket.this: restored PHI-S3-002 not configured -> all four blocks on",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    assert_eq!(summary, expected, "{review:#}");
    assert_eq!(changes.len(), 3);
    assert_eq!(review["findings"], json!([]));
    assert_eq!(review["raw_resources"], json!([]));
    assert_eq!(review["exceptions"], json!([]));
    let (code, md, _) = lint(&["review", s(&change)]);
    assert_eq!(code, 1);
    for line in [
        "retention 2192 → 2557 days, PHI-LOG-001, PHI-AUD-002",
        "deletion protection turned off, PHI-RDS-008",
        "restored (drift): All four S3 public access blocks on: AWS reports \"not configured\"; apply sets \"all four blocks on\", PHI-S3-002",
    ] {
        assert!(md.contains(line), "{line:?} not in:\n{md}");
    }

    // Each command says clearly when it is handed the other's file.
    let (code, _, stderr) = lint(&["review", s(&state_path)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("this is a state, not a plan"), "{stderr}");
    let (code, _, stderr) = lint(&["evidence", s(&change)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("this is a plan, not a state"), "{stderr}");
    let (code, _, stderr) = lint(&["review", s(&dir.join("change.tfplan"))]);
    assert_eq!(code, 2);
    assert!(stderr.contains("binary plan file"), "{stderr}");
}

/// A raw `aws_s3_bucket` in ap-southeast-1 added to a real plan of the
/// compliant stack (see the fixture for why that part is hand-written): the
/// review lists the bucket with its planned values and exactly two
/// findings, the unapproved region where the provider sets it and the raw
/// resource, while the phi resources to be created raise nothing.
#[tokio::test]
async fn review_of_a_raw_s3_bucket_in_an_unapproved_region() {
    let moto = Moto::start().unwrap();
    let (stack, _aws) = Stack::new(&moto).await;
    let plan_path = stack.plan_json("create");
    let mut plan: Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_path).unwrap()).unwrap();
    let creates: Vec<String> = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rc| rc["address"].as_str().unwrap().to_owned())
        .collect();
    let part: Value = serde_json::from_str(
        &std::fs::read_to_string(
            repo_root().join("acceptance/tests/fixtures/raw-s3-bucket.plan-part.json"),
        )
        .unwrap(),
    )
    .unwrap();
    plan["configuration"]["provider_config"]["aws"] = part["provider_config"]["aws"].clone();
    plan["resource_changes"]
        .as_array_mut()
        .unwrap()
        .push(part["resource_change"].clone());
    let merged = stack.dir().join("raw-bucket-plan.json");
    std::fs::write(&merged, plan.to_string()).unwrap();

    let (code, review) = lint_json(&["review", s(&merged), "--format", "json"]);
    assert_eq!(code, 1, "{review:#}");
    let found: BTreeSet<(String, String)> = review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["control"].as_str().unwrap().to_owned(),
                f["address"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("PHI-REG-001", "provider \"aws\""),
        ("PHI-LNT-003", "aws_s3_bucket.records"),
    ]
    .iter()
    .map(|(c, a)| ((*c).to_owned(), (*a).to_owned()))
    .collect();
    assert_eq!(found, want, "{review:#}");
    let raw = &review["raw_resources"];
    assert_eq!(raw.as_array().unwrap().len(), 1);
    assert_eq!(raw[0]["address"], "aws_s3_bucket.records");
    assert_eq!(raw[0]["region"], "ap-southeast-1");
    assert_eq!(raw[0]["actions"], json!(["create"]));
    assert!(
        raw[0]["settings"]
            .as_array()
            .unwrap()
            .contains(&json!(["bucket", "acme-records-raw"]))
    );
    // The phi resources are created with their controls, nothing to review.
    let phi: Vec<&str> = review["phi_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert_eq!(phi, creates);
    assert!(
        review["phi_changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["action"] == "create" && c["restored"] == json!([]))
    );
}
