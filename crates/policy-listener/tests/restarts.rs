//! The controller killed at random points of create, modify and delete, and the gateway down
//! for a while: ECS ends up holding exactly the policies and snapshots the VSPs ask for.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Chain, DISKS, owned_policies, owned_snapshots, ready, uid, within};
use serde_json::json;
use snapshot_k8s::vsp::{RepeatOnceSnapshotState as State, VolumeSnapshotPolicy};

/// Delays for the kills: xorshift64 from `TEST_SEED`, or from the clock (printed, so that a
/// failing run can be repeated with `TEST_SEED=<seed>`).
struct Delays(u64);

impl Delays {
    fn new() -> Self {
        let seed = std::env::var("TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
                nanos.subsec_nanos() as u64 | 1
            });
        eprintln!("kill delays from TEST_SEED={seed}");
        Self(seed)
    }

    /// A delay of 0 to 150 ms: from before the first API call to after the last write.
    fn next(&mut self) -> Duration {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        Duration::from_millis(x % 151)
    }
}

fn weekly(hours: &[&str], retention: i32) -> serde_json::Value {
    json!({
        "pvcSelector": {"matchLabels": {"app": "db"}},
        "retentionDays": retention,
        "timeZone": "UTC",
        "snapshotSchedule": {"repeatWeekdays": ["1"], "timePoints": hours},
    })
}

fn once() -> serde_json::Value {
    json!({
        "pvcSelector": {"matchLabels": {"app": "db"}},
        "retentionDays": 3,
        "snapshotSchedule": {"repeatOnce": true},
    })
}

fn is_ready_and_current(vsp: &VolumeSnapshotPolicy) -> bool {
    let status = vsp.status.as_ref();
    ready(vsp).is_some_and(|r| r.0 == "True")
        && status.and_then(|s| s.observed_generation) == vsp.metadata.generation
}

fn job_finished(vsp: &VolumeSnapshotPolicy) -> bool {
    let job = vsp.status.as_ref().and_then(|s| s.repeat_once.as_ref());
    job.is_some_and(|j| j.finished)
}

fn job_states(vsp: &VolumeSnapshotPolicy) -> Vec<State> {
    let job = vsp.status.as_ref().and_then(|s| s.repeat_once.as_ref());
    job.map(|j| j.snapshots.iter().map(|s| s.state).collect())
        .unwrap_or_default()
}

async fn three_volumes(chain: &Chain) {
    for (i, disk) in DISKS.iter().enumerate() {
        chain
            .bound_pvc(&format!("db-{i}"), disk, &[("app", "db")])
            .await;
    }
}

/// Kills and restarts the controller after a random delay.
async fn kill_soon(chain: &mut Chain, delays: &mut Delays) {
    tokio::time::sleep(delays.next()).await;
    chain.restart_controller().await;
}

