//! The output formats: the text output pinned by a snapshot, SARIF validated
//! against the official SARIF 2.1.0 schema plus GitHub code scanning's own
//! demands, JUnit and GitHub annotations.

mod common;
use common::*;

use std::path::Path;
use std::process::{Command, Stdio};

/// Runs in the fixtures directory with relative paths, so file names in the
/// output are stable wherever the repository is.
fn run_in_fixtures(args: &[&str]) -> (i32, String) {
    let out = command()
        .current_dir(fixture(""))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// Compares with `tests/snapshots/<name>`; `UPDATE_SNAPSHOTS=1` rewrites it.
fn assert_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run with UPDATE_SNAPSHOTS=1", path.display()));
    assert_eq!(
        actual, expected,
        "text output changed; if intended, rerun with UPDATE_SNAPSHOTS=1 and review the diff"
    );
}

#[test]
fn text_output_snapshot() {
    let (code, text) = run_in_fixtures(&["violations", "nested", "suppressions"]);
    assert_eq!(code, 1);
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    assert_snapshot("text.txt", &text);
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let (_, text) = run_in_fixtures(&["--color", "always", "violations"]);
    assert!(
        text.contains("\x1b[1;31mcritical[PHI-REG-001]\x1b[0m"),
        "{text}"
    );
}

/// What a fixture path looks like relative to the source root: the
/// repository's top when it is a git checkout (as in CI), else the fixtures
/// directory the tests run in.
fn from_root(path: &str) -> String {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if repo.join(".git").exists() {
        format!("lint/tests/fixtures/{path}")
    } else {
        path.to_owned()
    }
}

fn repo_tools() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/lint")
}

#[test]
fn sarif_is_valid_against_the_official_schema_and_for_github() {
    let (code, sarif) = run_in_fixtures(&[
        "--format",
        "sarif",
        "violations",
        "suppressions",
        "broken",
        "json",
    ]);
    assert_eq!(code, 1);
    let schema = repo_tools().join("sarif-2.1.0.json");
    let python = repo_tools().join("venv/bin/python");
    assert!(
        schema.is_file() && python.is_file(),
        "{} missing: run scripts/setup-lint-tools (scripts/test does)",
        schema.display()
    );
    let mut child = Command::new(&python)
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             doc = json.load(sys.stdin)\n\
             cls = jsonschema.validators.validator_for(schema)\n\
             errors = list(cls(schema).iter_errors(doc))\n\
             [print(e.message, list(e.path)) for e in errors]\n\
             sys.exit(1 if errors else 0)\n",
            schema.to_str().unwrap(),
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
        .write_all(sarif.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "schema violations:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let doc: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for rule in rules {
        assert!(
            rule["properties"]["security-severity"].is_string(),
            "GitHub wants a string: {rule}"
        );
    }
    let results = run["results"].as_array().unwrap();
    assert!(results.len() >= 8, "{results:?}");
    let mut suppressed = 0;
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], r["ruleId"],
            "ruleIndex points at the rule"
        );
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.is_empty() && !uri.starts_with('/') && !uri.contains(':'),
            "repo-relative: {uri}"
        );
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(
            r["partialFingerprints"]["primaryLocationLineHash"]
                .as_str()
                .is_some_and(|h| !h.is_empty())
        );
        if let Some(s) = r.get("suppressions") {
            suppressed += 1;
            assert_eq!(s[0]["kind"], "inSource");
            assert!(s[0]["justification"].as_str().unwrap().contains("owner"));
        }
    }
    assert_eq!(suppressed, 3, "the waived findings are kept, marked");
    // Stable across runs.
    let (_, again) = run_in_fixtures(&[
        "--format",
        "sarif",
        "violations",
        "suppressions",
        "broken",
        "json",
    ]);
    assert_eq!(sarif, again);
}

#[test]
fn absolute_paths_under_the_working_directory_become_relative_uris() {
    let dir = fixture("violations");
    let out = command()
        .current_dir(fixture(""))
        .args(["--format", "sarif", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        from_root("violations/main.tf").as_str()
    );
}

#[test]
fn sarif_uris_are_relative_to_the_repository_root_when_run_from_a_subdirectory() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join(".git")).unwrap();
    let sub = repo.path().join("infra/prod");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        sub.join("main.tf"),
        "provider \"aws\" {\n\tregion = \"ap-southeast-1\"\n}\n",
    )
    .unwrap();
    let out = command()
        .current_dir(&sub)
        .args(["--format", "sarif", "."])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &doc["runs"][0];
    let result = &run["results"][0];
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "infra/prod/main.tf");
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(root.starts_with("file://") && root.ends_with('/'), "{root}");
    // The region spans the value to the end of its line.
    assert_eq!(location["region"]["startLine"], 2);
    assert_eq!(location["region"]["endLine"], 2);
    assert_eq!(location["region"]["startColumn"], 11);
    assert_eq!(location["region"]["endColumn"], 27);
    let fingerprint = result["partialFingerprints"]["phiLintFingerprint/v1"]
        .as_str()
        .unwrap();
    assert_eq!(fingerprint.len(), 16, "{fingerprint}");
    let rule = &run["tool"]["driver"]["rules"][result["ruleIndex"].as_u64().unwrap() as usize];
    assert!(
        rule["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("/docs/controls/PHI-REG-001.md"),
        "{rule}"
    );
    assert!(run["tool"]["driver"]["informationUri"].is_string());
}

#[test]
fn the_caret_sits_under_the_value_on_a_tab_indented_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "provider \"aws\" {\n\tregion = \"ap-southeast-1\"\n}\n",
    )
    .unwrap();
    let out = command()
        .current_dir(dir.path())
        .args(["--format", "text", "."])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let source = lines
        .iter()
        .position(|l| l.contains("2 | \tregion"))
        .unwrap();
    // Same prefix, then the line's tab kept, then spaces up to the value.
    assert_eq!(lines[source + 1], "    | \t         ^", "{text}");
}

#[test]
fn junit_has_one_failing_case_per_finding() {
    let (_, xml) = run_in_fixtures(&["--format", "junit", "violations"]);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
    assert!(xml.contains("tests=\"5\" failures=\"5\""), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 5);
    assert!(xml.contains(
        "<testcase classname=\"violations/main.tf\" name=\"PHI-LOG-001 violations/main.tf:8:22\">"
    ));
    let (code, xml) = run_in_fixtures(&["--format", "junit", "compliant"]);
    assert_eq!(code, 0);
    assert!(xml.contains("tests=\"1\" failures=\"0\""), "{xml}");
}

#[test]
fn github_annotations_point_at_file_line_and_column() {
    let (_, out) = run_in_fixtures(&["--format", "github", "violations"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5);
    assert!(
        lines[0].starts_with(&format!(
            "::error file={},line=2,col=12,title=PHI-REG-001 Resources only in approved regions::",
            from_root("violations/main.tf")
        )),
        "{}",
        lines[0]
    );
}

#[test]
fn json_has_the_documented_fields() {
    let (_, json) = lint_json(&[fixture("violations").to_str().unwrap()], &[]);
    for f in json["findings"].as_array().unwrap() {
        for key in ["control", "severity", "file", "line", "column", "message"] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
    }
}

#[test]
fn github_annotations_use_repository_relative_paths() {
    let out = command()
        .current_dir(fixture(""))
        .args([
            "--format",
            "github",
            fixture("violations").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(&format!(
            "::error file={},line=2,col=12,",
            from_root("violations/main.tf")
        )),
        "{text}"
    );
}
