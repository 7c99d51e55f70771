//! Every action end to end against the ECS simulator, which checks signatures, timestamps,
//! nonces and STS tokens like ECS; plus its throttling and faults, and each credential source
//! (metadata service, STS AssumeRoleWithOIDC) it issues credentials through.

use std::sync::Arc;
use std::time::Duration;

use ecs_client::actions::*;
use ecs_client::credentials::*;
use ecs_client::{ClientConfig, EcsClient, Endpoint, Error, SignatureVersion, TransportKind};
use ecs_sim::{Fault, FaultRule, SimConfig, SimHandle};
use serde_json::json;

const REGION: &str = "cn-hangzhou";

async fn simulator() -> SimHandle {
    let instance = json!({ "id": "i-1", "zone_id": "cn-hangzhou-h" });
    let disk = |id: &str| json!({ "id": id, "instance_id": "i-1" });
    let config = SimConfig {
        instances: vec![serde_json::from_value(instance).unwrap()],
        disks: vec![
            serde_json::from_value(disk("d-1")).unwrap(),
            serde_json::from_value(disk("d-2")).unwrap(),
        ],
        ..SimConfig::default()
    };
    ecs_sim::spawn(config).await.expect("simulator starts")
}

fn static_keys() -> Arc<dyn CredentialsProvider> {
    let credentials = Credentials::access_key(
        ecs_sim::DEFAULT_ACCESS_KEY_ID,
        ecs_sim::DEFAULT_ACCESS_KEY_SECRET,
    )
    .unwrap();
    Arc::new(StaticCredentials::new(credentials))
}

fn client(
    sim: &SimHandle,
    version: SignatureVersion,
    credentials: Arc<dyn CredentialsProvider>,
) -> EcsClient {
    let mut config = ClientConfig::new(Endpoint::url(&sim.base_url()).unwrap());
    config.signature_version = version;
    config.read_timeout = Duration::from_millis(800);
    EcsClient::new(config, credentials).unwrap()
}

fn disks() -> Vec<String> {
    vec!["d-1".to_owned(), "d-2".to_owned()]
}

