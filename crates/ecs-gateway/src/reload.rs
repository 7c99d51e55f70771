//! Picks up configuration files that Kubernetes rotates in place (mounted Secrets and
//! ConfigMaps are swapped through a `..data` symlink, so the resolved file's inode, size or
//! mtime changes).
//!
//! Polling instead of inotify: the symlink swap happens in the parent directory of the
//! watched path and survives no inotify watch on the file itself; a poll of `stat` every few
//! seconds is cheap, portable and sees every kind of replacement.
//!
//! A changed file that fails to load leaves the configuration in force untouched: the error is
//! logged and counted in `ecs_gateway_config_reloads{outcome="failure"}`, and the file is
//! tried again when it changes next.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio_util::sync::CancellationToken;

use crate::auth::{AllowList, Authenticator};
use crate::metrics::Metrics;

/// What identifies one version of a file: a replaced file differs in at least one part.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn version(path: &Path) -> Option<Version> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Version {
        modified: meta.modified().ok(),
        len: meta.len(),
        inode: inode(&meta),
    })
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

/// Polls `path` every `interval` until `stop`, and puts every changed, valid allow-list in
/// force on `auth`.
pub fn watch_allow_list(
    path: PathBuf,
    auth: Arc<Authenticator>,
    interval: Duration,
    metrics: Metrics,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut seen = version(&path);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(interval) => {}
            }
            let now = version(&path);
            if now == seen {
                continue;
            }
            seen = now;
            reload_allow_list(&path, &auth, &metrics);
        }
    })
}

fn reload_allow_list(path: &Path, auth: &Authenticator, metrics: &Metrics) {
    match AllowList::from_file(path) {
        Ok(list) => {
            tracing::info!(path = %path.display(), callers = list.len(), "allow-list reloaded");
            auth.replace_allow_list(list);
            metrics.config_reload("allow_list", "success");
        }
        Err(error) => {
            tracing::error!(
                path = %path.display(), %error,
                "changed allow-list is invalid; keeping the one in force"
            );
            metrics.config_reload("allow_list", "failure");
        }
    }
}
