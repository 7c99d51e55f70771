//! Test support for controller services: kube-sim with a kubeconfig file, the service flags
//! pointing at it, plain HTTP probes of an admin port, and polling with a deadline.
//!
//! Also compiled into the controller binaries' smoke tests (by `#[path]`), so every helper is
//! not used by every test crate.
#![allow(dead_code)]

pub mod binary;

use std::{
    future::Future,
    net::SocketAddr,
    path::PathBuf,
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use clap::Parser;
use controller_support::service::ServiceArgs;
use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// How long any awaited state may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// An in-process kube-sim whose kubeconfig is a file, as a deployed service would read it.
pub struct Sim {
    handle: kube_sim::SimHandle,
    pub dir: PathBuf,
    pub kubeconfig: PathBuf,
}

impl Sim {
    pub async fn start() -> Self {
        let dir = scratch_dir();
        let kubeconfig = dir.join("kubeconfig");
        let config = kube_sim::Config {
            kubeconfig_out: Some(kubeconfig.clone()),
            ..kube_sim::Config::default()
        };
        let handle = kube_sim::spawn(config).await.expect("kube-sim starts");
        Self {
            handle,
            dir,
            kubeconfig,
        }
    }

    /// Service flags for replica `identity`: this kubeconfig, admin port 0, a short Lease,
    /// a gateway that is never called; `extra` flags come last and win.
    pub fn args(&self, identity: &str, extra: &[&str]) -> ServiceArgs {
        #[derive(Parser)]
        struct TestArgs {
            #[command(flatten)]
            service: ServiceArgs,
        }

        let mut argv = vec![
            "svc".to_owned(),
            format!("--kubeconfig={}", self.kubeconfig.display()),
            "--admin-addr=127.0.0.1:0".to_owned(),
            format!("--leader-identity={identity}"),
            "--lease-duration=2s".to_owned(),
            "--lease-renew-grace=1s".to_owned(),
            "--cluster-id=c0123".to_owned(),
            "--region=cn-hangzhou".to_owned(),
            "--gateway-endpoint=http://127.0.0.1:9".to_owned(),
        ];
        argv.extend(extra.iter().map(|s| (*s).to_owned()));
        TestArgs::try_parse_from(argv)
            .expect("test flags parse")
            .service
    }

    /// The holder of Lease `kube-system/name`, when it has one.
    pub async fn lease_holder(&self, name: &str) -> Option<String> {
        let client = self.client().await;
        let lease = Api::<Lease>::namespaced(client, "kube-system")
            .get(name)
            .await
            .expect("the Lease exists");
        lease.spec.and_then(|spec| spec.holder_identity)
    }

    pub async fn client(&self) -> kube::Client {
        let args = service_runtime::args::KubeArgs {
            kubeconfig: Some(self.kubeconfig.clone()),
            kube_context: None,
        };
        service_runtime::kube_client::client(&args)
            .await
            .expect("client for kube-sim")
    }

    /// Stops the server; its address then refuses connections.
    pub async fn stop(self) {
        self.handle.shutdown().await;
    }
}

/// A fresh directory under the system temp dir, unique per process and call.
pub fn scratch_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("ssm-service-test-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The status code of `GET path` on `addr`, or `None` when nothing answers.
pub async fn get(addr: SocketAddr, path: &str) -> Option<u16> {
    let response = request(addr, path).await?;
    let status = response.split(' ').nth(1)?;
    status.parse().ok()
}

/// The body of a `200` answer to `GET path` on `addr`.
pub async fn get_body(addr: SocketAddr, path: &str) -> Option<String> {
    let response = request(addr, path).await?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_owned())
}

/// One HTTP/1.1 request with `Connection: close`, read to the end, bounded in time.
async fn request(addr: SocketAddr, path: &str) -> Option<String> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(head.as_bytes()).await.ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await.ok()?;
        Some(response)
    };
    tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .ok()
        .flatten()
}

/// Polls `check` every 50 ms until it is true; panics naming `what` after [`PATIENCE`].
pub async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {PATIENCE:?} waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