/// Drives every action through its lifecycle and checks what the simulator reports back.
async fn lifecycle(client: &EcsClient, sim: &SimHandle) {
    let mut create = CreateAutoSnapshotPolicy::new(REGION, (0..24).collect(), (1..=7).collect(), 3);
    create.name = Some("vsp-hourly".into());
    let policy_id = client
        .execute(&create)
        .await
        .unwrap()
        .auto_snapshot_policy_id;

    let mut modify = ModifyAutoSnapshotPolicyEx::new(REGION, &policy_id);
    modify.retention_days = Some(5);
    client.execute(&modify).await.unwrap();
    let mut describe = DescribeAutoSnapshotPolicyEx::new(REGION);
    describe.auto_snapshot_policy_id = Some(policy_id.clone());
    let policies = client
        .execute(&describe)
        .await
        .unwrap()
        .auto_snapshot_policies;
    assert_eq!(policies.len(), 1);
    assert_eq!(
        (policies[0].retention_days, policies[0].time_points.len()),
        (5, 24)
    );
    assert_eq!(policies[0].auto_snapshot_policy_name, "vsp-hourly");

    client
        .execute(&ApplyAutoSnapshotPolicy::new(REGION, &policy_id, disks()))
        .await
        .unwrap();
    let mut by_policy = DescribeDisks::new(REGION);
    by_policy.auto_snapshot_policy_id = Some(policy_id.clone());
    let covered = client.execute(&by_policy).await.unwrap().disks;
    assert_eq!(covered.len(), 2);
    let of_disk = DescribeAutoSnapshotPolicyAssociations::of_disk(REGION, "d-1");
    let on_d1 = client.execute(&of_disk).await.unwrap();
    let pairs = &on_d1.auto_snapshot_policy_associations;
    assert_eq!(
        (pairs.len(), &pairs[0].auto_snapshot_policy_id),
        (1, &policy_id)
    );
    let of_policy = DescribeAutoSnapshotPolicyAssociations::of_policy(REGION, &policy_id);
    let carrying = client.execute(&of_policy).await.unwrap();
    let mut carrying: Vec<String> = (carrying.auto_snapshot_policy_associations.iter())
        .map(|a| a.disk_id.clone())
        .collect();
    carrying.sort();
    assert_eq!(carrying, disks());

    sim.admin().advance(3600).await.unwrap();
    let mut auto = DescribeSnapshots::new(REGION);
    auto.disk_id = Some("d-1".into());
    auto.snapshot_type = Some(SnapshotTypeFilter::Auto);
    let taken = client.execute(&auto).await.unwrap().snapshots;
    assert!(!taken.is_empty(), "the hourly policy fired");
    assert_eq!(taken[0].source_disk_id, "d-1");

    client
        .execute(&CancelAutoSnapshotPolicy::new(REGION, &policy_id, disks()))
        .await
        .unwrap();
    assert!(client.execute(&by_policy).await.unwrap().disks.is_empty());

    let mut snapshot = CreateSnapshot::new("d-2");
    snapshot.snapshot_name = Some("manual-one".into());
    let first = client.execute(&snapshot).await.unwrap().snapshot_id;
    let repeat = client.execute(&snapshot).await.unwrap().snapshot_id;
    assert_eq!(
        first, repeat,
        "the client token makes a repeat return the same snapshot"
    );

    let tags = vec![Tag::new("cluster", "c-1")];
    client
        .execute(&TagResources::new(
            REGION,
            "snapshot",
            vec![first.clone()],
            tags,
        ))
        .await
        .unwrap();
    let mut listed = ListTagResources::new(REGION, "snapshot");
    listed.resource_ids = vec![first.clone()];
    let rows = client.execute(&listed).await.unwrap().tag_resources;
    assert!(
        rows.iter()
            .any(|r| r.tag_key == "cluster" && r.tag_value == "c-1"),
        "{rows:?}"
    );

    sim.admin().advance(120).await.unwrap();
    let group = CreateSnapshotGroup::new(REGION, disks());
    let group_id = client.execute(&group).await.unwrap().snapshot_group_id;
    let mut groups = DescribeSnapshotGroups::new(REGION);
    groups.snapshot_group_ids = vec![group_id.clone()];
    let found = client.execute(&groups).await.unwrap().snapshot_groups;
    assert_eq!(found[0].snapshot_group_id, group_id);
    assert_eq!(found[0].snapshots.len(), 2);

    client.execute(&DeleteSnapshot::new(&first)).await.unwrap();
    let mut by_id = DescribeSnapshots::new(REGION);
    by_id.snapshot_ids = vec![first.clone()];
    assert!(client.execute(&by_id).await.unwrap().snapshots.is_empty());
    client
        .execute(&DeleteSnapshot::new(&first))
        .await
        .expect("deleting a missing snapshot succeeds");

    client
        .execute(&DeleteAutoSnapshotPolicy::new(REGION, &policy_id))
        .await
        .unwrap();
    let again = client
        .execute(&DeleteAutoSnapshotPolicy::new(REGION, &policy_id))
        .await
        .unwrap_err();
    assert_eq!(
        (again.http_status(), again.code()),
        (Some(404), Some("ParameterInvalid"))
    );
}

#[tokio::test]
async fn every_action_with_rpc_v1_signatures() {
    let sim = simulator().await;
    lifecycle(&client(&sim, SignatureVersion::RpcV1, static_keys()), &sim).await;
}

#[tokio::test]
async fn every_action_with_v3_signatures() {
    let sim = simulator().await;
    lifecycle(&client(&sim, SignatureVersion::V3, static_keys()), &sim).await;
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_the_simulator() {
    let sim = simulator().await;
    let wrong = Credentials::access_key(ecs_sim::DEFAULT_ACCESS_KEY_ID, "not-the-secret").unwrap();
    let client = client(
        &sim,
        SignatureVersion::RpcV1,
        Arc::new(StaticCredentials::new(wrong)),
    );
    let error = client
        .execute(&DescribeDisks::new(REGION))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("SignatureDoesNotMatch"));
    assert!(!error.to_string().contains("not-the-secret"));
}

async fn with_fault(fault: Fault) -> Error {
    let sim = simulator().await;
    let rule = FaultRule {
        action: "DescribeDisks".into(),
        fault,
        probability: 1.0,
        times: Some(1),
    };
    sim.admin().set_faults(&[rule]).await.unwrap();
    let client = client(&sim, SignatureVersion::RpcV1, static_keys());
    let error = client
        .execute(&DescribeDisks::new(REGION))
        .await
        .unwrap_err();
    client
        .execute(&DescribeDisks::new(REGION))
        .await
        .expect("the fault hit once only");
    error
}

