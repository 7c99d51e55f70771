//! Scheduled VSPs through the whole chain: the ECS policy, its status and Events, across
//! restarts, edits, daylight saving and deletion.

mod common;

use common::{Chain, owned_policies, ready, uid, within};
use ecs_gateway_api::v1::{CreateAutoSnapshotPolicyRequest, Tag};
use serde_json::json;

/// The tags ECS holds on policy `id`, as gateway tags.
fn state_tags(state: &ecs_sim::StateDump, id: &str) -> Vec<Tag> {
    let policy = state.policies.iter().find(|p| p.id == id).unwrap();
    policy
        .tags
        .iter()
        .map(|(key, value)| Tag {
            key: key.clone(),
            value: value.clone(),
        })
        .collect()
}

fn weekly(zone: &str, days: &[&str], hours: &[&str], retention: i32) -> serde_json::Value {
    json!({
        "pvcSelector": {"matchLabels": {"app": "web"}},
        "retentionDays": retention,
        "timeZone": zone,
        "snapshotSchedule": {"repeatWeekdays": days, "timePoints": hours},
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_edit_restart_and_delete_leave_exactly_the_right_ecs_policy() {
    within(60, async {
        let mut chain = Chain::start().await;
        chain.bound_pvc("web-0", "d-web1", &[("app", "web")]).await;
        let vsp = chain
            .create_vsp("nightly", weekly("UTC", &["1"], &["20", "23"], 7))
            .await;
        let uid = uid(&vsp);

        let vsp = chain
            .wait_vsp("nightly", "Ready", |v| {
                ready(v).is_some_and(|r| r.0 == "True")
            })
            .await;
        let status = vsp.status.clone().unwrap();
        let state = chain.ecs().await;
        let policies = owned_policies(&state, &uid);
        assert_eq!(policies.len(), 1);
        let policy = policies[0];
        assert_eq!(
            (policy.repeat_weekdays.clone(), policy.time_points.clone()),
            (vec![2], vec![4, 7])
        );
        assert_eq!(policy.retention_days, 7);
        assert_eq!(policy.tags["storage-snapshot-manager/cluster-id"], "c-test");
        assert_eq!(status.ecs_policy_id.as_deref(), Some(policy.id.as_str()));
        assert_eq!(status.selected_volumes, Some(1));
        assert_eq!(status.schedule.as_deref(), Some("1 @ 20,23 UTC"));
        assert!(status.next_snapshot_time.is_some());
        assert_eq!(status.observed_generation, vsp.metadata.generation);
        chain.wait_event("nightly", "EcsPolicyCreated").await;

        // Editing only the retention modifies the policy and takes no snapshot.
        chain
            .patch_vsp("nightly", json!({"spec": {"retentionDays": 30}}))
            .await;
        chain
            .wait_ecs("retention 30", |s| {
                owned_policies(s, &uid)
                    .iter()
                    .any(|p| p.retention_days == 30)
            })
            .await;
        chain.wait_event("nightly", "EcsPolicyUpdated").await;

        // Restarts at several points never create a second policy.
        for delay_ms in [0, 5, 20, 60] {
            chain
                .patch_vsp(
                    "nightly",
                    json!({"metadata": {"labels": {"touch": delay_ms.to_string()}}}),
                )
                .await;
            tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
            chain.restart_controller().await;
        }
        let vsp = chain
            .wait_vsp("nightly", "Ready after restarts", |v| {
                ready(v).is_some_and(|r| r.0 == "True")
            })
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let state = chain.ecs().await;
        assert_eq!(owned_policies(&state, &uid).len(), 1);
        assert!(
            state.snapshots.is_empty(),
            "no snapshot the schedule did not ask for"
        );

        // A duplicate carrying the same tags (a create whose answer was lost) converges away.
        let existing = owned_policies(&state, &uid)[0].id.clone();
        let duplicate = CreateAutoSnapshotPolicyRequest {
            region_id: common::REGION.into(),
            name: "ssm-duplicate".into(),
            time_points: vec![1],
            repeat_weekdays: vec![1],
            retention_days: 1,
            tags: state_tags(&state, &existing),
        };
        let gateway = chain.gateway_client().await;
        gateway
            .clone()
            .create_auto_snapshot_policy(duplicate)
            .await
            .unwrap();
        chain
            .patch_vsp("nightly", json!({"metadata": {"labels": {"touch": "dup"}}}))
            .await;
        let state = chain
            .wait_ecs("duplicates removed", |s| owned_policies(s, &uid).len() == 1)
            .await;
        assert_eq!(
            owned_policies(&state, &uid)[0].id,
            existing,
            "the oldest is kept"
        );
        chain
            .wait_event("nightly", "DuplicateEcsPoliciesRemoved")
            .await;

        // Deleting removes the ECS policy (through the finalizer) and nothing else.
        assert!(
            vsp.metadata
                .finalizers
                .iter()
                .flatten()
                .any(|f| f.contains("ecs-snapshot-policy"))
        );
        chain
            .vsps()
            .delete("nightly", &Default::default())
            .await
            .unwrap();
        chain
            .wait_ecs("policy deleted", |s| owned_policies(s, &uid).is_empty())
            .await;
        for _ in 0..100 {
            if chain.vsps().get_opt("nightly").await.unwrap().is_none() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(chain.vsps().get_opt("nightly").await.unwrap().is_none());
        chain.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_zone_is_a_condition_and_never_reaches_ecs() {
    within(30, async {
        let chain = Chain::start().await;
        chain
            .create_vsp("bad-zone", weekly("Mars/Olympus_Mons", &["1"], &["2"], 7))
            .await;
        let vsp = chain
            .wait_vsp("bad-zone", "InvalidSpec", |v| {
                ready(v).is_some_and(|r| r == ("False".into(), "InvalidSpec".into()))
            })
            .await;
        let message = &vsp.status.unwrap().conditions.unwrap()[0].message;
        assert!(
            message.contains("spec.timeZone") && message.contains("Mars/Olympus_Mons"),
            "{message}"
        );
        chain.wait_event("bad-zone", "InvalidSpec").await;
        assert!(chain.ecs().await.policies.is_empty());

        // Fixing the zone makes it work.
        chain
            .patch_vsp("bad-zone", json!({"spec": {"timeZone": "Asia/Shanghai"}}))
            .await;
        chain
            .wait_vsp("bad-zone", "Ready", |v| {
                ready(v).is_some_and(|r| r.0 == "True")
            })
            .await;
        assert_eq!(chain.ecs().await.policies.len(), 1);

        // Broken again: what described the spec is cleared, what ECS still runs stays.
        chain
            .patch_vsp(
                "bad-zone",
                json!({"spec": {"timeZone": "Mars/Olympus_Mons"}}),
            )
            .await;
        let vsp = chain
            .wait_vsp("bad-zone", "InvalidSpec again", |v| {
                ready(v).is_some_and(|r| r.1 == "InvalidSpec")
            })
            .await;
        let status = vsp.status.unwrap();
        assert_eq!((status.schedule, status.selected_volumes), (None, None));
        assert!(status.ecs_policy_id.is_some() && status.ecs_schedule.is_some());
        chain.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daylight_saving_switch_reconverts_the_ecs_policy() {
    within(30, async {
        let chain = Chain::start_at(Some("2026-03-28T12:00:00Z".parse().unwrap())).await;
        let vsp = chain
            .create_vsp("berlin", weekly("Europe/Berlin", &["1"], &["10"], 7))
            .await;
        let uid = uid(&vsp);
        let vsp = chain
            .wait_vsp("berlin", "Ready", |v| {
                ready(v).is_some_and(|r| r.0 == "True")
            })
            .await;
        let status = vsp.status.unwrap();
        let until = status
            .ecs_schedule
            .as_ref()
            .unwrap()
            .valid_until
            .clone()
            .unwrap();
        assert_eq!(until.0, "2026-03-29T01:00:00Z".parse().unwrap());
        let state = chain.ecs().await;
        assert_eq!(owned_policies(&state, &uid)[0].time_points, vec![17]);

        // Past the switch, the next reconcile converts again (triggered here by a label edit,
        // in production by the requeue at validUntil).
        chain
            .set_time("2026-03-29T01:00:00Z".parse().unwrap())
            .await;
        chain
            .patch_vsp("berlin", json!({"metadata": {"labels": {"tick": "1"}}}))
            .await;
        chain
            .wait_ecs("summer time", |s| {
                owned_policies(s, &uid)[0].time_points == vec![16]
            })
            .await;
        chain.wait_event("berlin", "EcsPolicyReconverted").await;
        chain.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ecs_outage_is_reported_and_retried_until_it_ends() {
    within(30, async {
        let chain = Chain::start().await;
        let outage = ecs_sim::FaultRule {
            action: "*".into(),
            fault: ecs_sim::Fault::ServerError {
                status: 503,
                code: "ServiceUnavailable".into(),
            },
            probability: 1.0,
            times: None,
        };
        chain.ecs_sim.admin().set_faults(&[outage]).await.unwrap();
        let vsp = chain
            .create_vsp("outage", weekly("UTC", &["1"], &["2"], 7))
            .await;
        let uid = uid(&vsp);
        let vsp = chain
            .wait_vsp("outage", "GatewayError", |v| {
                ready(v).is_some_and(|r| r == ("False".into(), "GatewayError".into()))
            })
            .await;
        let message = &vsp.status.unwrap().conditions.unwrap()[0].message;
        assert!(message.contains("ServiceUnavailable"), "{message}");
        chain.wait_event("outage", "GatewayError").await;

        chain.ecs_sim.admin().set_faults(&[]).await.unwrap();
        chain
            .wait_vsp("outage", "Ready after the outage", |v| {
                ready(v).is_some_and(|r| r.0 == "True")
            })
            .await;
        assert_eq!(owned_policies(&chain.ecs().await, &uid).len(), 1);
        chain.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_and_conflicting_policies_never_reach_ecs() {
    within(30, async {
        let chain = Chain::start().await;
        chain.bound_pvc("web-0", "d-web1", &[("app", "web")]).await;
        let invalid = |v: &snapshot_k8s::vsp::VolumeSnapshotPolicy| {
            ready(v).is_some_and(|r| r == ("False".into(), "InvalidSpec".into()))
        };
        let message = |v: snapshot_k8s::vsp::VolumeSnapshotPolicy| {
            v.status.unwrap().conditions.unwrap()[0].message.clone()
        };

        // A zone whose offset is not whole hours cannot be converted to ECS's hours.
        chain
            .create_vsp("kolkata", weekly("Asia/Kolkata", &["1"], &["2"], 7))
            .await;
        let vsp = chain.wait_vsp("kolkata", "InvalidSpec", invalid).await;
        let text = message(vsp);
        assert!(text.contains("+05:30"), "{text}");

        // 12:00 and 20:00 UTC on Monday are Monday 20:00 and Tuesday 04:00 in ECS's zone: one
        // ECS policy (weekdays x hours) cannot say that, and nothing is sent half-right.
        chain
            .create_vsp("split", weekly("UTC", &["1"], &["12", "20"], 7))
            .await;
        let vsp = chain.wait_vsp("split", "InvalidSpec", invalid).await;
        let text = message(vsp);
        assert!(text.contains("select all seven weekdays"), "{text}");
        chain.wait_event("split", "InvalidSpec").await;

        // What the schema can check, the API server refuses before any controller sees it.
        let both = json!({
            "apiVersion": "storage.alibabacloud.com/v1beta1",
            "kind": "VolumeSnapshotPolicy",
            "metadata": {"name": "both"},
            "spec": {
                "pvcSelector": {"matchLabels": {"app": "web"}},
                "snapshotSchedule": {"repeatOnce": true, "timePoints": ["2"]},
            },
        });
        let both = serde_json::from_value(both).unwrap();
        let refused = chain.vsps().create(&Default::default(), &both).await;
        assert!(
            matches!(&refused, Err(kube::Error::Api(e)) if e.code == 422),
            "{refused:?}"
        );

        // Two valid policies selecting one PVC each get their own ECS policy; which one the
        // disk carries is pvc-reconciler's decision.
        let a = uid(&chain
            .create_vsp("a", weekly("UTC", &["1"], &["2"], 7))
            .await);
        let b = uid(&chain
            .create_vsp("b", weekly("UTC", &["3"], &["2"], 7))
            .await);
        for name in ["a", "b"] {
            chain
                .wait_vsp(name, "Ready", |v| ready(v).is_some_and(|r| r.0 == "True"))
                .await;
        }
        let state = chain.ecs().await;
        assert_eq!(owned_policies(&state, &a).len(), 1);
        assert_eq!(owned_policies(&state, &b).len(), 1);
        assert_eq!(state.policies.len(), 2, "the invalid policies reached ECS");
        chain.stop().await;
    })
    .await;
}
