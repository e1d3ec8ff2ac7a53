//! Hostile inputs: every reproduction from issue 10, run against the real
//! binary as a subprocess under a 10 s CPU-time limit and a 1 GiB
//! peak-memory limit (both polled from /proc; CPU rather than wall time, so
//! a busy CI machine does not fail the test, with a 60 s wall-clock guard
//! against a hang). Each asserts the exit code is 0, 1
//! or 2 — never a panic (101) or an abort (134) — and what the run must
//! report: a file Terraform reads is never silently skipped, and an input
//! too costly to evaluate is "could not verify" (PHI-LNT-001), never a pass.

mod common;
use common::*;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CPU_TICKS: u64 = 10 * 100; // 10 s at Linux's USER_HZ of 100
const WALL: Duration = Duration::from_secs(60);
const PEAK_KIB: u64 = 1024 * 1024;

/// Peak resident memory of a running process, from /proc (Linux).
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// User + system CPU time of a running process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces), 1-based from
    // field 3: utime is field 14, stime field 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|_| panic!("not JSON: {}\n{}", self.stdout, self.stderr))
    }

    fn controls(&self) -> Vec<String> {
        self.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["control"].as_str().unwrap().to_owned())
            .collect()
    }

    fn messages(&self) -> String {
        self.json()["findings"].to_string()
    }
}

/// Runs phi-lint in `dir` with `args`, enforcing the limits.
fn bounded(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out_path = dir.join(".phi-lint-stdout");
    let err_path = dir.join(".phi-lint-stderr");
    let mut child = command()
        .current_dir(dir)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let (mut peak, mut cpu) = (0, 0);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        peak = peak.max(peak_kib(child.id()).unwrap_or(0));
        cpu = cpu.max(cpu_ticks(child.id()).unwrap_or(0));
        if peak > PEAK_KIB || cpu > CPU_TICKS || start.elapsed() > WALL {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "phi-lint {args:?} exceeded its limits: {} ms wall, {} ms CPU, {} MiB peak",
                start.elapsed().as_millis(),
                cpu * 10,
                peak / 1024
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read_to_string(&out_path).unwrap(),
        stderr: std::fs::read_to_string(&err_path).unwrap(),
    };
    let _ = std::fs::remove_file(out_path);
    let _ = std::fs::remove_file(err_path);
    assert!(
        matches!(run.code, 0..=2),
        "exit {} for {args:?}: {}",
        run.code,
        run.stderr
    );
    run
}

fn json_run(dir: &Path) -> Run {
    bounded(dir, &["--format", "json", "."], &[])
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const RAW: &str = "resource \"aws_s3_bucket\" \"raw\" {\n  bucket = \"x\"\n}\n";
const BAD_REGION: &str = "provider \"aws\" {\n  region = \"ap-southeast-1\"\n}\n";

#[test]
fn json_blocks_written_as_arrays_at_every_level_are_read() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf.json",
        r#"{
  "resource": [{"aws_s3_bucket": [{"raw": [{"bucket": "x"}]}]}],
  "provider": [{"aws": [{"region": "ap-southeast-1"}]}],
  "module": [{"m": [{"source": "git::https://example.com/m.git"}]}]
}"#,
    );
    let run = json_run(dir.path());
    assert_eq!(run.code, 1);
    let controls = run.controls();
    for c in ["PHI-LNT-003", "PHI-REG-001", "PHI-LNT-004"] {
        assert!(
            controls.contains(&c.to_owned()),
            "{c} missing: {controls:?}"
        );
    }
}

#[test]
fn ignore_files_never_hide_terraform_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "main.tf", RAW);
    write(d, "sub/main.tf", BAD_REGION);
    write(d, ".ignore", "*.tf\nsub/\n");
    write(d, ".gitignore", "*.tf\nsub/\n");
    write(d, ".git/info/exclude", "*.tf\n");
    write(d, "home/.config/git/ignore", "*.tf\n");
    write(
        d,
        "home/.gitconfig",
        "[core]\n\texcludesFile = ~/.config/git/ignore\n",
    );
    let home = d.join("home");
    let run = bounded(
        d,
        &["--format", "json", "."],
        &[("HOME", home.to_str().unwrap())],
    );
    assert_eq!(run.code, 1);
    let controls = run.controls();
    assert!(controls.contains(&"PHI-LNT-003".to_owned()), "{controls:?}");
    assert!(controls.contains(&"PHI-REG-001".to_owned()), "{controls:?}");
}

