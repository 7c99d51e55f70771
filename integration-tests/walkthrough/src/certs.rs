//! A throwaway PKI for the gateway's mutual TLS: one CA, a server certificate for `localhost`
//! and `127.0.0.1`, and one client certificate per caller identity of the chart's allow-list
//! (the identity as DNS subject alternative name, as the chart issues them).

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SanType,
};

use crate::WalkthroughError;

/// Writes `ca.crt`, `tls.crt` and `tls.key` into `dir` for a leaf signed by `issuer`.
fn write_leaf(
    dir: &Path,
    issuer: &CertifiedIssuer<'_, KeyPair>,
    common_name: &str,
    sans: Vec<SanType>,
) -> Result<(), WalkthroughError> {
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.subject_alt_names = sans;
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, issuer)?;

    std::fs::create_dir_all(dir).map_err(WalkthroughError::io(format!("mkdir {dir:?}")))?;
    for (name, pem) in [
        ("ca.crt", issuer.pem()),
        ("tls.crt", cert.pem()),
        ("tls.key", key.serialize_pem()),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, pem).map_err(WalkthroughError::io(format!("write {path:?}")))?;
    }
    Ok(())
}

/// Generates the CA, the gateway's server certificate into `root/ecs-gateway` and a client
/// certificate into `root/<component>` for each `(component, identity)`.
pub fn generate(root: &Path, callers: &[(String, String)]) -> Result<(), WalkthroughError> {
    let mut ca = CertificateParams::default();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(DnType::CommonName, "walkthrough test CA");
    let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;

    let server_sans = vec![
        SanType::DnsName("localhost".try_into()?),
        SanType::IpAddress([127, 0, 0, 1].into()),
    ];
    write_leaf(
        &root.join("ecs-gateway"),
        &issuer,
        "ecs-gateway",
        server_sans,
    )?;

    for (component, identity) in callers {
        let sans = vec![SanType::DnsName(identity.as_str().try_into()?)];
        write_leaf(&root.join(component), &issuer, component, sans)?;
    }
    Ok(())
}