/// The one ECS policy of `uid` as `(weekdays, hours, retention)`, asserting there is one.
async fn the_policy(chain: &Chain, uid: &str) -> (Vec<u8>, Vec<u8>, i64) {
    let state = chain.ecs().await;
    let policies = owned_policies(&state, uid);
    assert_eq!(policies.len(), 1, "exactly one ECS policy: {policies:#?}");
    let p = policies[0];
    (
        p.repeat_weekdays.clone(),
        p.time_points.clone(),
        p.retention_days,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kills_at_random_points_of_create_modify_and_delete_leave_exactly_the_right_objects() {
    within(90, async {
        let mut chain = Chain::start().await;
        let mut delays = Delays::new();
        three_volumes(&chain).await;

        for round in 0..3 {
            let name = format!("nightly-{round}");
            let uid = uid(&chain.create_vsp(&name, weekly(&["2"], 7)).await);
            kill_soon(&mut chain, &mut delays).await;
            chain.wait_vsp(&name, "Ready", is_ready_and_current).await;
            // 02:00 UTC on Monday is 10:00 in ECS's UTC+8.
            assert_eq!(the_policy(&chain, &uid).await, (vec![1], vec![10], 7));

            chain
                .patch_vsp(&name, json!({"spec": weekly(&["5"], 14)}))
                .await;
            kill_soon(&mut chain, &mut delays).await;
            chain
                .wait_vsp(&name, "Ready after the edit", is_ready_and_current)
                .await;
            assert_eq!(the_policy(&chain, &uid).await, (vec![1], vec![13], 14));

            chain
                .vsps()
                .delete(&name, &Default::default())
                .await
                .unwrap();
            kill_soon(&mut chain, &mut delays).await;
            chain
                .wait_ecs("policy deleted", |s| owned_policies(s, &uid).is_empty())
                .await;
            chain.wait_vsp_gone(&name).await;
        }
        let state = chain.ecs().await;
        assert!(state.policies.is_empty(), "{:#?}", state.policies);
        assert!(state.snapshots.is_empty(), "no snapshot was asked for");

        // A one-off job killed twice at random points takes one group, once.
        let uid = uid(&chain.create_vsp("backup", once()).await);
        kill_soon(&mut chain, &mut delays).await;
        kill_soon(&mut chain, &mut delays).await;
        chain
            .wait_vsp("backup", "group started", |v| {
                let states = job_states(v);
                states.len() == DISKS.len() && states.iter().all(|s| *s != State::Pending)
            })
            .await;
        chain.advance(120).await;
        let vsp = chain.wait_vsp("backup", "job finished", job_finished).await;
        assert!(job_states(&vsp).iter().all(|s| *s == State::Accomplished));
        assert_eq!(owned_snapshots(&chain.ecs().await, &uid), (3, 1));
        chain.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_down_for_a_while_is_retried_until_it_is_back() {
    within(60, async {
        let mut chain = Chain::start().await;
        three_volumes(&chain).await;
        chain.stop_gateway().await;

        let nightly = uid(&chain.create_vsp("nightly", weekly(&["2"], 7)).await);
        let backup = uid(&chain.create_vsp("backup", once()).await);
        let gateway_error = |v: &VolumeSnapshotPolicy| {
            ready(v).is_some_and(|r| r == ("False".into(), "GatewayError".into()))
        };
        chain
            .wait_vsp("nightly", "GatewayError", gateway_error)
            .await;
        let vsp = chain
            .wait_vsp("backup", "GatewayError", gateway_error)
            .await;
        assert_eq!(
            job_states(&vsp),
            [State::Pending; 3],
            "the job's disks are recorded, nothing is started"
        );
        chain.wait_event("nightly", "GatewayError").await;

        // Down for longer than a few backoffs: still retrying, still no crash.
        tokio::time::sleep(Duration::from_secs(2)).await;
        chain.start_gateway().await;
        chain
            .wait_vsp(
                "nightly",
                "Ready once the gateway is back",
                is_ready_and_current,
            )
            .await;
        assert_eq!(the_policy(&chain, &nightly).await, (vec![1], vec![10], 7));
        chain
            .wait_vsp("backup", "group started", |v| {
                job_states(v).iter().all(|s| *s == State::Progressing)
            })
            .await;
        chain.advance(120).await;
        let vsp = chain.wait_vsp("backup", "job finished", job_finished).await;
        assert!(job_states(&vsp).iter().all(|s| *s == State::Accomplished));
        assert_eq!(owned_snapshots(&chain.ecs().await, &backup), (3, 1));
        chain.stop().await;
    })
    .await;
}

/// SIGTERM while the first VSP list keeps failing (here: nothing listens where the API server
/// should be) stops the controller at once instead of at the drain timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stops_promptly_while_the_first_list_keeps_failing() {
    within(30, async {
        let chain = Chain::start().await;
        let unreachable = kube::Config::new("http://127.0.0.1:1".parse().unwrap());
        let ctx = policy_listener::controller::Context {
            client: kube::Client::try_from(unreachable).unwrap(),
            ..chain.context()
        };
        let token = tokio_util::sync::CancellationToken::new();
        let task = tokio::spawn(policy_listener::controller::run(
            std::sync::Arc::new(ctx),
            token.clone(),
        ));
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        assert!(
            !task.is_finished(),
            "the controller keeps retrying the list"
        );

        let asked = std::time::Instant::now();
        token.cancel();
        tokio::time::timeout(std::time::Duration::from_secs(2), task)
            .await
            .expect("the controller stops within 2s of the shutdown request")
            .unwrap();
        assert!(asked.elapsed() < std::time::Duration::from_secs(2));
        chain.stop().await;
    })
    .await;
}