#[test]
fn symlinked_files_and_directories_are_followed_and_loops_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "root/raw.txt", RAW);
    std::os::unix::fs::symlink("raw.txt", d.join("root/raw.tf")).unwrap();
    write(d, "elsewhere/main.tf", BAD_REGION);
    std::os::unix::fs::symlink("../elsewhere", d.join("root/linked")).unwrap();
    std::os::unix::fs::symlink("..", d.join("root/loop")).unwrap();
    let run = bounded(&d.join("root"), &["--format", "json", "."], &[]);
    assert_eq!(run.code, 1);
    let controls = run.controls();
    assert!(controls.contains(&"PHI-LNT-003".to_owned()), "{controls:?}");
    assert!(controls.contains(&"PHI-REG-001".to_owned()), "{controls:?}");
}

#[test]
fn a_dangling_link_to_a_terraform_file_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("missing.txt", dir.path().join("main.tf")).unwrap();
    let run = json_run(dir.path());
    assert_eq!(run.code, 1);
    assert_eq!(run.controls(), ["PHI-LNT-002"]);
}

#[test]
fn an_unreadable_directory_is_a_finding_not_a_skip() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "locked/main.tf", RAW);
    let locked = d.join("locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read_dir(&locked).is_ok() {
        // root (CAP_DAC_OVERRIDE) reads it anyway: nothing to test here.
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
        eprintln!("SKIPPED: running as root, a mode-000 directory is readable");
        return;
    }
    let run = json_run(d);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(run.code, 1);
    assert!(
        run.messages().contains("cannot read the directory"),
        "{}",
        run.stdout
    );
}

#[test]
fn fifos_and_devices_are_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "main.tf", BAD_REGION);
    let fifo = d.join("vars.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    for args in [
        ["--var-file", "/dev/zero"],
        ["--var-file", "vars.fifo"],
        ["--policy", "vars.fifo"],
        ["--baseline", "/dev/zero"],
    ] {
        let run = bounded(d, &[args[0], args[1], "."], &[]);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    }
    // A FIFO named like a Terraform file in the tree: a finding, no hang.
    Command::new("mkfifo").arg(d.join("x.tf")).status().unwrap();
    let run = json_run(d);
    assert_eq!(run.code, 1);
    assert!(
        run.messages().contains("not a regular file"),
        "{}",
        run.stdout
    );
}

#[test]
fn substr_with_a_huge_length_clamps_like_terraform() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        "provider \"aws\" {\n  region = substr(\"xeu-west-1\", 1, 9223372036854775807)\n}\n",
    );
    let run = json_run(dir.path());
    assert_eq!(run.code, 0, "eu-west-1 is approved: {}", run.stdout);
    let sarif = bounded(dir.path(), &["--format", "sarif", "."], &[]);
    assert!(sarif.stdout.contains("\"version\": \"2.1.0\""));
}

/// The findings are "could not verify: evaluation budget exceeded".
fn assert_budget_exceeded(run: &Run) {
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.controls().contains(&"PHI-LNT-001".to_owned())
            && run.messages().contains("evaluation budget exceeded"),
        "{}",
        run.stdout
    );
}

#[test]
fn values_nested_ever_deeper_do_not_overflow_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = String::from("locals {\n  l0 = 1\n");
    for i in 1..1000 {
        src.push_str(&format!(
            "  l{i} = {}local.l{}{}\n",
            "[".repeat(60),
            i - 1,
            "]".repeat(60)
        ));
    }
    src.push_str("}\nprovider \"aws\" {\n  region = local.l999\n}\n");
    write(dir.path(), "main.tf", &src);
    assert_budget_exceeded(&json_run(dir.path()));
}

