//! One service process: started with its output in a log file, killed when dropped, so a
//! failing test or an interrupted demo leaves nothing running.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::WalkthroughError;

/// A running child process and where its output goes.
#[derive(Debug)]
pub struct Service {
    pub name: String,
    pub log: PathBuf,
    child: Child,
}

impl Service {
    /// Starts `program args` with `env`, stdout and stderr appended to `log_dir/<name>.log`.
    pub fn spawn(
        name: &str,
        program: &Path,
        args: &[String],
        env: &[(&str, String)],
        log_dir: &Path,
    ) -> Result<Self, WalkthroughError> {
        let log = log_dir.join(format!("{name}.log"));
        let file =
            std::fs::File::create(&log).map_err(WalkthroughError::io(format!("create {log:?}")))?;
        let err_file = file
            .try_clone()
            .map_err(WalkthroughError::io("dup log file"))?;

        let mut command = Command::new(program);
        command
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(err_file))
            .kill_on_drop(true);
        let child = command
            .spawn()
            .map_err(WalkthroughError::io(format!("start {program:?}")))?;
        tracing::info!(service = name, pid = child.id(), "started");
        Ok(Self {
            name: name.to_owned(),
            log,
            child,
        })
    }

    /// Fails when the process has exited.
    pub fn check_alive(&mut self) -> Result<(), WalkthroughError> {
        match self.child.try_wait() {
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

    /// Kills the process and waits for it.
    pub async fn stop(&mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
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
