//! The whole simulated environment, each piece its own process, as pods would be.
//!
//! # Flow
//! kube-sim (admin bearer token, kubeconfig file, RBAC enforced) and ecs-sim (virtual clock)
//! start first; the upstream snapshot CRDs, the chart's CRD and RBAC (ServiceAccounts, roles,
//! bindings as Helm renders them) and the `kube-system` namespace are applied with kubectl;
//! then ecs-gateway (mutual TLS, the chart's allow-list), the controllers (the chart's flags)
//! and the cluster stand-ins. Each must answer its readiness check before the next starts.
//!
//! # Identities
//! Each service runs with a kubeconfig of its own ServiceAccount ([`crate::identities`]), so
//! it can do only what the chart grants it; [`Environment::verify_rbac`] then proves the
//! grants sufficient and minimal. kubectl (the user) and the stand-ins (cluster components
//! the chart does not ship) use the admin kubeconfig.
//!
//! # Caveats
//! A controller whose binary is not built is left out and listed in [`Environment::missing`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::binaries;
use crate::chart::{self, ChartExport, LocalAddrs};
use crate::identities;
use crate::kubectl::Kubectl;
use crate::process::{self, Service};
use crate::{WalkthroughError, certs};

const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a service gets to answer `/readyz` once started.
const PROBE_TIMEOUT: Duration = Duration::from_secs(15);
const KUBE_TOKEN: &str = "walkthrough-admin-token";
const CONTROLLERS: [&str; 3] = ["policy-listener", "pvc-reconciler", "snapshot-reconciler"];

/// How to start the environment.
#[derive(Debug, Clone)]
pub struct EnvOptions {
    /// Where logs, the kubeconfig and the certificates go (created; kept on failure).
    pub dir: PathBuf,
    /// The ECS virtual clock's start (RFC 3339); `None` starts at the real time, which the
    /// product needs for scheduled snapshots: snapshot-reconciler does not attribute snapshots
    /// older than their policy's creation (a Kubernetes, real-time timestamp).
    pub clock_start: Option<String>,
    /// Virtual seconds per real second; 0 moves the clock only through the admin API.
    pub clock_rate: u64,
}

/// The running environment; dropping it kills every process.
pub struct Environment {
    pub dir: PathBuf,
    pub kubeconfig: PathBuf,
    pub kubectl: Kubectl,
    pub ecs: ecs_sim::AdminClient,
    pub ecs_url: String,
    pub kube: kube::Client,
    /// Service binaries that were not built and so not started.
    pub missing: Vec<String>,
    /// Every process in start order; [`crate::control`] kills and restarts them by name.
    pub(crate) services: Vec<Service>,
}

impl Environment {
    /// Starts everything and waits until each piece is ready; on failure prints the logs.
    pub async fn start(options: EnvOptions) -> Result<Self, WalkthroughError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        std::fs::create_dir_all(&options.dir)
            .map_err(WalkthroughError::io(format!("mkdir {:?}", options.dir)))?;
        let mut services = Vec::new();
        match start_all(&options, &mut services).await {
            Ok(env) => Ok(env.with_services(services)),
            Err(err) => {
                dump_logs(&services);
                for service in &mut services {
                    service.stop().await;
                }
                Err(err)
            }
        }
    }

    fn with_services(mut self, services: Vec<Service>) -> Self {
        self.services = services;
        self
    }

    /// `kubectl apply -f` of a file of `fixtures/walkthrough/`.
    pub fn run_kubectl_apply(&self, fixture: &str) -> Result<String, WalkthroughError> {
        self.kubectl.apply_file(&crate::steps::fixture(fixture))
    }

    /// Fails when any process has exited.
    pub fn check_alive(&mut self) -> Result<(), WalkthroughError> {
        self.services.iter_mut().try_for_each(Service::check_alive)
    }

    /// Prints the tail of every log to stderr (for failed tests).
    pub fn dump_logs(&self) {
        dump_logs(&self.services);
    }

    /// Stops every process.
    pub async fn shutdown(mut self) {
        for service in self.services.iter_mut().rev() {
            service.stop().await;
        }
    }
}

fn dump_logs(services: &[Service]) {
    for service in services {
        eprintln!("----- {} ({}) -----", service.name, service.log.display());
        eprintln!("{}", service.log_tail(60));
    }
}

