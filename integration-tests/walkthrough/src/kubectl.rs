//! The user's hands: the real `kubectl` binary against kube-sim (`KUBECTL` overrides which).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::WalkthroughError;

/// kubectl bound to one kubeconfig.
#[derive(Debug, Clone)]
pub struct Kubectl {
    kubeconfig: PathBuf,
}

impl Kubectl {
    pub fn new(kubeconfig: &Path) -> Self {
        Self {
            kubeconfig: kubeconfig.to_owned(),
        }
    }

    /// Runs `kubectl args` with `stdin`; stdout on success, the stderr text as error.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Result<String, WalkthroughError> {
        let program = std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".to_owned());
        let mut child = Command::new(program)
            .arg(format!("--kubeconfig={}", self.kubeconfig.display()))
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(WalkthroughError::io("start kubectl"))?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes())
                .map_err(WalkthroughError::io("write kubectl stdin"))?;
        }
        let output = child
            .wait_with_output()
            .map_err(WalkthroughError::io("wait for kubectl"))?;
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        Err(WalkthroughError::Kubectl {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }

    /// `kubectl apply -f PATH` (a file or a directory).
    pub fn apply_file(&self, path: &Path) -> Result<String, WalkthroughError> {
        self.run(&["apply", "-f", &path.display().to_string()], None)
    }

    /// `kubectl apply -f -` with `yaml`.
    pub fn apply_stdin(&self, yaml: &str) -> Result<String, WalkthroughError> {
        self.run(&["apply", "-f", "-"], Some(yaml))
    }

    /// `kubectl get ARGS -o json`, parsed.
    pub fn get_json(&self, args: &[&str]) -> Result<serde_json::Value, WalkthroughError> {
        let mut all = vec!["get"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-o", "json"]);
        let text = self.run(&all, None)?;
        serde_json::from_str(&text).map_err(|err| WalkthroughError::Unexpected {
            from: "kubectl get".to_owned(),
            detail: err.to_string(),
        })
    }
}
