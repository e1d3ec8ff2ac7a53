//! Any bytes as a module: its locals evaluated in dependency order and every
//! attribute of every block evaluated in that scope, as module instances do.
//! Budgets must end every evaluation (libFuzzer's -timeout and -rss_limit_mb
//! catch a runaway), and nothing may panic or overflow the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phi_lint::eval::Scope;
use phi_lint::ir::Attr;
use phi_lint::source::SourceFile;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    for name in ["main.tf", "main.tf.json"] {
        let file = SourceFile::new(name, text.clone());
        let Ok(root) = file.root() else { continue };
        let mut scope = Scope::empty();
        let locals: Vec<&Attr> = root
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
        for attr in &root.attrs {
            let _ = scope.eval(&attr.expr);
        }
    }
});
