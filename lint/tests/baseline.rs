//! The baseline round trip on real code (`../shared/corpus`, read in place;
//! changed only in a temporary copy): record, re-run clean, then in a copy
//! move lines, remove one finding and add one — exactly the new finding
//! fails and the removed one is reported stale. Skipped, with a message,
//! only when the corpus is absent.

mod common;
use common::*;

use std::path::{Path, PathBuf};

/// `shared/corpus` beside the repository, or `$PHI_LINT_CORPUS` (a git
/// worktree elsewhere).
fn corpus() -> Option<PathBuf> {
    let beside = phi_lint::walk::normalize(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
    );
    std::env::var_os("PHI_LINT_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .chain([beside])
        .find(|d| d.is_dir())
}

/// Runs phi-lint in `dir` on `.`, JSON output.
fn run(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = command()
        .current_dir(dir)
        .args(["--format", "json"])
        .args(args)
        .arg(".")
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "not JSON: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), json)
}

fn list(json: &serde_json::Value, key: &str) -> Vec<serde_json::Value> {
    json[key].as_array().cloned().unwrap_or_default()
}

/// Removes the block that starts on 1-based `line` (to its closing brace).
fn remove_block(text: &str, line: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut depth = 0usize;
    let mut end = line - 1;
    for (i, l) in lines.iter().enumerate().skip(line - 1) {
        depth += l.matches('{').count();
        depth = depth.saturating_sub(l.matches('}').count());
        if depth == 0 {
            end = i;
            break;
        }
    }
    let mut out: Vec<&str> = lines[..line - 1].to_vec();
    out.extend(&lines[end + 1..]);
    out.join("\n") + "\n"
}

#[test]
fn baseline_round_trip_on_the_corpus() {
    let Some(corpus) = corpus() else {
        eprintln!("SKIPPED: ../shared/corpus not found (set PHI_LINT_CORPUS)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let baseline = tmp.path().join("baseline.json");
    let b = baseline.to_str().unwrap();

    // Record today's findings: exit 0 whatever they are.
    let (code, first) = run(&corpus, &["--write-baseline", b]);
    assert_eq!(code, 0);
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    let entries = list(&recorded, "findings");
    assert_eq!(entries.len(), list(&first, "findings").len());
    assert!(entries.len() > 100, "{}", entries.len());

    // Re-run against it: clean, nothing stale.
    let (code, clean) = run(&corpus, &["--baseline", b]);
    assert_eq!(code, 0, "{}", clean["findings"]);
    assert!(list(&clean, "findings").is_empty());
    assert!(list(&clean, "stale_baseline").is_empty());
    assert_eq!(
        list(&clean, "suppressed").len(),
        entries.len() + list(&first, "suppressed").len()
    );

    // A copy with one file changed.
    let copy = tmp.path().join("corpus");
    let status = std::process::Command::new("cp")
        .args(["-a", corpus.to_str().unwrap(), copy.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let removed = list(&first, "findings")
        .into_iter()
        .find(|f| f["control"] == "PHI-LNT-003")
        .expect("the corpus has raw resources");
    let file = removed["file"].as_str().unwrap();
    let path = copy.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let line = removed["line"].as_u64().unwrap() as usize;
    let header = text.lines().nth(line - 1).unwrap().to_owned();
    let mut changed = remove_block(&text, line);
    // Lines added above move every other finding of the file.
    changed.insert_str(0, "# moved down by a baseline test\n\n\n\n");
    changed.push_str(
        "\nresource \"aws_s3_bucket\" \"added_by_baseline_test\" {\n  bucket = \"x\"\n}\n",
    );
    std::fs::write(&path, changed).unwrap();

    let (code, after) = run(&copy, &["--baseline", b]);
    assert_eq!(code, 1);
    let active = list(&after, "findings");
    assert_eq!(active.len(), 1, "exactly the new finding: {active:#?}");
    assert_eq!(active[0]["control"], "PHI-LNT-003");
    assert!(
        active[0]["message"]
            .as_str()
            .unwrap()
            .contains("added_by_baseline_test")
    );
    let stale = list(&after, "stale_baseline");
    assert!(!stale.is_empty(), "the removed finding is stale");
    // `resource "type" "name" {` -> type.name
    let labels: Vec<&str> = header.split('"').collect();
    let address = format!("{}.{}", labels[1], labels[3]);
    for s in &stale {
        assert_eq!(s["file"], file, "{s}");
        assert_eq!(s["address"], address.as_str(), "{s}");
    }
    assert!(
        stale.iter().any(|s| s["control"] == "PHI-LNT-003"),
        "{stale:?}"
    );
}
