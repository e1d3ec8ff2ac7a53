//! The options teams adopt phi-lint with in CI: global options on either
//! side of a subcommand, --fail-on, --unverifiable, --select/--ignore,
//! --output and --exclude (whose skipped paths the report lists).

mod common;
use common::*;

use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn controls(json: &serde_json::Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["control"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn global_options_work_before_and_after_a_subcommand() {
    for args in [["--color", "never", "rules"], ["rules", "--color", "never"]] {
        let out = command().args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("PHI-REG-001"));
    }
    // The two examples: a policy before `rules`, and after it.
    let policy = fixture("modules/phi-policy.hcl");
    let p = policy.to_str().unwrap();
    for args in [["--policy", p, "rules"], ["rules", "--policy", p]] {
        let out = command().args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("PHI-LNT-001"));
    }
    let out = command()
        .args(["explain", "phi-reg-001", "--format", "text"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // A path may still follow the options.
    let dir = fixture("violations");
    let (code, _) = lint_json(&["--fail-on", "critical", dir.to_str().unwrap()], &[]);
    assert_eq!(code, 1);
}

#[test]
fn fail_on_sets_the_lowest_failing_severity() {
    // violations: one critical (region) and high findings.
    let dir = fixture("violations");
    let d = dir.to_str().unwrap();
    assert_eq!(lint_json(&["--fail-on", "critical", d], &[]).0, 1);
    let raw = fixture("raw");
    let r = raw.to_str().unwrap();
    // raw resources are high: reported, but they do not fail at critical.
    let (code, json) = lint_json(&["--fail-on", "critical", r], &[]);
    assert_eq!(code, 0, "{json}");
    assert!(!controls(&json).is_empty(), "still reported");
    assert_eq!(lint_json(&["--fail-on", "high", r], &[]).0, 1);
}

#[test]
fn unverifiable_findings_fail_unless_asked_to_warn() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        "provider \"aws\" {\n  region = data.aws_region.current.name\n}\n",
    );
    let d = dir.path().to_str().unwrap();
    let (code, json) = lint_json(&[d], &[]);
    assert_eq!(code, 1);
    assert_eq!(controls(&json), ["PHI-LNT-001"]);
    let (code, json) = lint_json(&["--unverifiable", "warn", d], &[]);
    assert_eq!(code, 0, "reported, not failing");
    assert_eq!(controls(&json), ["PHI-LNT-001"]);
}

#[test]
fn select_and_ignore_take_ids_and_prefixes_but_never_hide_verification() {
    let dir = fixture("violations");
    let d = dir.to_str().unwrap();
    let (_, all) = lint_json(&[d], &[]);
    assert_eq!(controls(&all).len(), 5);
    let (_, kms) = lint_json(&["--select", "PHI-KMS", d], &[]);
    assert_eq!(controls(&kms), ["PHI-KMS-001", "PHI-KMS-002"]);
    let (code, some) = lint_json(&["--ignore", "phi-kms-001,PHI-REG", d], &[]);
    assert_eq!(code, 1);
    assert_eq!(
        controls(&some),
        ["PHI-KMS-002", "PHI-LOG-001", "PHI-AUD-001"]
    );
    // Everything ignored: nothing left to fail.
    let (code, none) = lint_json(&["--select", "PHI-S3", d], &[]);
    assert_eq!(code, 0);
    assert!(controls(&none).is_empty());
    // A parse error stays, whatever the selection.
    let broken = fixture("broken");
    let (code, json) = lint_json(&["--select", "PHI-S3", broken.to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    assert_eq!(controls(&json), ["PHI-LNT-002"]);
}

#[test]
fn output_writes_the_report_to_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("out.sarif");
    let out = command()
        .args(["--format", "sarif", "--output", report.to_str().unwrap()])
        .arg(fixture("violations"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 5);
}

#[test]
fn exclude_skips_and_lists_every_excluded_path() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "main.tf",
        "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n",
    );
    write(
        d,
        "legacy/main.tf",
        "provider \"aws\" {\n  region = \"ap-southeast-1\"\n}\n",
    );
    write(
        d,
        "envs/old_test.tf",
        "provider \"aws\" {\n  region = \"ap-southeast-1\"\n}\n",
    );
    let out = command()
        .current_dir(d)
        .args(["--exclude", "legacy", "--exclude", "envs/*_test.tf", "."])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("excluded by --exclude: legacy\n"), "{text}");
    assert!(
        text.contains("excluded by --exclude: envs/old_test.tf\n"),
        "{text}"
    );
    assert!(text.contains("No findings (2 paths excluded)."), "{text}");
    // Formats without a summary list them on standard error.
    let out = command()
        .current_dir(d)
        .args(["--format", "sarif", "--exclude", "legacy", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("excluded by --exclude: legacy"), "{stderr}");
    let (_, json) = lint_json(&["--exclude", "legacy", d.to_str().unwrap()], &[]);
    let excluded = json["excluded"].as_array().unwrap();
    assert_eq!(excluded.len(), 1);
    assert!(excluded[0].as_str().unwrap().ends_with("legacy"));
    assert_eq!(controls(&json), ["PHI-REG-001"]);
}

#[test]
fn baseline_with_a_changed_file_fails_only_on_the_new_finding() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let raw = "resource \"aws_s3_bucket\" \"a\" {\n  bucket = \"a\"\n}\n";
    write(d, "tf/main.tf", raw);
    let baseline = d.join("baseline.json");
    let b = baseline.to_str().unwrap();
    let run = |args: &[&str]| {
        let out = command()
            .current_dir(d.join("tf"))
            .args(["--format", "json"])
            .args(args)
            .arg(".")
            .output()
            .unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        (out.status.code().unwrap(), json)
    };
    assert_eq!(run(&["--write-baseline", b]).0, 0);
    assert_eq!(run(&["--baseline", b]).0, 0);
    // The old finding moves down 3 lines and a second bucket appears.
    write(
        d,
        "tf/main.tf",
        &format!("\n\n\n{raw}resource \"aws_s3_bucket\" \"b\" {{\n  bucket = \"b\"\n}}\n"),
    );
    let (code, json) = run(&["--baseline", b]);
    assert_eq!(code, 1);
    let active = json["findings"].as_array().unwrap();
    assert_eq!(active.len(), 1, "{json}");
    assert!(active[0]["message"].as_str().unwrap().contains("\"b\""));
    // Remove the first bucket: its entry is stale, reported, not failing.
    write(d, "tf/main.tf", "");
    let (code, json) = run(&["--baseline", b]);
    assert_eq!(code, 0);
    let stale = json["stale_baseline"].as_array().unwrap();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0]["address"], "aws_s3_bucket.a");
    // A baseline that is not one is a usage error.
    write(d, "bad.json", "[]");
    assert_eq!(
        run(&["--baseline", d.join("bad.json").to_str().unwrap()]).0,
        2
    );
}
