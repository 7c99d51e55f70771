//! The process-wide rustls crypto provider.

/// Installs rustls' ring provider as the process default, once. reqwest is built with
/// `rustls-no-provider` and panics when a client is built without a default provider.
///
/// Safe to call any number of times and from any crate: if another provider (necessarily the
/// same ring one, per the workspace's dependency rules) is already installed, it is kept.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
    });
}
