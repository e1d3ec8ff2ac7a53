//! AutoMTLS: a fresh server certificate per process, and a client verifier
//! that accepts exactly the certificate Terraform announced.
//!
//! Terraform's client certificate is self-signed with the CA flag set, which
//! WebPKI path validation rejects as an end-entity certificate. Pinning the
//! exact DER bytes, and verifying the handshake signature with that
//! certificate's key, is stricter than chain validation: only the process that
//! launched us holds the matching private key.

use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DistinguishedName, ServerConfig, SignatureScheme};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum TlsSetupError {
    #[error("PLUGIN_CLIENT_CERT is not set: Terraform did not offer a client certificate")]
    MissingClientCert,
    #[error("PLUGIN_CLIENT_CERT does not hold a PEM certificate")]
    BadClientCert,
    #[error(
        "PLUGIN_CLIENT_CERT holds PEM armour around something that is not an X.509 certificate ({0})"
    )]
    NotACertificate(String),
    #[error("could not generate the server certificate: {0}")]
    CertGeneration(#[from] rcgen::Error),
    #[error("could not build the TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The server's one-process certificate and key.
pub struct ServerIdentity {
    pub cert_der: CertificateDer<'static>,
    key_der: PrivateKeyDer<'static>,
}

impl ServerIdentity {
    /// A self-signed certificate for `localhost`, which is the name go-plugin's
    /// client verifies (it trusts exactly this certificate as its root).
    pub fn generate() -> Result<Self, TlsSetupError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
            rcgen::KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let cert = params.self_signed(&key)?;
        Ok(ServerIdentity {
            cert_der: cert.der().clone(),
            key_der: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        })
    }
}

/// Parses the PEM certificate Terraform passes in `PLUGIN_CLIENT_CERT`.
pub fn parse_client_cert(pem: Option<&str>) -> Result<CertificateDer<'static>, TlsSetupError> {
    use rustls::pki_types::pem::PemObject;
    let pem = pem
        .filter(|p| !p.trim().is_empty())
        .ok_or(TlsSetupError::MissingClientCert)?;
    let der =
        CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|_| TlsSetupError::BadClientCert)?;
    // Parsed now, so a broken value is one line at startup, not a handshake
    // failure later that Terraform reports as a plugin that never answered.
    webpki::EndEntityCert::try_from(&der)
        .map_err(|e| TlsSetupError::NotACertificate(format!("{e:?}")))?;
    Ok(der)
}

pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The rustls server configuration: our identity, the pinned client
/// certificate, and ALPN `h2` (Go's gRPC client insists on it).
pub fn server_config(
    identity: &ServerIdentity,
    client_cert: CertificateDer<'static>,
) -> Result<ServerConfig, TlsSetupError> {
    let provider = crypto_provider();
    let verifier = Arc::new(PinnedClientCert {
        expected: client_cert,
        provider: provider.clone(),
    });
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![identity.cert_der.clone()],
            identity.key_der.clone_key(),
        )?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// Accepts exactly one client certificate, byte for byte.
#[derive(Debug)]
pub struct PinnedClientCert {
    expected: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if intermediates.is_empty() && end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_identity_is_usable_by_rustls() {
        let id = ServerIdentity::generate().unwrap();
        let client = ServerIdentity::generate().unwrap();
        let config = server_config(&id, client.cert_der.clone()).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);
    }

    #[test]
    fn verifier_accepts_only_the_pinned_certificate() {
        let pinned = ServerIdentity::generate().unwrap();
        let other = ServerIdentity::generate().unwrap();
        let verifier = PinnedClientCert {
            expected: pinned.cert_der.clone(),
            provider: crypto_provider(),
        };
        let now = UnixTime::now();
        assert!(
            verifier
                .verify_client_cert(&pinned.cert_der, &[], now)
                .is_ok()
        );
        assert!(
            verifier
                .verify_client_cert(&other.cert_der, &[], now)
                .is_err()
        );
        assert!(
            verifier
                .verify_client_cert(&pinned.cert_der, std::slice::from_ref(&other.cert_der), now)
                .is_err()
        );
    }

    #[test]
    fn missing_or_garbled_client_cert_is_a_clear_error() {
        assert!(matches!(
            parse_client_cert(None),
            Err(TlsSetupError::MissingClientCert)
        ));
        assert!(matches!(
            parse_client_cert(Some("not pem")),
            Err(TlsSetupError::BadClientCert)
        ));
        let armoured_garbage =
            "-----BEGIN CERTIFICATE-----\nZ2FyYmFnZSBnYXJiYWdl\n-----END CERTIFICATE-----\n";
        let err = parse_client_cert(Some(armoured_garbage)).unwrap_err();
        assert!(matches!(err, TlsSetupError::NotACertificate(_)), "{err}");
        assert!(!err.to_string().contains('\n'));
        let real = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        assert!(parse_client_cert(Some(&real.cert.pem())).is_ok());
    }
}
