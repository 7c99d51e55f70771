//! A throwaway CA with server and client certificates, written as PEM files to a directory.
//!
//! The gateway reads its certificates from files (as in production, where they are mounted
//! Secrets), so the test CA writes files too.

use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicUsize, Ordering},
};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};

/// A CA and the files it issued, all under `dir`.
pub struct Pki {
    /// Where the CA and every certificate it issues are written.
    pub dir: PathBuf,
    /// The CA certificate (PEM), for clients to trust the server and the server its clients.
    pub ca_file: PathBuf,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate and its private key on disk (PEM).
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Pki {
    /// A new CA named `name`, writing into `dir` (created when missing).
    pub fn new(dir: &Path, name: &str) -> Self {
        std::fs::create_dir_all(dir)
            .unwrap_or_else(|e| panic!("cannot create the PKI directory {}: {e}", dir.display()));
        let key = KeyPair::generate().expect("CA key generates");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        let cert = params.self_signed(&key).expect("CA certificate signs");

        let ca_file = dir.join(format!("{name}-ca.pem"));
        write(&ca_file, &cert.pem());
        Self {
            dir: dir.to_path_buf(),
            ca_file,
            issuer: Issuer::new(params, key),
        }
    }

    /// A new CA in a directory of its own under the system temporary directory, unique to
    /// this process and call.
    pub fn in_temp_dir(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("ssm-test-{name}-{}-{n}", std::process::id()));
        Self::new(&dir, name)
    }

    /// A server certificate for `localhost` and 127.0.0.1.
    pub fn server(&self) -> CertFiles {
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let mut params = CertificateParams::new(names).expect("server certificate parameters");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue("server", params)
    }

    /// A client certificate whose DNS SAN and common name are `identity` (the gateway's caller
    /// identity), written as `<identity>.crt` and `<identity>.key`.
    pub fn client(&self, identity: &str) -> CertFiles {
        let mut params = CertificateParams::new(vec![identity.to_string()])
            .unwrap_or_else(|e| panic!("client certificate parameters for {identity}: {e}"));
        params.distinguished_name.push(DnType::CommonName, identity);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.issue(identity, params)
    }

    fn issue(&self, name: &str, params: CertificateParams) -> CertFiles {
        let key = KeyPair::generate().expect("certificate key generates");
        let cert = params
            .signed_by(&key, &self.issuer)
            .unwrap_or_else(|e| panic!("the test CA cannot sign {name}: {e}"));
        let files = CertFiles {
            cert: self.dir.join(format!("{name}.crt")),
            key: self.dir.join(format!("{name}.key")),
        };
        write(&files.cert, &cert.pem());
        write(&files.key, &key.serialize_pem());
        files
    }
}

fn write(path: &Path, pem: &str) {
    std::fs::write(path, pem).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}
