//! Static checks per resource type, over configuration values. A `None`
//! field means "not known yet" and its checks are skipped: the caller decides
//! how to report unknowns (the provider re-checks at apply; the linter reports
//! "could not verify").

pub mod audit_log_sink;
pub mod bucket;
mod common;
pub mod database;
pub mod kms_key;
pub mod region;
pub mod tags;
