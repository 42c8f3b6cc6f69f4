//! The tests' HTTP client. reqwest is built without a crypto provider of its
//! own in this workspace (one backend in the tree: ring, see the root
//! `Cargo.toml`), so a bare `Client::new()` would panic; the fake is plain
//! HTTP on loopback, so an empty root store is enough.

use std::sync::Arc;

/// A reqwest client for talking to the fake.
pub fn client() -> reqwest::Client {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default TLS versions")
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .expect("a reqwest client")
}