#[test]
fn deep_brackets_do_not_overflow_the_parser() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        &format!(
            "locals {{\n  x = {}1{}\n}}\n",
            "[".repeat(50_000),
            "]".repeat(50_000)
        ),
    );
    write(
        dir.path(),
        "b.tf.json",
        &format!(
            "{{\"locals\": {{\"y\": \"${{{}1{}}}\"}}}}",
            "(".repeat(50_000),
            ")".repeat(50_000)
        ),
    );
    assert_budget_exceeded(&json_run(dir.path()));
}

#[test]
fn doubling_values_stop_at_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = String::from("locals {\n  e0 = [\"a\"]\n  s0 = \"ab\"\n");
    for i in 1..=30 {
        src.push_str(&format!("  e{i} = concat(local.e{0}, local.e{0})\n", i - 1));
        src.push_str(&format!(
            "  s{i} = \"${{local.s{0}}}${{local.s{0}}}\"\n",
            i - 1
        ));
    }
    src.push_str("  r = replace(local.s20, \"a\", local.s20)\n");
    src.push_str("  f = [for x in local.e16 : local.e16]\n");
    src.push_str("  d = distinct(local.e17)\n}\n");
    write(dir.path(), "main.tf", &src);
    assert_budget_exceeded(&json_run(dir.path()));
}

#[test]
fn ten_thousand_locals_in_reverse_order_are_fast() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = String::from("locals {\n");
    for i in (1..10_000).rev() {
        src.push_str(&format!("  l{i} = local.l{}\n", i - 1));
    }
    src.push_str("  l0 = \"eu-west-1\"\n}\nprovider \"aws\" {\n  region = local.l9999\n}\n");
    write(dir.path(), "main.tf", &src);
    let run = json_run(dir.path());
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn module_fan_out_stops_at_the_instance_budget() {
    let dir = tempfile::tempdir().unwrap();
    for level in 0..12 {
        let mut src = String::new();
        for k in 0..3 {
            src.push_str(&format!(
                "module \"m{k}\" {{\n  source = \"../m{}\"\n  region = var.region\n}}\n",
                level + 1
            ));
        }
        src.push_str("variable \"region\" {\n  default = \"eu-west-1\"\n}\n");
        write(dir.path(), &format!("m{level}/main.tf"), &src);
    }
    write(
        dir.path(),
        "m12/main.tf",
        "variable \"region\" {}\nprovider \"aws\" {\n  region = var.region\n}\n",
    );
    let run = bounded(dir.path(), &["--format", "json", "m0"], &[]);
    assert_budget_exceeded(&run);
}

#[test]
fn repeated_copies_of_a_big_value_are_charged() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = String::from("locals {\n  e0 = [\"a\"]\n");
    for i in 1..=17 {
        src.push_str(&format!("  e{i} = concat(local.e{0}, local.e{0})\n", i - 1));
    }
    for i in 0..10_000 {
        src.push_str(&format!("  c{i} = local.e17 == local.e17\n"));
    }
    src.push_str("}\n");
    write(dir.path(), "main.tf", &src);
    assert_budget_exceeded(&json_run(dir.path()));
}

#[test]
fn a_json_file_with_thirty_thousand_keys_is_located_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    let vars: Vec<String> = (0..30_000)
        .map(|i| format!("\"v{i:06}\": {{\"default\": \"x\"}}"))
        .collect();
    write(
        dir.path(),
        "main.tf.json",
        &format!(
            "{{\"variable\": {{{}}},\n \"provider\": {{\"aws\": {{\"region\": \"ap-southeast-1\"}}}}}}",
            vars.join(",\n")
        ),
    );
    let run = json_run(dir.path());
    assert_eq!(run.code, 1);
    let f = &run.json()["findings"][0];
    assert_eq!(f["control"], "PHI-REG-001");
    assert_eq!(f["line"], 30_001, "still located exactly: {f}");
}
