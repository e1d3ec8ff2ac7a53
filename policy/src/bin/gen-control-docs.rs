//! Writes one Markdown page per control, and an index, into `docs/controls`
//! (or the directory given as the first argument).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/controls")));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("gen-control-docs: cannot create {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    for (name, contents) in phi_policy::docs::all_pages() {
        let path = dir.join(&name);
        if let Err(e) = std::fs::write(&path, contents) {
            eprintln!("gen-control-docs: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    println!(
        "wrote {} control pages to {}",
        phi_policy::controls().len(),
        dir.display()
    );
    ExitCode::SUCCESS
}
