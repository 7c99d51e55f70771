//! Two pvc-reconciler replicas on one Lease, wired as the binary wires them
//! (`controller_support::service`): only the leader runs the controller and writes to ECS;
//! when it stops, the standby takes over and carries on without redoing the leader's work.

mod common;

use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use clap::Parser;
use common::{CLUSTER, Chain, REGION, disk, within};
use controller_support::{
    backoff::BackoffConfig,
    service::{ControllerService, ServiceArgs},
};
use pvc_reconciler::{args::AccountMode, controller, metrics::Metrics};
use service_runtime::shutdown::Shutdown;
use snapshot_k8s::managed::DiskDrivers;
use tokio::task::JoinHandle;

/// The flags both replicas share, as the chart sets them, plus this replica's identity.
fn service_args(kubeconfig: &std::path::Path, identity: &str) -> ServiceArgs {
    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        service: ServiceArgs,
    }

    let argv = [
        "pvc-reconciler".to_owned(),
        format!("--kubeconfig={}", kubeconfig.display()),
        "--admin-addr=127.0.0.1:0".to_owned(),
        "--lease-name=pvc-reconciler".to_owned(),
        format!("--leader-identity={identity}"),
        "--lease-duration=2s".to_owned(),
        "--lease-renew-grace=1s".to_owned(),
        format!("--cluster-id={CLUSTER}"),
        format!("--region={REGION}"),
        // Unused: the replicas share the chain's gateway connection.
        "--gateway-endpoint=http://127.0.0.1:9".to_owned(),
    ];
    Flags::try_parse_from(argv)
        .expect("test flags parse")
        .service
}

/// One replica: how many leadership terms started its controller, and how to stop it.
struct Replica {
    terms: Arc<AtomicUsize>,
    shutdown: Shutdown,
    task: JoinHandle<()>,
}

impl Replica {
    async fn start(chain: &Chain, kubeconfig: &std::path::Path, identity: &str) -> Self {
        let terms = Arc::new(AtomicUsize::new(0));
        let shutdown = Shutdown::new(Duration::from_secs(5));
        let (gateway, settings) = (chain.gateway.clone(), chain.settings.clone());
        let counted = terms.clone();
        let args = service_args(kubeconfig, identity);
        let service = ControllerService::prepare("pvc-reconciler", args, shutdown.clone(), {
            move |wiring| {
                let ctx = Arc::new(controller::Context {
                    events: wiring.events(),
                    client: wiring.client,
                    gateway,
                    region: wiring.controller.region,
                    cluster: wiring.controller.cluster_id,
                    default_zone: wiring.controller.default_time_zone,
                    drivers: DiskDrivers::new(wiring.controller.csi_drivers),
                    metrics: Metrics::register(wiring.registry),
                    settings,
                    backoff: fast_backoff(),
                });
                move |token| {
                    counted.fetch_add(1, Ordering::SeqCst);
                    controller::run(ctx.clone(), token)
                }
            }
        })
        .await
        .expect("replica prepares");
        let task = tokio::spawn(async move { service.run().await.expect("replica runs") });
        Self {
            terms,
            shutdown,
            task,
        }
    }

    fn terms(&self) -> usize {
        self.terms.load(Ordering::SeqCst)
    }

    /// Graceful stop (SIGTERM): the controller stops and the Lease is released.
    async fn stop(self) {
        self.shutdown.trigger();
        self.task.await.unwrap();
    }
}

fn fast_backoff() -> BackoffConfig {
    BackoffConfig {
        soon: Duration::from_millis(100),
        later: Duration::from_millis(300),
        permanent: Duration::from_secs(1),
        max: Duration::from_secs(1),
    }
}

fn kubeconfig_file(chain: &Chain) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pvc-leader-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kubeconfig");
    std::fs::write(&path, &chain.kube_sim.kubeconfig).unwrap();
    path
}

async fn wait_until(what: &str, check: impl Fn() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_leader_writes_and_the_standby_takes_over() {
    within(60, async {
        let settings = Chain::settings(AccountMode::Classic, Duration::from_secs(2));
        let mut chain = Chain::start(2, settings).await;
        chain.kill_controller().await;
        let kubeconfig = kubeconfig_file(&chain);

        let a = Replica::start(&chain, &kubeconfig, "replica-a").await;
        let b = Replica::start(&chain, &kubeconfig, "replica-b").await;
        wait_until("one replica leads", || a.terms() + b.terms() == 1).await;
        let (leader, standby) = if a.terms() == 1 { (a, b) } else { (b, a) };

        chain.bound_pvc("web-0", &disk(0), &[("app", "web")]).await;
        let vsp = chain.create_vsp("nightly", "web").await;
        let sp = chain.give_ecs_policy(&vsp).await;
        chain.wait_policies(&disk(0), &[&sp]).await;
        chain.settle().await;
        assert_eq!(
            chain.calls("ApplyAutoSnapshotPolicy").await,
            1,
            "one writer"
        );
        assert_eq!(standby.terms(), 0, "the standby never ran its controller");

        // The leader stops; the standby takes the Lease and handles what comes next.
        leader.stop().await;
        wait_until("the standby leads", || standby.terms() == 1).await;
        chain.bound_pvc("web-1", &disk(1), &[("app", "web")]).await;
        chain.wait_policies(&disk(1), &[&sp]).await;
        chain.settle().await;
        assert_eq!(
            chain.calls("ApplyAutoSnapshotPolicy").await,
            2,
            "the new leader applies only the new disk"
        );
        assert_eq!(chain.policies_on(&disk(0)).await, std::slice::from_ref(&sp));

        standby.stop().await;
        let _ = std::fs::remove_dir_all(kubeconfig.parent().unwrap());
        chain.stop().await;
    })
    .await;
}
