//! The TLS configuration of the Asana client: rustls with ring, the crypto
//! backend sqlx already compiles (reqwest's own default would add aws-lc-rs,
//! a second backend and a C build), and the platform's certificate verifier
//! (the operating system's roots, as reqwest's `rustls` feature does).
//!
//! The provider is handed to this client's configuration only: nothing is
//! installed process-wide (`CryptoProvider::install_default`), since aegis
//! runs inside a host's process, whose own choice stays its own.

use std::sync::Arc;

use rustls::{ClientConfig, crypto::ring};
use rustls_platform_verifier::BuilderVerifierExt;

/// The rustls configuration for reqwest's `tls_backend_preconfigured`: ring,
/// TLS 1.2 and 1.3, the platform verifier, ALPN `http/1.1` (reqwest is built
/// without HTTP/2 here, and sets no ALPN itself on a preconfigured backend).
///
/// # Errors
/// When the platform verifier cannot be set up (no usable root store).
pub(super) fn client_config() -> Result<ClientConfig, rustls::Error> {
    let mut config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_uses_ring_and_speaks_http1() {
        let config = client_config().unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        let ring_suites = ring::default_provider().cipher_suites;
        assert_eq!(
            config.crypto_provider().cipher_suites.len(),
            ring_suites.len()
        );
        // Nothing was installed for the rest of the process.
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
    }
}
