//! Start-up configuration of a simulator instance.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// How many changes are retained for watches and historical reads. Older requests get
    /// 410 Gone, so a small value lets tests force re-lists.
    pub history_limit: usize,
    /// How often watches that allow bookmarks receive one.
    pub bookmark_interval: Duration,
    /// Where to write a kubeconfig pointing at the server, if anywhere.
    pub kubeconfig_out: Option<PathBuf>,
    /// Keep objects between runs: read at start if present, written at shutdown.
    pub state_file: Option<PathBuf>,
    /// Serve HTTPS with a certificate signed by a CA generated at start (in the kubeconfig).
    pub tls: bool,
    /// Token the written kubeconfig carries; it authenticates as `kube-sim-admin`. When this
    /// or `tokens` is set, every request except `/version` and health checks needs a token.
    pub bearer_token: Option<String>,
    /// Further bearer tokens (requests and TokenReviews), mapped to the username they identify.
    pub tokens: HashMap<String, String>,
    /// Authorize every authenticated request with RBAC against the stored Roles,
    /// ClusterRoles and bindings (off by default: every authenticated request is allowed).
    /// The `bearer_token` user is in `system:masters` and keeps full access.
    pub rbac: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            history_limit: 10_000,
            bookmark_interval: Duration::from_secs(5),
            kubeconfig_out: None,
            state_file: None,
            tls: false,
            bearer_token: None,
            tokens: HashMap::new(),
            rbac: false,
        }
    }
}
