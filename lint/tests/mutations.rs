//! A deterministic, stable-Rust complement to the cargo-fuzz target: every
//! fixture, truncated at many offsets and with syntax characters inserted,
//! goes through the loader, the evaluator and the suppression scanner
//! without a panic, and every parse error is located.

use std::path::Path;

use phi_lint::source::SourceFile;

fn exercise(name: &str, text: String) {
    let file = SourceFile::new(name, text);
    match file.root() {
        Ok(root) => {
            let scope = phi_lint::eval::Scope::empty();
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
