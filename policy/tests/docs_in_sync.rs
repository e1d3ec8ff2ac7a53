//! The committed control pages must be exactly what the catalogue renders.

use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn control_pages_match_the_catalogue() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/controls");
    let fix = "run `cargo run -p phi-policy --bin gen-control-docs` to regenerate";
    let mut expected = BTreeSet::new();
    for (name, contents) in phi_policy::docs::all_pages() {
        let on_disk = std::fs::read_to_string(dir.join(&name))
            .unwrap_or_else(|_| panic!("docs/controls/{name} is missing; {fix}"));
        assert_eq!(
            on_disk, contents,
            "docs/controls/{name} is out of date; {fix}"
        );
        expected.insert(name);
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            expected.contains(&name),
            "docs/controls/{name} matches no control; {fix}"
        );
    }
}
