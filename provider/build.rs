//! Generates the gRPC server code for the plugin protocol from `proto/`.
//!
//! Uses the protoc binary vendored by `protoc-bin-vendored` so that building the
//! provider needs nothing beyond the Rust toolchain. A `PROTOC` set by the user
//! still wins, for platforms the vendored crate does not cover.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = prost_build::Config::new();
    let protoc = match std::env::var_os("PROTOC") {
        Some(path) => path.into(),
        None => protoc_bin_vendored::protoc_bin_path()?,
    };
    config.protoc_executable(protoc);
    println!("cargo:rerun-if-changed=proto");
    println!("cargo:rerun-if-env-changed=PROTOC");
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_with_config(
            config,
            &["proto/tfplugin6.proto", "proto/grpc_controller.proto"],
            &["proto"],
        )?;
    Ok(())
}
