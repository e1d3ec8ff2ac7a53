//! The "Schema" section of each resource's docs page is generated from the
//! schema the provider sends Terraform (tfplugindocs' layout); this fails
//! when a page is out of date. `UPDATE_SCHEMA_DOCS=1 cargo test -p
//! terraform-provider-phi --test schema_docs` rewrites the sections.

use std::path::Path;

use phi_provider::resources::registry;
use phi_provider::schema_docs::{render, splice};

#[test]
fn every_resource_page_lists_the_schema_the_provider_serves() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/resources");
    let update = std::env::var_os("UPDATE_SCHEMA_DOCS").is_some();
    let mut stale = Vec::new();
    for resource in registry() {
        let page_name = format!("{}.md", resource.type_name().trim_start_matches("phi_"));
        let path = docs.join(&page_name);
        let page = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("docs/resources/{page_name}: {e}"));
        let want = splice(&page, &render(resource.schema()));
        if want != page {
            if update {
                std::fs::write(&path, want).unwrap();
            } else {
                stale.push(page_name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "docs/resources/{stale:?} do not list the current schema: run \
         UPDATE_SCHEMA_DOCS=1 cargo test -p terraform-provider-phi --test schema_docs"
    );
}

/// The data sources' pages, in `docs/data-sources/`, the same way.
#[test]
fn every_data_source_page_lists_the_schema_the_provider_serves() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/data-sources");
    let update = std::env::var_os("UPDATE_SCHEMA_DOCS").is_some();
    let mut stale = Vec::new();
    for source in phi_provider::data_sources::registry() {
        let page_name = format!("{}.md", source.type_name().trim_start_matches("phi_"));
        let path = docs.join(&page_name);
        let page = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("docs/data-sources/{page_name}: {e}"));
        let want = splice(&page, &render(source.schema()));
        if want != page {
            if update {
                std::fs::write(&path, want).unwrap();
            } else {
                stale.push(page_name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "docs/data-sources/{stale:?} do not list the current schema: run \
         UPDATE_SCHEMA_DOCS=1 cargo test -p terraform-provider-phi --test schema_docs"
    );
}
