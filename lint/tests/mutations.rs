//! A deterministic, stable-Rust complement to the cargo-fuzz targets: every
//! fixture, truncated at many offsets and with syntax characters inserted,
//! goes through the loader, the evaluator (locals in dependency order, then
//! every attribute) and the suppression scanner without a panic, and every
//! parse error is located. The hostile inputs of issue 10 are mutated the
//! same way and must stay within the evaluation budget.

use std::path::Path;

use phi_lint::source::SourceFile;

fn exercise(name: &str, text: String) {
    let file = SourceFile::new(name, text);
    match file.root() {
        Ok(root) => {
            let mut scope = phi_lint::eval::Scope::empty();
            let locals: Vec<&phi_lint::ir::Attr> = root
                .blocks
                .iter()
                .filter(|b| b.ident == "locals")
                .flat_map(|b| b.attrs.iter())
                .collect();
            phi_lint::locals::evaluate(&mut scope, &locals);
            for block in &root.blocks {
                for attr in &block.attrs {
                    let _ = scope.eval(&attr.expr);
                }
            }
            let _ = phi_lint::suppress::directives(&file, &root);
        }
        Err(f) => assert!(f.line >= 1 && f.column >= 1, "{f:?}"),
    }
}

#[test]
fn mutated_fixtures_never_panic_the_loader() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let files = phi_lint::walk::terraform_files(&[fixtures]);
    assert!(files.len() > 20);
    let mut cases = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let boundaries: Vec<usize> = (0..=text.len())
            .filter(|i| text.is_char_boundary(*i))
            .step_by(9)
            .collect();
        for &i in &boundaries {
            exercise(&name, text[..i].to_owned());
            for insert in ["{", "}", "\"", "${", "\n", "? ", ": ", "=", "[", "#"] {
                let mut t = text.clone();
                t.insert_str(i, insert);
                exercise(&name, t);
                cases += 1;
            }
        }
    }
    assert!(cases > 1000, "{cases}");
}

/// The hostile sources of issue 10, small enough to run in-process.
fn hostile_sources() -> Vec<(&'static str, String)> {
    let mut nested = String::from("locals {\n  l0 = 1\n");
    for i in 1..200 {
        let (open, close) = ("[".repeat(60), "]".repeat(60));
        nested.push_str(&format!("  l{i} = {open}local.l{}{close}\n", i - 1));
    }
    nested.push_str("}\n");
    let mut doubling = String::from("locals {\n  e0 = [\"a\"]\n  s0 = \"ab\"\n");
    for i in 1..=30 {
        doubling.push_str(&format!("  e{i} = concat(local.e{0}, local.e{0})\n", i - 1));
        doubling.push_str(&format!(
            "  s{i} = \"${{local.s{0}}}${{local.s{0}}}\"\n",
            i - 1
        ));
    }
    doubling.push_str("  t = toset(local.e17)\n  f = [for x in local.e15 : local.e15]\n}\n");
    let mut reversed = String::from("locals {\n");
    for i in (1..2000).rev() {
        reversed.push_str(&format!("  l{i} = local.l{}\n", i - 1));
    }
    reversed.push_str("  l0 = substr(\"abc\", 1, 9223372036854775807)\n}\n");
    let deep = format!(
        "locals {{\n  x = {}1{}\n}}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    vec![
        ("nested.tf", nested),
        ("doubling.tf", doubling),
        ("reversed.tf", reversed),
        ("deep.tf", deep),
        (
            "arrays.tf.json",
            r#"{"resource": [{"aws_s3_bucket": [{"raw": [{"bucket": "${substr(\"ab\", 0, 99999999999)}"}]}]}]}"#
                .to_owned(),
        ),
    ]
}

#[test]
fn mutated_hostile_inputs_stay_bounded() {
    // The evaluator's recursion is bounded, but not for a 2 MiB test thread
    // in a debug build; phi-lint itself runs on 256 MiB stacks.
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(|| {
            for (name, text) in hostile_sources() {
                let start = std::time::Instant::now();
                exercise(name, text.clone());
                let step = (text.len() / 8).max(1);
                for i in (0..text.len()).step_by(step) {
                    if !text.is_char_boundary(i) {
                        continue;
                    }
                    exercise(name, text[..i].to_owned());
                    for insert in ["[", "${", "\""] {
                        let mut t = text.clone();
                        t.insert_str(i, insert);
                        exercise(name, t);
                    }
                }
                // CPU-bound and single-threaded: generous for a loaded
                // debug run, far below the minutes these inputs took.
                assert!(
                    start.elapsed().as_secs() < 60,
                    "{name}: {:?}",
                    start.elapsed()
                );
            }
        })
        .unwrap();
    worker.join().expect("no panic");
}
