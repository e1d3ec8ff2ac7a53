//! Robustness over real Terraform written by others (../shared/corpus, read
//! in place): no panic, and every file that does not parse gets a located
//! finding. Comparing verdicts with Terraform's own parser is still to do.

use std::path::Path;

#[test]
fn every_corpus_file_is_processed_without_panic_and_parse_errors_are_located() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    assert!(
        corpus.is_dir(),
        "{} not found: the corpus lives in shared/ beside the repository",
        corpus.display()
    );
    let files = phi_lint::walk::terraform_files(&[corpus]);
    assert!(files.len() > 500, "only {} files", files.len());
    let policy = phi_policy::Policy::baseline();
    let mut parse_errors = 0;
    for file in &files {
        for f in phi_lint::lint_file(file, &policy) {
            assert!(f.line >= 1 && f.column >= 1, "{f:?}");
            if f.control == "PHI-LNT-002" {
                parse_errors += 1;
            }
        }
    }
    println!("{} files, {parse_errors} with parse errors", files.len());
}
