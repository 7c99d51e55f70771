//! Caller identities carried by a client certificate that the TLS layer has already verified
//! against the configured CA.
//!
//! Candidates, in order: URI subject alternative names (e.g. SPIFFE IDs), DNS names, then the
//! subject common name. The allow-list decides which of them, if any, is a known caller.

use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The identity candidates of a DER certificate, or why it could not be read.
pub fn identities(der: &[u8]) -> Result<Vec<String>, String> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|err| format!("client certificate is not valid X.509: {err}"))?;
    let mut uris = Vec::new();
    let mut dns_names = Vec::new();

    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::URI(uri) => uris.push((*uri).to_string()),
                GeneralName::DNSName(dns) => dns_names.push((*dns).to_string()),
                _ => {}
            }
        }
    }

    let common_names = cert
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok().map(str::to_string));
    Ok(uris
        .into_iter()
        .chain(dns_names)
        .chain(common_names)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, DnType, KeyPair, SanType};

    #[test]
    fn lists_uri_then_dns_then_common_name() {
        let mut params = CertificateParams::new(vec!["reconciler.kube-system.svc".into()]).unwrap();
        params.subject_alt_names.push(SanType::URI(
            "spiffe://cluster.local/ns/kube-system/sa/reconciler"
                .try_into()
                .unwrap(),
        ));
        params
            .distinguished_name
            .push(DnType::CommonName, "reconciler");
        let cert = params.self_signed(&KeyPair::generate().unwrap()).unwrap();

        let found = identities(cert.der()).unwrap();

        assert_eq!(
            found,
            [
                "spiffe://cluster.local/ns/kube-system/sa/reconciler",
                "reconciler.kube-system.svc",
                "reconciler"
            ]
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(
            identities(b"not a certificate")
                .unwrap_err()
                .contains("not valid X.509")
        );
    }
}
