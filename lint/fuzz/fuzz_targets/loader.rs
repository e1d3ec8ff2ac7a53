//! Any bytes, as a native `.tf` file and as a `.tf.json` file: loading,
//! the parse workarounds, evaluation and every rule must never panic, and
//! every finding must be located at line and column >= 1.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phi_lint::source::SourceFile;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    for name in ["main.tf", "main.tf.json"] {
        let file = SourceFile::new(name, text.clone());
        match file.root() {
            Ok(root) => {
                // Evaluate every attribute the way rules do.
                let scope = phi_lint::eval::Scope::empty();
                for block in &root.blocks {
                    for attr in &block.attrs {
                        let _ = scope.eval(&attr.expr);
                    }
                }
                let _ = phi_lint::suppress::directives(&file, &root);
            }
            Err(f) => assert!(f.line >= 1 && f.column >= 1),
        }
    }
});
