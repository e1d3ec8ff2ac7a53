//! The go-plugin handshake: how Terraform proves it launched us, which protocol
//! version we agree on, and the one line that tells Terraform where to connect.

use thiserror::Error;

/// The environment variable go-plugin sets for Terraform providers; its value
/// is fixed by Terraform and is not a secret, only a guard against running the
/// plugin by hand.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// go-plugin's own framing version (always 1).
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The Terraform plugin protocol major version this provider serves.
pub const APP_PROTOCOL_VERSION: u32 = 6;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum HandshakeError {
    #[error(
        "terraform-provider-phi is a Terraform plugin and is not meant to be run by hand. \
         Declare it in `required_providers` (source = \"phi-guard/phi\") and run `terraform plan`."
    )]
    NotLaunchedByTerraform,
    #[error(
        "this Terraform offers plugin protocol versions {offered}, but terraform-provider-phi \
         speaks only protocol 6 (Terraform 1.6 or newer is required)"
    )]
    NoCommonVersion { offered: String },
}

/// Checks the magic cookie. `value` is the environment variable's value.
pub fn check_cookie(value: Option<&str>) -> Result<(), HandshakeError> {
    match value {
        Some(v) if v == MAGIC_COOKIE_VALUE => Ok(()),
        _ => Err(HandshakeError::NotLaunchedByTerraform),
    }
}

/// Picks the protocol version from `PLUGIN_PROTOCOL_VERSIONS` (a comma list
/// the client offers). A client that sends no list predates version
/// negotiation; we answer with ours and let it report any mismatch.
pub fn negotiate(offered: Option<&str>) -> Result<u32, HandshakeError> {
    let Some(list) = offered.filter(|s| !s.trim().is_empty()) else {
        return Ok(APP_PROTOCOL_VERSION);
    };
    let supported = list
        .split(',')
        .filter_map(|v| v.trim().parse::<u32>().ok())
        .any(|v| v == APP_PROTOCOL_VERSION);
    if supported {
        Ok(APP_PROTOCOL_VERSION)
    } else {
        Err(HandshakeError::NoCommonVersion {
            offered: list.to_owned(),
        })
    }
}

/// The handshake line: `core|app|network|address|protocol|cert`, where `cert`
/// is the server certificate's DER in unpadded standard base64.
pub fn line(app_version: u32, socket_path: &str, server_cert_der: &[u8]) -> String {
    use base64::Engine as _;
    let cert = base64::engine::general_purpose::STANDARD_NO_PAD.encode(server_cert_der);
    format!("{CORE_PROTOCOL_VERSION}|{app_version}|unix|{socket_path}|grpc|{cert}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_must_match_exactly() {
        assert_eq!(check_cookie(Some(MAGIC_COOKIE_VALUE)), Ok(()));
        assert_eq!(
            check_cookie(None),
            Err(HandshakeError::NotLaunchedByTerraform)
        );
        assert_eq!(
            check_cookie(Some("nope")),
            Err(HandshakeError::NotLaunchedByTerraform)
        );
    }

    #[test]
    fn negotiates_six_or_explains() {
        assert_eq!(negotiate(Some("5,6")), Ok(6));
        assert_eq!(negotiate(None), Ok(6));
        let err = negotiate(Some("4,5")).unwrap_err();
        assert!(err.to_string().contains("4,5"));
        assert!(err.to_string().contains("1.6 or newer"));
    }

    #[test]
    fn line_has_six_fields_and_unpadded_cert() {
        let l = line(6, "/tmp/x.sock", &[1, 2, 3, 4]);
        let parts: Vec<_> = l.split('|').collect();
        assert_eq!(parts, ["1", "6", "unix", "/tmp/x.sock", "grpc", "AQIDBA"]);
    }
}
