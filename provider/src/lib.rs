//! terraform-provider-phi: a Terraform provider whose resources create PHI
//! infrastructure on AWS that is compliant by construction, and refuse
//! insecure configurations at plan time.

pub mod aws;
pub mod configured;
pub mod data_sources;
pub mod diagnostics;
pub mod plugin;
pub mod policy_source;
pub mod provider;
pub mod resources;
pub mod schema;
pub mod schema_docs;
pub mod state_types;
pub mod value;

/// Code generated from `proto/` at build time.
pub mod proto {
    #![allow(clippy::all, missing_docs)]
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}
