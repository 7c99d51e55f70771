//! An AccessKey pair in files mounted from a Kubernetes Secret, picked up again when the
//! Secret is updated.
//!
//! Kubernetes updates a Secret volume by swapping a symlink to a new directory, so a change
//! shows up as a new inode and modification time of the file the path resolves to. Every call
//! compares those (one `stat` per file, no read) and re-reads only on a change; between
//! changes the parsed pair is served from memory.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use futures::future::BoxFuture;
use tracing::info;

use super::{Credentials, CredentialsProvider};
use crate::Error;

const PROVIDER: &str = "secret-file";

/// Where the Secret's keys are mounted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFilePaths {
    pub access_key_id: PathBuf,
    pub access_key_secret: PathBuf,
    /// Present only for STS credentials kept in a Secret.
    pub security_token: Option<PathBuf>,
}

impl SecretFilePaths {
    /// The layout the Helm chart mounts: `<dir>/access-key-id` and `<dir>/access-key-secret`.
    pub fn in_dir(dir: impl AsRef<Path>) -> Self {
        let dir = dir.as_ref();
        Self {
            access_key_id: dir.join("access-key-id"),
            access_key_secret: dir.join("access-key-secret"),
            security_token: None,
        }
    }

    fn all(&self) -> impl Iterator<Item = &PathBuf> {
        [&self.access_key_id, &self.access_key_secret]
            .into_iter()
            .chain(&self.security_token)
    }
}

/// What identifies one version of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    #[cfg(unix)]
    inode: u64,
}

#[derive(Debug)]
struct Loaded {
    stamps: Vec<Stamp>,
    credentials: Credentials,
}

/// Reads an AccessKey pair from files and re-reads it when they change, without a restart.
#[derive(Debug)]
pub struct SecretFileCredentials {
    paths: SecretFilePaths,
    loaded: Mutex<Option<Loaded>>,
}

impl SecretFileCredentials {
    /// Creates the provider and reads the files once, so a bad mount fails at startup.
    ///
    /// # Errors
    /// [`Error::Credentials`] naming the file that is missing, unreadable or empty.
    pub async fn new(paths: SecretFilePaths) -> Result<Self, Error> {
        let provider = Self {
            paths,
            loaded: Mutex::new(None),
        };
        provider.current().await?;
        Ok(provider)
    }

    async fn current(&self) -> Result<Credentials, Error> {
        let stamps = self.stamps().await?;
        if let Some(loaded) = self.lock().as_ref().filter(|l| l.stamps == stamps) {
            return Ok(loaded.credentials.clone());
        }

        let credentials = self.read().await?;
        let replaced = self.lock().replace(Loaded {
            stamps,
            credentials: credentials.clone(),
        });
        if replaced.is_some() {
            info!(
                provider = PROVIDER,
                access_key_id = credentials.access_key_id(),
                "credentials files changed; reloaded"
            );
        }
        Ok(credentials)
    }

    async fn stamps(&self) -> Result<Vec<Stamp>, Error> {
        let mut stamps = Vec::new();
        for path in self.paths.all() {
            let meta = tokio::fs::metadata(path)
                .await
                .map_err(|e| file_error(path, &e))?;
            stamps.push(Stamp {
                modified: meta.modified().ok(),
                len: meta.len(),
                #[cfg(unix)]
                inode: std::os::unix::fs::MetadataExt::ino(&meta),
            });
        }
        Ok(stamps)
    }

    async fn read(&self) -> Result<Credentials, Error> {
        let id = read_value(&self.paths.access_key_id).await?;
        let secret = read_value(&self.paths.access_key_secret).await?;
        match &self.paths.security_token {
            Some(path) => Credentials::sts(id, secret, read_value(path).await?, None),
            None => Credentials::access_key(id, secret),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Loaded>> {
        self.loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl CredentialsProvider for SecretFileCredentials {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        Box::pin(self.current())
    }
}

async fn read_value(path: &Path) -> Result<String, Error> {
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|e| file_error(path, &e))?;
    let value = text.trim();
    if value.is_empty() {
        return Err(super::refusal(
            PROVIDER,
            format!("{} is empty", path.display()),
        ));
    }
    Ok(value.to_owned())
}

/// A missing or unreadable mounted file needs an operator, not a retry.
fn file_error(path: &Path, error: &std::io::Error) -> Error {
    super::refusal(PROVIDER, format!("cannot read {}: {error}", path.display()))
}