#[tokio::test]
async fn simulated_faults_are_classified() {
    let throttled = with_fault(Fault::Throttle {
        code: "Throttling.User".into(),
    })
    .await;
    assert!(
        throttled.is_throttling() && throttled.request_id().is_some(),
        "{throttled:?}"
    );

    let unavailable = with_fault(Fault::ServerError {
        status: 503,
        code: "ServiceUnavailable".into(),
    })
    .await;
    assert!(
        unavailable.is_transient() && !unavailable.is_throttling(),
        "{unavailable:?}"
    );

    let dropped = with_fault(Fault::Drop).await;
    assert!(dropped.is_transient(), "{dropped:?}");
    assert!(
        matches!(
            dropped,
            Error::Transport {
                kind: TransportKind::Broken,
                ..
            }
        ),
        "{dropped:?}"
    );

    let slow = with_fault(Fault::Latency { millis: 1500 }).await;
    assert!(
        matches!(
            slow,
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{slow:?}"
    );
}

#[tokio::test]
async fn simulated_rate_limits_answer_throttling() {
    let sim = simulator().await;
    let throttling = serde_json::from_value(
        json!({ "actions": { "DescribeDisks": { "per_second": 1, "burst": 2 } } }),
    );
    sim.admin()
        .set_throttling(&throttling.unwrap())
        .await
        .unwrap();
    let client = client(&sim, SignatureVersion::RpcV1, static_keys());

    let mut errors = Vec::new();
    for _ in 0..5 {
        if let Err(error) = client.execute(&DescribeDisks::new(REGION)).await {
            errors.push(error);
        }
    }
    assert!(!errors.is_empty(), "the burst of 2 was exceeded");
    assert!(
        errors
            .iter()
            .all(|e| e.is_throttling() && e.code() == Some("Throttling.Api")),
        "{errors:?}"
    );
}

#[tokio::test]
async fn instance_role_credentials_from_the_simulated_metadata_service() {
    let sim = simulator().await;
    let config = InstanceRoleConfig {
        base_url: sim.base_url().parse().unwrap(),
        ..InstanceRoleConfig::default()
    };
    let source = Arc::new(InstanceRoleCredentials::new(config).unwrap());
    let cache = CachingProvider::start(source, CacheOptions::default())
        .await
        .unwrap();
    let client = client(&sim, SignatureVersion::RpcV1, cache.clone());

    client
        .execute(&DescribeDisks::new(REGION))
        .await
        .expect("STS credentials accepted");
    assert!(
        cache
            .credentials()
            .await
            .unwrap()
            .access_key_id()
            .starts_with("STS.")
    );

    sim.admin().advance(7 * 3600).await.unwrap();
    let error = client
        .execute(&DescribeDisks::new(REGION))
        .await
        .unwrap_err();
    assert!(error.is_credentials_expired(), "{error:?}");
    let fetches = cache.refresh_count();
    let retried = client.execute(&DescribeDisks::new(REGION)).await;
    retried.expect("the refused token was replaced without being asked");
    assert_eq!(cache.refresh_count(), fetches + 1);
}

#[tokio::test]
async fn rrsa_credentials_from_the_simulated_sts() {
    let sim = simulator().await;
    let dir = std::env::temp_dir().join(format!("ecs-client-rrsa-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let token_file = dir.join("token");
    let token = sim
        .admin()
        .mint_oidc_token(&Default::default())
        .await
        .unwrap();
    std::fs::write(&token_file, token).unwrap();

    let trust = ecs_sim::OidcTrust::default();
    let mut config = OidcRoleConfig::new(
        "acs:ram::1234567890:role/ssm",
        trust.provider_arn,
        &token_file,
    );
    config.sts_endpoint = sim.base_url().parse().unwrap();
    let source = Arc::new(OidcRoleCredentials::new(config).unwrap());
    let client = client(&sim, SignatureVersion::V3, source.clone());
    client
        .execute(&DescribeDisks::new(REGION))
        .await
        .expect("assumed-role credentials accepted");

    std::fs::write(&token_file, "not-a-jwt").unwrap();
    let error = source.credentials().await.unwrap_err();
    assert!(
        error.to_string().contains("AuthenticationFail.OIDCToken"),
        "{error}"
    );
    assert!(!error.to_string().contains("not-a-jwt"));
    std::fs::remove_dir_all(&dir).unwrap();
}
