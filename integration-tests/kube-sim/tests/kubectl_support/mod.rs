//! The kubectl harness the kubectl test files share: the binaries exercised and a simulator
//! per test with a kubeconfig file for them.
// Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use kube_sim::{Config, SimHandle};

/// The dispatcher on PATH, the newest and the oldest versioned binaries on these machines.
pub const KUBECTLS: &[&str] = &[
    "/usr/bin/kubectl",
    "/usr/lib/google-cloud-sdk/bin/kubectl.1.33",
    "/usr/lib/google-cloud-sdk/bin/kubectl.1.27",
];

pub struct Kubectl {
    pub bin: &'static str,
    pub kubeconfig: PathBuf,
}

impl Kubectl {
    /// Runs kubectl off the async runtime so the in-process server keeps serving.
    pub async fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(self.bin);
        cmd.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", std::env::temp_dir());
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let stdin = stdin.map(str::to_string);
        let bin = self.bin;
        tokio::task::spawn_blocking(move || {
            let mut child = cmd
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"));
            if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
                pipe.write_all(text.as_bytes()).expect("write stdin");
            }
            child.wait_with_output().expect("kubectl finishes")
        })
        .await
        .expect("join")
    }

    pub async fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin).await;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{} {args:?} failed: {err}\n{text}",
            self.bin
        );
        text
    }

    pub async fn fails(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let bin = self.bin;
        assert!(
            !out.status.success(),
            "{bin} {args:?} unexpectedly succeeded: {stdout}{stderr}"
        );
        String::from_utf8_lossy(&out.stderr).to_string()
    }
}

impl Drop for Kubectl {
    fn drop(&mut self) {
        if let Some(dir) = self.kubeconfig.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub async fn start(bin: &'static str) -> (SimHandle, Kubectl) {
    start_with(bin, Config::default()).await
}

pub async fn start_with(bin: &'static str, config: Config) -> (SimHandle, Kubectl) {
    let dir = std::env::temp_dir().join(format!("kube-sim-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let kubeconfig = dir.join("kubeconfig");
    let config = Config {
        kubeconfig_out: Some(kubeconfig.clone()),
        ..config
    };
    let sim = kube_sim::spawn(config).await.expect("simulator starts");
    (sim, Kubectl { bin, kubeconfig })
}
