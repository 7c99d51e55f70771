//! Handlers against a fake backend: what they send to ECS, what reaches the backend about the
//! caller, and how ECS bodies become contract messages.

use std::collections::HashMap;
use std::sync::Mutex;

use ecs_client::Action;
use serde_json::{Value, json};

use super::*;
use crate::backend::Repeat;

/// What one handler asked the backend to do.
#[derive(Debug, Clone)]
struct Recorded {
    action: &'static str,
    params: HashMap<String, String>,
    caller: String,
    has_deadline: bool,
    repeat: Repeat,
}

/// Answers every action with a canned ECS body and records the call.
#[derive(Default)]
struct FakeBackend {
    answers: HashMap<&'static str, Value>,
    calls: Mutex<Vec<Recorded>>,
}

impl EcsBackend for FakeBackend {
    async fn execute<A>(
        &self,
        call: &CallContext,
        action: A,
    ) -> Result<Executed<A::Response>, BackendError>
    where
        A: Action + 'static,
    {
        self.calls.lock().unwrap().push(Recorded {
            action: A::NAME,
            params: action.params().into_iter().collect(),
            caller: call.caller.clone(),
            has_deadline: call.deadline.is_some(),
            repeat: call.repeat,
        });
        let body = self
            .answers
            .get(A::NAME)
            .cloned()
            .unwrap_or(json!({"RequestId": "req-1"}));
        let response = serde_json::from_value(body).expect("canned body parses");
        Ok(Executed {
            response,
            attempts: 1,
        })
    }
}

fn service(backend: FakeBackend) -> (GatewayService<FakeBackend>, Arc<FakeBackend>) {
    let backend = Arc::new(backend);
    let auth = Arc::new(Authenticator::insecure_dev(Metrics::default()));
    let service = GatewayService::new(
        Arc::clone(&backend),
        auth,
        "cn-hangzhou",
        Metrics::default(),
    );
    (service, backend)
}

fn last_call(backend: &FakeBackend) -> Recorded {
    backend
        .calls
        .lock()
        .unwrap()
        .last()
        .cloned()
        .expect("a backend call")
}

#[tokio::test]
async fn create_snapshot_sends_a_generated_client_token_and_returns_it() {
    let answers = HashMap::from([(
        "CreateSnapshot",
        json!({"RequestId": "req-7", "SnapshotId": "s-123"}),
    )]);
    let (service, backend) = service(FakeBackend {
        answers,
        ..FakeBackend::default()
    });
    let request = v1::CreateSnapshotRequest {
        region_id: "cn-hangzhou".into(),
        disk_id: "d-1".into(),
        ..Default::default()
    };

    let answer = service
        .create_snapshot(Request::new(request))
        .await
        .unwrap()
        .into_inner();

    let call = last_call(&backend);
    assert_eq!(call.action, "CreateSnapshot");
    assert_eq!(call.params.get("ClientToken"), Some(&answer.client_token));
    assert_eq!(answer.client_token.len(), 32);
    assert_eq!(answer.snapshot_id, "s-123");
    assert_eq!(answer.ecs.unwrap().request_id, "req-7");
    assert_eq!(call.caller, crate::auth::INSECURE_DEV_IDENTITY);
    assert_eq!(call.repeat, Repeat::AsDeclared);
}

#[tokio::test]
async fn the_callers_deadline_reaches_the_backend() {
    let (service, backend) = service(FakeBackend::default());
    let mut request = Request::new(v1::DeleteAutoSnapshotPolicyRequest {
        region_id: "cn-hangzhou".into(),
        auto_snapshot_policy_id: "sp-1".into(),
    });
    request
        .metadata_mut()
        .insert("grpc-timeout", "5S".parse().unwrap());

    service.delete_auto_snapshot_policy(request).await.unwrap();

    let call = last_call(&backend);
    assert!(call.has_deadline);
    assert_eq!(call.repeat, Repeat::Converges);
    assert_eq!(
        call.params.get("autoSnapshotPolicyId").map(String::as_str),
        Some("sp-1")
    );
}

