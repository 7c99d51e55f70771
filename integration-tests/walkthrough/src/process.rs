//! One service process: started with its output in a log file, killed when dropped, so a
//! failing test or an interrupted demo leaves nothing running. A service remembers how it was
//! started, so the fault scenarios can kill it (SIGKILL, as a node or the OOM killer would) and
//! start it again with the same flags, ports and environment, as a container restart does.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::WalkthroughError;

/// A child process, where its output goes and how to start it again.
#[derive(Debug)]
pub struct Service {
    pub name: String,
    pub log: PathBuf,
    /// `GET` answers 2xx once the service is ready (its `/readyz`), when it has one.
    pub ready_url: Option<String>,
    /// How many times [`Service::restart`] started it again.
    pub restarts: u32,
    launch: Launch,
    child: Option<Child>,
}

/// Everything needed to start the same process again.
#[derive(Debug, Clone)]
struct Launch {
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Service {
    /// Starts `program args` with `env`, stdout and stderr written to `log_dir/<name>.log`.
    pub fn spawn(
        name: &str,
        program: &Path,
        args: &[String],
        env: &[(&str, String)],
        log_dir: &Path,
    ) -> Result<Self, WalkthroughError> {
        let launch = Launch {
            program: program.to_owned(),
            args: args.to_vec(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        };
        let log = log_dir.join(format!("{name}.log"));
        let child = launch.start(name, &log, false)?;
        Ok(Self {
            name: name.to_owned(),
            log,
            ready_url: None,
            restarts: 0,
            launch,
            child: Some(child),
        })
    }

    /// Sets the readiness URL [`Service::restart`] waits for.
    pub fn with_ready_url(mut self, url: String) -> Self {
        self.ready_url = Some(url);
        self
    }

    /// The process ID while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// Whether a process is running (started and not killed by [`Service::stop`]).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Starts the process again with the same program, flags and environment, its output
    /// appended to the same log, and waits for its readiness URL when it has one.
    ///
    /// # Errors
    /// When it is still running, when it cannot be started, or when it is not ready within
    /// `ready_timeout` (its log names why).
    pub async fn restart(&mut self, ready_timeout: Duration) -> Result<(), WalkthroughError> {
        if self.child.is_some() {
            return Err(WalkthroughError::Unexpected {
                from: self.name.clone(),
                detail: "restart asked while it is still running; stop it first".to_owned(),
            });
        }
        self.child = Some(self.launch.start(&self.name, &self.log, true)?);
        self.restarts += 1;

        let Some(url) = self.ready_url.clone() else {
            return Ok(());
        };
        if wait_http_ok(&url, ready_timeout).await {
            return Ok(());
        }
        self.check_alive()?;
        Err(WalkthroughError::NotReady {
            service: self.name.clone(),
            seconds: ready_timeout.as_secs(),
            log: self.log.clone(),
        })
    }

    /// Fails when the process has exited on its own (not when [`Service::stop`] stopped it).
    pub fn check_alive(&mut self) -> Result<(), WalkthroughError> {
        let Some(child) = self.child.as_mut() else {
            return Ok(());
        };
        match child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(self.exited(status.to_string())),
            Err(err) => Err(self.exited(err.to_string())),
        }
    }

    fn exited(&self, status: String) -> WalkthroughError {
        WalkthroughError::Exited {
            service: self.name.clone(),
            status,
            log: self.log.clone(),
        }
    }

    /// Kills the process with SIGKILL (no graceful shutdown, like a node failure or the OOM
    /// killer) and waits until it is gone; a no-op when it is not running.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = child.start_kill();
        let _ = child.wait().await;
        tracing::info!(service = self.name, "killed");
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Launch {
    /// Spawns the process; `append` keeps the log of earlier runs (a restart).
    fn start(&self, name: &str, log: &Path, append: bool) -> Result<Child, WalkthroughError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(log)
            .map_err(WalkthroughError::io(format!("create {log:?}")))?;
        let err_file = file
            .try_clone()
            .map_err(WalkthroughError::io("dup log file"))?;

        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(err_file))
            .kill_on_drop(true);
        let child = command
            .spawn()
            .map_err(WalkthroughError::io(format!("start {:?}", self.program)))?;
        tracing::info!(service = name, pid = child.id(), "started");
        Ok(child)
    }
}

/// A free loopback port (bound and released; good enough for a test machine).
pub fn free_addr() -> Result<String, WalkthroughError> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(WalkthroughError::io("bind port 0"))?;
    let addr = listener
        .local_addr()
        .map_err(WalkthroughError::io("local_addr"))?;
    Ok(addr.to_string())
}

/// Polls `check` every 100 ms until it returns `Some`, failing after `timeout`.
pub async fn wait_for<T, F, Fut>(
    what: &str,
    timeout: Duration,
    mut check: F,
) -> Result<T, WalkthroughError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Ok(value);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(WalkthroughError::Timeout {
                what: what.to_owned(),
                seconds: timeout.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `GET url` answers 2xx.
pub async fn wait_http_ok(url: &str, timeout: Duration) -> bool {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap_or_default();
    wait_for(url, timeout, || async {
        let response = client.get(url).send().await.ok()?;
        response.status().is_success().then_some(())
    })
    .await
    .is_ok()
}
