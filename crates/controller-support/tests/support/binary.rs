//! A controller binary started the way the Helm chart starts it: the command line from
//! `scripts/chart.py export`, the Downward API environment, a kubeconfig for kube-sim. Mounted
//! paths point into the export directory, the admin port at a free loopback port, and the
//! gateway at an address that is never called (the connection is lazy).

use std::{
    fs::File,
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{Api, api::PostParams};

use super::{PATIENCE, Sim, get, wait_until};

/// The smoke test every controller binary runs: started as the chart starts it, it answers
/// `/healthz` and `/readyz` while it holds its Lease, and SIGTERM makes it exit 0 within the
/// drain timeout, releasing the Lease.
pub async fn smoke(program: &str, component: &str) {
    let sim = Sim::start().await;
    install_crds(&sim).await;
    let mut binary = Binary::start(program, component, &sim);
    binary.wait_ready().await;
    let pod = binary.pod_name.clone();
    wait_until("the binary to hold its Lease", || async {
        sim.lease_holder(&binary.lease).await.as_deref() == Some(pod.as_str())
    })
    .await;
    assert_eq!(
        get(binary.admin, "/healthz").await,
        Some(200),
        "still live while leading"
    );

    let (status, took) = binary.terminate().await;
    assert!(
        status.success(),
        "exit {status} after SIGTERM\n{}",
        binary.log()
    );
    assert!(
        took < DRAIN_TIMEOUT,
        "took {took:?} to stop\n{}",
        binary.log()
    );
    assert_eq!(
        get(binary.admin, "/healthz").await,
        None,
        "admin port closed"
    );
    assert_eq!(
        sim.lease_holder(&binary.lease).await,
        None,
        "Lease released"
    );
}

/// Where the chart mounts the component's TLS Secret.
const TLS_MOUNT: &str = "/etc/storage-snapshot-manager/tls/";
/// The drain timeout the binary is given (through `DRAIN_TIMEOUT`, as the chart passes none).
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// A running controller binary; killed when dropped, so a failed test leaves nothing behind.
pub struct Binary {
    pub component: String,
    pub admin: SocketAddr,
    pub pod_name: String,
    /// The Lease the chart names (`--lease-name`).
    pub lease: String,
    log: PathBuf,
    child: Child,
}

impl Binary {
    /// Starts `program` as the chart's `component`, against `sim`.
    pub fn start(program: &str, component: &str, sim: &Sim) -> Self {
        let export = sim.dir.join("chart");
        export_chart(&export);
        let admin = free_addr();
        let args: Vec<String> = chart_args(&export, component)
            .into_iter()
            .map(|arg| localize(&arg, &export.join(component), admin))
            .collect();

        let lease = args
            .iter()
            .find_map(|arg| arg.strip_prefix("--lease-name="))
            .expect("the chart names the Lease")
            .to_owned();
        let pod_name = format!("{component}-0");
        let log = sim.dir.join(format!("{component}.log"));
        let out = File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = Command::new(program)
            .args(&args)
            .env("KUBECONFIG", &sim.kubeconfig)
            .env("POD_NAME", &pod_name)
            .env("POD_NAMESPACE", "kube-system")
            .env("DRAIN_TIMEOUT", format!("{}s", DRAIN_TIMEOUT.as_secs()))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        Self {
            component: component.to_owned(),
            admin,
            pod_name,
            lease,
            log,
            child,
        }
    }

    /// Waits until `/healthz` and `/readyz` both answer 200.
    pub async fn wait_ready(&mut self) {
        let admin = self.admin;
        let what = format!("{} to answer /healthz and /readyz", self.component);
        let deadline = Instant::now() + PATIENCE;
        loop {
            self.assert_running();
            let healthy = get(admin, "/healthz").await == Some(200);
            if healthy && get(admin, "/readyz").await == Some(200) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends SIGTERM and waits for the exit; panics when it takes longer than the drain
    /// timeout plus a second.
    pub async fn terminate(&mut self) -> (ExitStatus, Duration) {
        let started = Instant::now();
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid} failed");

        let limit = DRAIN_TIMEOUT + Duration::from_secs(1);
        wait_until("the process to exit after SIGTERM", || {
            let exited = self.child.try_wait().ok().flatten().is_some();
            let late = started.elapsed() > limit;
            assert!(
                !late,
                "still running {limit:?} after SIGTERM\n{}",
                self.log()
            );
            async move { exited }
        })
        .await;
        let status = self.child.wait().expect("exit status");
        (status, started.elapsed())
    }

    /// The process's output so far, for failure messages.
    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        format!("--- {} log ---\n{text}", self.component)
    }

    fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited early ({status})\n{}", self.component, self.log());
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The repository root: every crate that includes this file sits two levels below it.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the repository's Python (`.venv`, from `scripts/setup.sh`) with `args`; its stdout.
fn python(args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let python = repo_root().join(".venv/bin/python");
    let output = Command::new(&python)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python:?} (run scripts/setup.sh): {e}"));
    assert!(
        output.status.success(),
        "{python:?} {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Exports the chart's default values into `dir` with the repository's `scripts/chart.py`.
fn export_chart(dir: &Path) {
    let script = repo_root().join("scripts/chart.py");
    python(&[script.as_os_str(), "export".as_ref(), dir.as_os_str()]);
}

/// Installs what a cluster running the chart has: the chart's CRDs and the CSI snapshot CRDs.
async fn install_crds(sim: &Sim) {
    const TO_JSON: &str = "import json, sys, yaml; print(json.dumps([d for f in sys.argv[1:] \
                           for d in yaml.safe_load_all(open(f)) if d]))";
    let root = repo_root();
    let mut files = yaml_files(&root.join("charts/storage-snapshot-manager/crds"), "");
    files.extend(yaml_files(
        &root.join("integration-tests/fixtures/crds"),
        "snapshot.",
    ));
    let mut args = vec!["-c".as_ref(), TO_JSON.as_ref()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    let crds: Vec<CustomResourceDefinition> =
        serde_json::from_slice(&python(&args)).expect("CRDs decode");

    let api = Api::<CustomResourceDefinition>::all(sim.client().await);
    for crd in &crds {
        api.create(&PostParams::default(), crd)
            .await
            .expect("CRD created");
    }
    for crd in &crds {
        let name = crd.metadata.name.clone().unwrap_or_default();
        wait_until("the CRD to be established", || async {
            let Ok(crd) = api.get(&name).await else {
                return false;
            };
            let conditions = crd.status.and_then(|s| s.conditions).unwrap_or_default();
            conditions
                .iter()
                .any(|c| c.type_ == "Established" && c.status == "True")
        })
        .await;
    }
}

/// The `*.yaml` files in `dir` whose names start with `prefix`.
fn yaml_files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir:?}: {e}"));
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            name.starts_with(prefix) && name.ends_with(".yaml")
        })
        .collect();
    files.sort();
    files
}

fn chart_args(export: &Path, component: &str) -> Vec<String> {
    let path = export.join(component).join("args.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// One chart argument as a local process needs it; every other flag is kept as rendered.
fn localize(arg: &str, tls_dir: &Path, admin: SocketAddr) -> String {
    let (flag, value) = arg.split_once('=').unwrap_or((arg, ""));
    match flag {
        "--admin-addr" => format!("{flag}={admin}"),
        "--gateway-endpoint" => format!("{flag}=https://localhost:9"),
        _ => match value.strip_prefix(TLS_MOUNT) {
            Some(file) => format!("{flag}={}", tls_dir.join(file).display()),
            None => arg.to_owned(),
        },
    }
}

/// A loopback address free a moment ago (bound, then released).
fn free_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local address")
}