async fn start_all(
    options: &EnvOptions,
    services: &mut Vec<Service>,
) -> Result<Environment, WalkthroughError> {
    let dir = &options.dir;
    let export = chart::export(&dir.join("chart"))?;
    certs::generate(&export.dir, &export.callers)?;
    write_credentials(&export.dir)?;

    let kubeconfig = start_kube_sim(dir, services).await?;
    let kubectl = Kubectl::new(&kubeconfig);
    install_cluster_basics(&kubectl, &export).await?;
    let kube = kube_client(&kubeconfig).await?;
    let ecs_addr = start_ecs_sim(options, services).await?;
    let ecs_url = format!("http://{ecs_addr}");

    let gateway = free_addrs()?;
    let own = own_kubeconfig(&kube, &kubeconfig, &export, "ecs-gateway").await?;
    start_component(
        "ecs-gateway",
        &export,
        &gateway,
        &gateway,
        &own,
        &ecs_url,
        services,
    )
    .await?;
    let mut missing = Vec::new();
    for controller in CONTROLLERS {
        if !binaries::exists(controller) {
            tracing::warn!(service = controller, "binary not built; left out");
            missing.push(controller.to_owned());
            continue;
        }
        let local = free_addrs()?;
        let own = own_kubeconfig(&kube, &kubeconfig, &export, controller).await?;
        start_component(
            controller, &export, &local, &gateway, &own, &ecs_url, services,
        )
        .await?;
    }
    start_standins(dir, &kubeconfig, &ecs_url, services).await?;

    Ok(Environment {
        dir: dir.clone(),
        kubeconfig,
        kubectl,
        ecs: ecs_sim::AdminClient::new(ecs_url.clone()),
        ecs_url,
        kube,
        missing,
        services: Vec::new(),
    })
}

fn free_addrs() -> Result<LocalAddrs, WalkthroughError> {
    Ok(LocalAddrs {
        admin: process::free_addr()?,
        gateway: process::free_addr()?,
    })
}

/// The AccessKey files the gateway's `secret-file` source reads: the ECS simulator's key.
fn write_credentials(export_dir: &Path) -> Result<(), WalkthroughError> {
    let dir = export_dir.join("ecs-gateway/credentials");
    std::fs::create_dir_all(&dir).map_err(WalkthroughError::io(format!("mkdir {dir:?}")))?;
    for (file, value) in [
        ("access-key-id", ecs_sim::DEFAULT_ACCESS_KEY_ID),
        ("access-key-secret", ecs_sim::DEFAULT_ACCESS_KEY_SECRET),
    ] {
        let path = dir.join(file);
        std::fs::write(&path, value).map_err(WalkthroughError::io(format!("write {path:?}")))?;
    }
    Ok(())
}

async fn start_kube_sim(
    dir: &Path,
    services: &mut Vec<Service>,
) -> Result<PathBuf, WalkthroughError> {
    let kubeconfig = dir.join("kubeconfig");
    let _ = std::fs::remove_file(&kubeconfig);
    let args = vec![
        "--listen=127.0.0.1:0".to_owned(),
        format!("--kubeconfig-out={}", kubeconfig.display()),
        format!("--token={KUBE_TOKEN}"),
        "--rbac".to_owned(),
        "--tls".to_owned(),
        "--bookmark-seconds=2".to_owned(),
    ];
    let program = binaries::binary("kube-sim", "kube-sim")?;
    services.push(Service::spawn("kube-sim", &program, &args, &[], dir)?);
    let path = kubeconfig.clone();
    let found = process::wait_for("kube-sim kubeconfig", READY_TIMEOUT, || {
        let path = path.clone();
        async move { path.is_file().then_some(()) }
    })
    .await;
    found.map_err(|_| not_ready(services.last()))?;
    Ok(kubeconfig)
}

async fn start_ecs_sim(
    options: &EnvOptions,
    services: &mut Vec<Service>,
) -> Result<String, WalkthroughError> {
    let ready = options.dir.join("ecs-sim.addr");
    let _ = std::fs::remove_file(&ready);
    let mut args = vec![
        "--listen=127.0.0.1:0".to_owned(),
        format!("--ready-file={}", ready.display()),
        format!("--clock-rate={}", options.clock_rate),
    ];
    if let Some(start) = &options.clock_start {
        args.push(format!("--clock-start={start}"));
    }
    let program = binaries::binary("ecs-sim", "ecs-sim")?;
    services.push(Service::spawn(
        "ecs-sim",
        &program,
        &args,
        &[],
        &options.dir,
    )?);
    let addr = process::wait_for("ecs-sim ready file", READY_TIMEOUT, || {
        let ready = ready.clone();
        async move {
            std::fs::read_to_string(ready)
                .ok()
                .filter(|a| !a.is_empty())
        }
    })
    .await;
    addr.map(|a| a.trim().to_owned())
        .map_err(|_| not_ready(services.last()))
}

