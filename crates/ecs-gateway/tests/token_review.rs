//! Bearer tokens reviewed by a Kubernetes API server (the project's kube-sim) through kube-rs,
//! end to end through the gateway.

mod common;

use std::sync::Arc;

use common::{Harness, Options, REGION};
use ecs_gateway::auth::token_review::{KubeTokenReviewer, TokenReviewer, Verdict};
use ecs_gateway_api::ConnectConfig;
use ecs_gateway_api::v1;
use ssm_test_support::kube_world::KubeWorld;
use tonic::Code;

const LISTENER_SA: &str = "system:serviceaccount:kube-system:policy-listener";

async fn api_server() -> (kube_sim::SimHandle, kube::Client) {
    let mut config = kube_sim::Config {
        bearer_token: Some("admin-token".into()),
        ..Default::default()
    };
    config
        .tokens
        .insert("listener-token".into(), LISTENER_SA.into());
    let KubeWorld { sim, client } = KubeWorld::start_with(config).await;
    (sim, client)
}

#[tokio::test]
async fn the_api_server_decides_which_tokens_are_valid() {
    let (_sim, client) = api_server().await;
    let reviewer = KubeTokenReviewer::new(client, Vec::new());

    let valid = reviewer.review("listener-token").await.unwrap();
    let forged = reviewer.review("forged-token").await.unwrap();

    assert_eq!(valid, Verdict::Authenticated(LISTENER_SA.into()));
    assert!(matches!(forged, Verdict::Rejected(_)), "{forged:?}");
}

#[tokio::test]
async fn a_service_account_token_reaches_ecs_through_the_gateway() {
    let (_sim, client) = api_server().await;
    let harness = Harness::start_with(Options {
        allow_list: format!("callers:\n- identity: {LISTENER_SA}\n  rpcs: [DescribeDisks]\n"),
        reviewer: Some(Arc::new(KubeTokenReviewer::new(client, Vec::new()))),
        require_client_cert: false,
        ..Options::default()
    })
    .await;
    let token_file = harness.pki.dir.join("sa-token");
    std::fs::write(&token_file, "listener-token").unwrap();
    let config = ConnectConfig {
        token_file: Some(token_file),
        ..harness.connect_config(None)
    };
    let mut gateway = config.connect().await.unwrap();
    let request = || v1::DescribeDisksRequest {
        region_id: REGION.into(),
        ..Default::default()
    };

    let disks = gateway
        .describe_disks(request())
        .await
        .unwrap()
        .into_inner();
    let denied = gateway
        .delete_snapshot(v1::DeleteSnapshotRequest {
            region_id: REGION.into(),
            snapshot_id: "s-1".into(),
            force: false,
        })
        .await
        .unwrap_err();

    assert_eq!(disks.disks.len(), 3);
    assert_eq!(denied.code(), Code::PermissionDenied);
}
