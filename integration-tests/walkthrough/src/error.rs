use std::path::PathBuf;

/// Everything that can stop the walkthrough environment or a step of it.
#[derive(Debug, thiserror::Error)]
pub enum WalkthroughError {
    /// A service binary is missing from the build directory.
    #[error("binary {name} not found at {path}: build it with `cargo build -p {package} --bins`")]
    MissingBinary {
        name: String,
        package: String,
        path: PathBuf,
    },

    /// A file or process operation failed.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },

    /// A service did not become ready in time; its log is at `log`.
    #[error("{service} not ready after {seconds}s (log: {log})")]
    NotReady {
        service: String,
        seconds: u64,
        log: PathBuf,
    },

    /// A service exited while the environment needed it.
    #[error("{service} exited with {status} (log: {log})")]
    Exited {
        service: String,
        status: String,
        log: PathBuf,
    },

    /// `scripts/chart.py export` failed or wrote something unexpected.
    #[error("chart export: {0}")]
    Chart(String),

    /// Generating the test PKI failed.
    #[error("generating certificates: {0}")]
    Certificates(#[from] rcgen::Error),

    /// kubectl failed; `stderr` is what it printed.
    #[error("kubectl {args}: {stderr}")]
    Kubectl { args: String, stderr: String },

    /// The Kubernetes API answered with an error.
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),

    /// The ECS simulator's admin API answered with an error.
    #[error("ECS simulator: {0}")]
    Ecs(#[from] ecs_sim::Error),

    /// An ECS OpenAPI call (what the CSI driver would make) failed.
    #[error("ECS OpenAPI: {0}")]
    EcsApi(#[from] ecs_client::Error),

    /// A service was asked for by a name the environment did not start.
    #[error("no service named {name} in the environment (it has: {known:?})")]
    UnknownService { name: String, known: Vec<String> },

    /// The state the scenario reached differs from what it must be; says what and how.
    #[error("wrong end state: {0}")]
    Mismatch(String),

    /// A condition the walkthrough waits for did not happen in time.
    #[error("timed out after {seconds}s waiting for {what}")]
    Timeout { what: String, seconds: u64 },

    /// Malformed data from a tool or simulator.
    #[error("unexpected data from {from}: {detail}")]
    Unexpected { from: String, detail: String },

    /// The chart's RBAC refused a service something its code does, or grants what no code
    /// used; one sentence per finding (see `rbac_audit`).
    #[error("the chart's RBAC is not sufficient and minimal:\n  {}", .0.join("\n  "))]
    Rbac(Vec<String>),
}

impl WalkthroughError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }
}