/// What a cluster with external-snapshotter and this chart installed already holds: the
/// `kube-system` namespace, the upstream snapshot CRDs, the chart's CRD and RBAC.
async fn install_cluster_basics(
    kubectl: &Kubectl,
    export: &ChartExport,
) -> Result<(), WalkthroughError> {
    let root = chart::repo_root();
    kubectl.apply_stdin("apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}\n")?;
    kubectl.apply_file(&root.join("integration-tests/fixtures/crds"))?;
    kubectl.apply_file(&root.join("charts/storage-snapshot-manager/crds"))?;
    kubectl.apply_file(&export.dir.join("rbac.yaml"))?;
    Ok(())
}

/// The kubeconfig `component` runs with: its own ServiceAccount's, as the chart gives its pod
/// (written beside the admin kubeconfig, so the service's log lands in the same directory).
async fn own_kubeconfig(
    admin: &kube::Client,
    admin_kubeconfig: &Path,
    export: &ChartExport,
    component: &str,
) -> Result<PathBuf, WalkthroughError> {
    let account = identities::read_service_account(&export.dir, component)?;
    identities::service_kubeconfig(admin, admin_kubeconfig, component, &account).await
}

async fn start_component(
    component: &str,
    export: &ChartExport,
    local: &LocalAddrs,
    gateway: &LocalAddrs,
    kubeconfig: &Path,
    ecs_url: &str,
    services: &mut Vec<Service>,
) -> Result<(), WalkthroughError> {
    let addrs = LocalAddrs {
        admin: local.admin.clone(),
        gateway: gateway.gateway.clone(),
    };
    let mut args: Vec<String> = export.args[component]
        .iter()
        .filter_map(|arg| chart::localize(&export.dir, component, arg, &addrs))
        .collect();
    if component == "ecs-gateway" {
        args.push(format!("--ecs-endpoint={ecs_url}"));
    }
    let env = [
        ("KUBECONFIG", kubeconfig.display().to_string()),
        ("POD_NAME", format!("{component}-0")),
        ("POD_NAMESPACE", "kube-system".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let program = binaries::binary(component, component)?;
    let log_dir = kubeconfig.parent().unwrap_or(Path::new("."));
    let url = format!("http://{}/readyz", local.admin);
    let service = Service::spawn(component, &program, &args, &env, log_dir)?;
    services.push(service.with_ready_url(url.clone()));

    if process::wait_http_ok(&url, PROBE_TIMEOUT).await {
        return Ok(());
    }
    // A process that never answers its readiness probe would be restarted or never receive
    // traffic in a pod, so the environment refuses to go on with it.
    let service = services.last_mut().ok_or_else(|| not_ready(None))?;
    service.check_alive()?;
    Err(WalkthroughError::NotReady {
        service: service.name.clone(),
        seconds: PROBE_TIMEOUT.as_secs(),
        log: service.log.clone(),
    })
}

async fn start_standins(
    dir: &Path,
    kubeconfig: &Path,
    ecs_url: &str,
    services: &mut Vec<Service>,
) -> Result<(), WalkthroughError> {
    let ready = dir.join("standins.ready");
    let _ = std::fs::remove_file(&ready);
    let args = vec![
        format!("--kubeconfig={}", kubeconfig.display()),
        format!("--ecs-sim-url={ecs_url}"),
        format!("--ready-file={}", ready.display()),
    ];
    let program = binaries::binary("ssm-cluster-standins", "walkthrough")?;
    services.push(Service::spawn(
        "ssm-cluster-standins",
        &program,
        &args,
        &[],
        dir,
    )?);
    let found = process::wait_for("stand-ins ready file", READY_TIMEOUT, || {
        let ready = ready.clone();
        async move { ready.is_file().then_some(()) }
    })
    .await;
    found.map_err(|_| not_ready(services.last()))
}

fn not_ready(service: Option<&Service>) -> WalkthroughError {
    match service {
        Some(service) => WalkthroughError::NotReady {
            service: service.name.clone(),
            seconds: READY_TIMEOUT.as_secs(),
            log: service.log.clone(),
        },
        None => WalkthroughError::Timeout {
            what: "a service".to_owned(),
            seconds: READY_TIMEOUT.as_secs(),
        },
    }
}

/// A kube-rs client from a kubeconfig file.
pub async fn kube_client(path: &Path) -> Result<kube::Client, WalkthroughError> {
    let kubeconfig =
        kube::config::Kubeconfig::read_from(path).map_err(|err| WalkthroughError::Unexpected {
            from: path.display().to_string(),
            detail: err.to_string(),
        })?;
    let options = kube::config::KubeConfigOptions::default();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|err| WalkthroughError::Unexpected {
            from: path.display().to_string(),
            detail: err.to_string(),
        })?;
    Ok(kube::Client::try_from(config)?)
}
