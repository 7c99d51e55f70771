//! repeatOnce VSPs through the whole chain: one consistent group over three disks, exactly
//! once, whatever the controller's restarts and ECS's refusals.

mod common;

use common::{Chain, DISKS, owned_snapshots as owned, ready, uid, within};
use ecs_gateway_api::v1::CreateSnapshotRequest;
use ecs_sim::{Fault, FaultRule};
use serde_json::json;
use snapshot_k8s::vsp::{RepeatOnceSnapshotState as State, VolumeSnapshotPolicy};

fn once() -> serde_json::Value {
    json!({
        "pvcSelector": {"matchLabels": {"app": "db"}},
        "retentionDays": 3,
        "snapshotSchedule": {"repeatOnce": true},
    })
}

async fn three_volumes(chain: &Chain) {
    for (i, disk) in DISKS.iter().enumerate() {
        chain
            .bound_pvc(&format!("db-{i}"), disk, &[("app", "db")])
            .await;
    }
}

fn job_state(vsp: &VolumeSnapshotPolicy) -> Vec<State> {
    let job = vsp.status.as_ref().and_then(|s| s.repeat_once.as_ref());
    job.map(|j| j.snapshots.iter().map(|s| s.state).collect())
        .unwrap_or_default()
}

fn finished(vsp: &VolumeSnapshotPolicy) -> bool {
    let job = vsp.status.as_ref().and_then(|s| s.repeat_once.as_ref());
    job.is_some_and(|j| j.finished)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_disks_killed_twice_leave_exactly_one_group() {
    within(60, async {
        let mut chain = Chain::start().await;
        three_volumes(&chain).await;
        let vsp = chain.create_vsp("backup", once()).await;
        let uid = uid(&vsp);

        // Killed as soon as the job's disks are recorded (before or during the group call).
        chain
            .wait_vsp("backup", "job planned", |v| job_state(v).len() == 3)
            .await;
        chain.restart_controller().await;

        // Killed again while ECS takes the group (minutes of ECS time).
        chain
            .wait_vsp("backup", "group started", |v| {
                job_state(v).iter().all(|s| *s == State::Progressing)
            })
            .await;
        chain.restart_controller().await;
        chain.advance(120).await;

        let vsp = chain.wait_vsp("backup", "job finished", finished).await;
        let status = vsp.status.clone().unwrap();
        let job = status.repeat_once.unwrap();
        assert!(
            job.snapshots.iter().all(|s| s.state == State::Accomplished),
            "{job:#?}"
        );
        let groups: Vec<_> = job
            .snapshots
            .iter()
            .map(|s| s.snapshot_group_id.clone())
            .collect();
        assert!(
            groups.iter().all(|g| g.is_some() && *g == groups[0]),
            "{groups:?}"
        );
        assert_eq!(status.selected_volumes, Some(3));
        assert_eq!(
            ready(&vsp),
            Some(("True".into(), "SnapshotsCompleted".into()))
        );

        let state = chain.ecs().await;
        assert_eq!(
            owned(&state, &uid),
            (3, 1),
            "exactly one group of three snapshots"
        );
        // Kubernetes times have whole seconds.
        let taken = state
            .snapshots
            .iter()
            .map(|s| s.snapshot.creation_time)
            .max();
        assert_eq!(
            status.last_snapshot_time.map(|t| t.0.as_second()),
            taken.map(|t| t.as_second()),
            "lastSnapshotTime is when ECS took the job's snapshots"
        );
        assert_eq!(status.next_snapshot_time, None);
        chain.wait_event("backup", "SnapshotsCompleted").await;

        // Neither a restart nor a new generation takes them again.
        chain
            .patch_vsp("backup", json!({"spec": {"retentionDays": 9}}))
            .await;
        chain.restart_controller().await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(owned(&chain.ecs().await, &uid), (3, 1));
        chain.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_twice_while_the_group_call_is_in_flight_leaves_exactly_one_group() {
    within(60, async {
        let mut chain = Chain::start().await;
        // ECS answers CreateSnapshotGroup only after 1.5s: each kill lands while a call is in
        // flight, and the call still goes through at ECS after its caller is gone.
        let slow = FaultRule {
            action: "CreateSnapshotGroup".into(),
            fault: Fault::Latency { millis: 1500 },
            probability: 1.0,
            times: Some(3),
        };
        chain.ecs_sim.admin().set_faults(&[slow]).await.unwrap();
        three_volumes(&chain).await;
        let uid = uid(&chain.create_vsp("slow", once()).await);

        chain
            .wait_vsp("slow", "job planned", |v| job_state(v).len() == 3)
            .await;
        for _ in 0..2 {
            tokio::time::sleep(std::time::Duration::from_millis(400)).await;
            chain.restart_controller().await;
        }
        chain
            .wait_vsp("slow", "group started", |v| {
                job_state(v).iter().all(|s| *s == State::Progressing)
            })
            .await;
        chain.advance(120).await;
        let vsp = chain.wait_vsp("slow", "job finished", finished).await;
        assert!(job_state(&vsp).iter().all(|s| *s == State::Accomplished));
        // Let any call still in flight land before counting.
        tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
        assert_eq!(owned(&chain.ecs().await, &uid), (3, 1));
        chain.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_a_busy_disk_are_retried_never_failed() {
    within(60, async {
        let chain = Chain::start().await;
        // A snapshot someone else started keeps d-web1 busy for a minute of ECS time.
        let busy = CreateSnapshotRequest {
            region_id: common::REGION.into(),
            disk_id: DISKS[0].into(),
            ..Default::default()
        };
        chain
            .gateway_client()
            .await
            .create_snapshot(busy)
            .await
            .unwrap();
        let throttle = FaultRule {
            action: "CreateSnapshotGroup".into(),
            fault: Fault::Throttle {
                code: "Throttling.User".into(),
            },
            probability: 1.0,
            times: Some(3),
        };
        chain.ecs_sim.admin().set_faults(&[throttle]).await.unwrap();
        three_volumes(&chain).await;
        let vsp = chain.create_vsp("retry", once()).await;
        let uid = uid(&vsp);

        chain
            .wait_vsp("retry", "disk reported busy", |v| {
                let job = v.status.as_ref().and_then(|s| s.repeat_once.as_ref());
                let entries = job.map(|j| j.snapshots.as_slice()).unwrap_or_default();
                assert!(
                    entries.iter().all(|s| s.state != State::Failed),
                    "{entries:#?}"
                );
                entries.iter().any(|s| {
                    s.state == State::Pending
                        && s.reason.as_deref() == Some("IncorrectDiskStatus.CreatingSnapshot")
                })
            })
            .await;
        chain.wait_event("retry", "GatewayError").await;

        // Once the other snapshot is done, the group goes through and completes.
        chain.advance(120).await;
        chain
            .wait_vsp("retry", "group started", |v| {
                job_state(v).iter().all(|s| *s == State::Progressing)
            })
            .await;
        chain.advance(120).await;
        let vsp = chain.wait_vsp("retry", "job finished", finished).await;
        assert!(job_state(&vsp).iter().all(|s| *s == State::Accomplished));
        assert_eq!(owned(&chain.ecs().await, &uid), (3, 1));
        chain.stop().await;
    })
    .await;
}

/// Deleting a one-off VSP while ECS still takes its snapshots: the finalizer waits (status and
/// an Event name the snapshots), then goes, with an Event naming what stays in ECS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_while_snapshots_progress_waits_then_names_what_stays_in_ecs() {
    within(60, async {
        let chain = Chain::start().await;
        chain.bound_pvc("web-0", DISKS[0], &[("app", "web")]).await;
        let spec = json!({
            "pvcSelector": {"matchLabels": {"app": "web"}},
            "snapshotSchedule": {"repeatOnce": true},
        });
        let uid = uid(&chain.create_vsp("once-del", spec).await);
        chain
            .wait_vsp("once-del", "snapshot started", |v| {
                job_state(v) == [State::Progressing]
            })
            .await;

        chain
            .vsps()
            .delete("once-del", &Default::default())
            .await
            .unwrap();
        let vsp = chain
            .wait_vsp("once-del", "deletion waiting", |v| {
                ready(v).is_some_and(|(_, r)| r == "SnapshotsInProgress")
                    && message(v).contains("being deleted")
            })
            .await;
        let id = snapshot_id(&vsp);
        assert!(message(&vsp).contains(&id), "{}", message(&vsp));
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        assert!(chain.vsps().get_opt("once-del").await.unwrap().is_some());

        chain.advance(120).await;
        chain.wait_vsp_gone("once-del").await;
        chain.wait_event("once-del", "SnapshotsKeptInEcs").await;
        let notes = event_notes(&chain, "once-del").await;
        assert!(
            notes
                .iter()
                .any(|n| n.contains(&id) && n.contains("kept until deleted")),
            "{notes:?}"
        );
        assert_eq!(
            owned(&chain.ecs().await, &uid).0,
            1,
            "the snapshot stays in ECS"
        );
        chain.stop().await;
    })
    .await;
}

fn message(vsp: &VolumeSnapshotPolicy) -> String {
    let conditions = vsp.status.as_ref().and_then(|s| s.conditions.clone());
    let ready = conditions
        .into_iter()
        .flatten()
        .find(|c| c.type_ == "Ready");
    ready.map(|c| c.message).unwrap_or_default()
}

fn snapshot_id(vsp: &VolumeSnapshotPolicy) -> String {
    let job = vsp.status.as_ref().and_then(|s| s.repeat_once.as_ref());
    let entry = job.and_then(|j| j.snapshots.first());
    entry
        .and_then(|s| s.snapshot_id.clone())
        .expect("a snapshot ID")
}

async fn event_notes(chain: &Chain, name: &str) -> Vec<String> {
    use k8s_openapi::api::events::v1::Event;
    let events: kube::Api<Event> = kube::Api::namespaced(chain.client.clone(), "default");
    let list = events.list(&Default::default()).await.unwrap();
    list.items
        .into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
        .filter_map(|e| e.note)
        .collect()
}