#[tokio::test]
async fn snapshot_bodies_become_contract_messages() {
    let body = json!({
        "RequestId": "req-2",
        "NextToken": "page-2",
        "Snapshots": {"Snapshot": [{
            "SnapshotId": "s-1", "SnapshotName": "nightly", "Status": "progressing",
            "Progress": "42%", "SnapshotType": "auto", "SourceDiskId": "d-1",
            "SourceDiskSize": "40", "SourceDiskType": "data", "RetentionDays": 7,
            "CreationTime": "2024-05-20T08:30:00Z", "Available": false,
            "Tags": {"Tag": [{"TagKey": "cluster", "TagValue": "c1"}]}
        }]}
    });
    let answers = HashMap::from([("DescribeSnapshots", body)]);
    let (service, _) = service(FakeBackend {
        answers,
        ..FakeBackend::default()
    });
    let request = v1::DescribeSnapshotsRequest {
        region_id: "cn-hangzhou".into(),
        status: "progressing".into(),
        ..Default::default()
    };

    let page = service
        .describe_snapshots(Request::new(request))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(page.next_token, "page-2");
    let snapshot = &page.snapshots[0];
    assert_eq!(snapshot.progress_percent, 42);
    assert_eq!(snapshot.source_disk_size_gib, 40);
    assert_eq!(snapshot.retention_days, 7);
    assert_eq!(
        snapshot.creation_time.as_ref().map(|t| t.seconds),
        Some(1_716_193_800)
    );
    assert_eq!(
        snapshot.tags,
        [v1::Tag {
            key: "cluster".into(),
            value: "c1".into()
        }]
    );
}

#[tokio::test]
async fn invalid_requests_never_reach_the_backend() {
    let (service, backend) = service(FakeBackend::default());
    let bad_status = v1::DescribeSnapshotsRequest {
        region_id: "cn-hangzhou".into(),
        status: "done".into(),
        ..Default::default()
    };
    let no_disks = v1::ApplyAutoSnapshotPolicyRequest {
        region_id: "cn-hangzhou".into(),
        auto_snapshot_policy_id: "sp-1".into(),
        disk_ids: Vec::new(),
    };
    let no_type = v1::TagResourcesRequest {
        region_id: "cn-hangzhou".into(),
        resource_ids: vec!["d-1".into()],
        tags: vec![v1::Tag {
            key: "k".into(),
            value: "v".into(),
        }],
        ..Default::default()
    };

    let status = service
        .describe_snapshots(Request::new(bad_status))
        .await
        .unwrap_err();
    let disks = service
        .apply_auto_snapshot_policy(Request::new(no_disks))
        .await
        .unwrap_err();
    let kind = service
        .tag_resources(Request::new(no_type))
        .await
        .unwrap_err();

    for (refused, field) in [
        (status, "status"),
        (disks, "disk_ids"),
        (kind, "resource_type"),
    ] {
        assert_eq!(refused.code(), Code::InvalidArgument);
        let details = ecs_gateway_api::GatewayErrorDetails::from_status(&refused).unwrap();
        assert_eq!(details.metadata["field"], field);
    }
    assert!(backend.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn page_sizes_outside_the_documented_range_never_reach_the_backend() {
    let (service, backend) = service(FakeBackend::default());
    let disks = |max_results| v1::DescribeDisksRequest {
        region_id: "cn-hangzhou".into(),
        max_results,
        ..Default::default()
    };
    let snapshots = |max_results| v1::DescribeSnapshotsRequest {
        region_id: "cn-hangzhou".into(),
        max_results,
        ..Default::default()
    };

    let refusals = [
        service
            .describe_disks(Request::new(disks(5)))
            .await
            .unwrap_err(),
        service
            .describe_disks(Request::new(disks(1_000_000_000)))
            .await
            .unwrap_err(),
        service
            .describe_snapshots(Request::new(snapshots(101)))
            .await
            .unwrap_err(),
    ];

    for refused in refusals {
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert!(
            refused.message().contains("max_results"),
            "{}",
            refused.message()
        );
        let details = ecs_gateway_api::GatewayErrorDetails::from_status(&refused).unwrap();
        assert_eq!(details.metadata["field"], "max_results");
    }
    assert!(backend.calls.lock().unwrap().is_empty());
}
