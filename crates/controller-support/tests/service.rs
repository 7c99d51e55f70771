//! `service::ControllerService` driven by a tiny fake controller against kube-sim: the admin
//! port answers while the controller runs, readiness follows the documented states, leadership
//! moves to the standby, and shutdown finishes within the drain timeout.

mod support;

use std::{
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use controller_support::{
    SupportError,
    service::{ControllerService, ServiceArgs},
};
use prometheus_client::metrics::counter::Counter;
use service_runtime::{RuntimeError, shutdown::Shutdown};
use support::{Sim, get, wait_until};
use tokio_util::sync::CancellationToken;

/// What the fake controller reports: how many runs started and how many are running.
#[derive(Debug, Clone, Default)]
struct Runs {
    started: Arc<AtomicUsize>,
    running: Arc<AtomicUsize>,
}

impl Runs {
    fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// A controller run that counts itself, and after cancellation takes `drain` to stop.
    fn run(&self, token: CancellationToken, drain: Duration) -> impl Future<Output = ()> + use<> {
        let runs = self.clone();
        runs.started.fetch_add(1, Ordering::SeqCst);
        runs.running.fetch_add(1, Ordering::SeqCst);
        async move {
            token.cancelled().await;
            tokio::time::sleep(drain).await;
            runs.running.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

type Run = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Prepares a service whose controller counts into `runs` and registers a metric.
async fn prepare(
    args: ServiceArgs,
    shutdown: Shutdown,
    runs: Runs,
    drain: Duration,
) -> Result<ControllerService<impl FnMut(CancellationToken) -> Run>, SupportError> {
    ControllerService::prepare("fake-controller", args, shutdown, move |wiring| {
        let starts = Counter::<u64>::default();
        wiring
            .registry
            .register("fake_starts", "Fake runs started", starts.clone());
        move |token| {
            starts.inc();
            Box::pin(runs.run(token, drain)) as Run
        }
    })
    .await
}

#[tokio::test]
async fn probes_answer_while_the_controller_runs_and_shutdown_drains_it() {
    let sim = Sim::start().await;
    let shutdown = Shutdown::new(Duration::from_secs(5));
    let runs = Runs::default();
    let drain = Duration::from_millis(800);
    let service = prepare(
        sim.args("pod-a", &[]),
        shutdown.clone(),
        runs.clone(),
        drain,
    )
    .await
    .unwrap();
    let admin = service.admin_addr();
    assert_eq!(
        get(admin, "/healthz").await,
        Some(200),
        "live before the election"
    );
    assert_eq!(
        get(admin, "/readyz").await,
        Some(503),
        "not ready before the election"
    );

    let running = tokio::spawn(service.run());
    wait_until("ready and leading", || async {
        get(admin, "/readyz").await == Some(200) && runs.running() == 1
    })
    .await;
    let metrics = support::get_body(admin, "/metrics").await.unwrap();
    assert!(
        metrics.contains("ssm_leader_election_is_leader 1"),
        "{metrics}"
    );
    assert!(metrics.contains("ssm_fake_starts_total 1"), "{metrics}");

    let started = Instant::now();
    shutdown.trigger();
    wait_until("not ready once shutdown begins", || async {
        get(admin, "/readyz").await == Some(503)
    })
    .await;
    assert_eq!(runs.running(), 1, "still draining");
    assert_eq!(
        get(admin, "/healthz").await,
        Some(200),
        "live while draining"
    );
    let holder = sim.lease_holder("fake-controller").await;
    assert_eq!(
        holder.as_deref(),
        Some("pod-a"),
        "Lease kept until the controller stopped"
    );

    running.await.unwrap().unwrap();
    assert!(
        started.elapsed() >= drain,
        "waited for the controller to stop"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "within the drain timeout"
    );
    assert_eq!(runs.running(), 0);
    assert_eq!(get(admin, "/healthz").await, None, "admin port closed last");
    assert_eq!(
        sim.lease_holder("fake-controller").await,
        None,
        "Lease released"
    );
}

#[tokio::test]
async fn a_standby_is_ready_without_running_and_takes_over_from_a_stopped_leader() {
    let sim = Sim::start().await;
    let (leader_runs, standby_runs) = (Runs::default(), Runs::default());
    let (leader_stop, standby_stop) = (
        Shutdown::new(Duration::from_secs(5)),
        Shutdown::new(Duration::from_secs(5)),
    );
    let short = Duration::ZERO;
    let leader = prepare(
        sim.args("pod-a", &[]),
        leader_stop.clone(),
        leader_runs.clone(),
        short,
    )
    .await
    .unwrap();
    let leader = tokio::spawn(leader.run());
    wait_until("pod-a leads", || async { leader_runs.running() == 1 }).await;

    let standby = prepare(
        sim.args("pod-b", &[]),
        standby_stop.clone(),
        standby_runs.clone(),
        short,
    )
    .await
    .unwrap();
    let standby_admin = standby.admin_addr();
    let standby = tokio::spawn(standby.run());
    wait_until("pod-b ready", || async {
        get(standby_admin, "/readyz").await == Some(200)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        standby_runs.started(),
        0,
        "a ready standby does not run the controller"
    );

    leader_stop.trigger();
    leader.await.unwrap().unwrap();
    wait_until("pod-b takes over", || async { standby_runs.running() == 1 }).await;
    assert_eq!(
        sim.lease_holder("fake-controller").await.as_deref(),
        Some("pod-b")
    );

    standby_stop.trigger();
    standby.await.unwrap().unwrap();
    assert_eq!(standby_runs.running(), 0);
}

#[tokio::test]
async fn without_election_one_run_lasts_until_a_shutdown_cut_at_the_drain_timeout() {
    let sim = Sim::start().await;
    let shutdown = Shutdown::new(Duration::from_millis(300));
    let runs = Runs::default();
    let stubborn = Duration::from_secs(3600);
    let args = sim.args("pod-a", &["--leader-elect=false"]);
    let service = prepare(args, shutdown.clone(), runs.clone(), stubborn)
        .await
        .unwrap();
    let admin = service.admin_addr();
    let running = tokio::spawn(service.run());

    wait_until("ready", || async {
        get(admin, "/readyz").await == Some(200)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(runs.started(), 1, "started once, not restarted in a loop");

    let started = Instant::now();
    shutdown.trigger();
    let err = running.await.unwrap().unwrap_err();
    assert!(
        matches!(err, SupportError::Runtime(RuntimeError::DrainTimeout(_))),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_unreachable_api_server_fails_start_up_naming_the_lease() {
    let sim = Sim::start().await;
    let args = sim.args("pod-a", &[]);
    sim.stop().await;
    let runs = Runs::default();
    let shutdown = Shutdown::new(Duration::from_secs(5));
    let service = prepare(args, shutdown, runs.clone(), Duration::ZERO)
        .await
        .unwrap();
    let admin = service.admin_addr();

    let err = tokio::time::timeout(Duration::from_secs(30), service.run())
        .await
        .expect("start-up gives up")
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("Lease kube-system/fake-controller"),
        "{err}"
    );
    assert_eq!(runs.started(), 0);
    assert_eq!(get(admin, "/healthz").await, None, "admin port closed");
}

#[tokio::test]
async fn unusable_gateway_files_fail_before_the_admin_port_opens() {
    let sim = Sim::start().await;
    let args = sim.args("pod-a", &["--gateway-ca-file=/nonexistent/ca.crt"]);
    let shutdown = Shutdown::new(Duration::from_secs(5));
    let Err(err) = prepare(args, shutdown, Runs::default(), Duration::ZERO).await else {
        panic!("a missing CA file must fail");
    };
    assert!(matches!(err, SupportError::Gateway(_)), "{err}");
    assert!(err.to_string().contains("/nonexistent/ca.crt"), "{err}");
}
