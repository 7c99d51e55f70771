//! Who gets in: mutual TLS refusals, the allow-list, bearer tokens.

mod common;

use std::sync::Arc;

use common::{ADMIN, Harness, Options, READER, REGION};
use ecs_gateway::auth::token_review::{TokenReviewer, Verdict};
use ecs_gateway_api::v1;
use ecs_gateway_api::{ConnectConfig, GatewayErrorDetails, GatewayReason};
use futures::future::BoxFuture;
use tonic::Code;

fn describe_disks() -> v1::DescribeDisksRequest {
    v1::DescribeDisksRequest {
        region_id: REGION.into(),
        ..Default::default()
    }
}

/// Outcome of one DescribeDisks attempt with `config`: connect and call.
async fn try_describe(config: ConnectConfig) -> Result<(), String> {
    let mut client = config.connect().await.map_err(|err| err.to_string())?;
    client
        .describe_disks(describe_disks())
        .await
        .map(|_| ())
        .map_err(|s| format!("{s:?}"))
}

#[tokio::test]
async fn tls_without_a_client_certificate_is_refused() {
    let harness = Harness::start().await;

    let refused = try_describe(harness.connect_config(None)).await;

    assert!(refused.is_err());
    let counters = harness.sim.admin().counters().await.unwrap();
    assert_eq!(counters.total("DescribeDisks"), 0);
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused() {
    let harness = Harness::start().await;
    let foreign = common::pki::Pki::new(&harness.pki.dir.join("foreign"), "foreign");
    let files = foreign.client(ADMIN);
    let config = ConnectConfig {
        cert_file: Some(files.cert),
        key_file: Some(files.key),
        ..harness.connect_config(None)
    };

    let refused = try_describe(config).await;

    assert!(refused.is_err());
    assert_eq!(
        harness
            .sim
            .admin()
            .counters()
            .await
            .unwrap()
            .total("DescribeDisks"),
        0
    );
}

#[tokio::test]
async fn a_valid_certificate_not_on_the_allow_list_is_permission_denied() {
    let harness = Harness::start().await;
    let mut stranger = harness.client("stranger.test").await;

    let denied = stranger.describe_disks(describe_disks()).await.unwrap_err();

    assert_eq!(denied.code(), Code::PermissionDenied);
    let details = GatewayErrorDetails::from_status(&denied).unwrap();
    assert_eq!(details.reason, GatewayReason::NotAllowed);
    assert_eq!(details.metadata["identity"], "stranger.test");
}

#[tokio::test]
async fn an_rpc_outside_the_callers_grant_is_permission_denied() {
    let harness = Harness::start().await;
    let mut reader = harness.client(READER).await;

    let allowed = reader.describe_disks(describe_disks()).await;
    let denied = reader
        .delete_snapshot(v1::DeleteSnapshotRequest {
            region_id: REGION.into(),
            snapshot_id: "s-1".into(),
            force: false,
        })
        .await
        .unwrap_err();

    assert!(allowed.is_ok());
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert_eq!(
        harness
            .sim
            .admin()
            .counters()
            .await
            .unwrap()
            .total("DeleteSnapshot"),
        0
    );
    let metrics = harness.metrics_text();
    assert!(metrics.contains("ecs_gateway_auth_failures_total{reason=\"not_allowed\"} 1"));
}

/// Accepts the token `listener-token` as the policy-listener's ServiceAccount.
struct FakeTokenReview;

impl TokenReviewer for FakeTokenReview {
    fn review<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Verdict, String>> {
        Box::pin(async move {
            Ok(match token {
                "listener-token" => {
                    Verdict::Authenticated("system:serviceaccount:kube-system:listener".into())
                }
                _ => Verdict::Rejected("token has expired".into()),
            })
        })
    }
}

async fn token_harness() -> Harness {
    Harness::start_with(Options {
        allow_list: "callers:\n\
            - identity: system:serviceaccount:kube-system:listener\n  rpcs: [DescribeDisks]\n"
            .into(),
        reviewer: Some(Arc::new(FakeTokenReview)),
        require_client_cert: false,
        ..Options::default()
    })
    .await
}

fn with_token(harness: &Harness, token: &str) -> ConnectConfig {
    let path = harness.pki.dir.join(format!("token-{token}"));
    std::fs::write(&path, format!("{token}\n")).unwrap();
    ConnectConfig {
        token_file: Some(path),
        ..harness.connect_config(None)
    }
}

#[tokio::test]
async fn a_reviewed_service_account_token_is_accepted_without_a_certificate() {
    let harness = token_harness().await;

    let result = try_describe(with_token(&harness, "listener-token")).await;

    assert_eq!(result, Ok(()));
}

#[tokio::test]
async fn a_rejected_token_is_unauthenticated_and_not_echoed() {
    let harness = token_harness().await;
    let mut client = with_token(&harness, "stolen-token")
        .connect()
        .await
        .unwrap();

    let refused = client.describe_disks(describe_disks()).await.unwrap_err();

    assert_eq!(refused.code(), Code::Unauthenticated);
    assert!(
        !refused.message().contains("stolen-token"),
        "{}",
        refused.message()
    );
}

#[tokio::test]
async fn no_token_and_no_certificate_is_unauthenticated() {
    let harness = token_harness().await;
    let mut client = harness.connect_config(None).connect().await.unwrap();

    let refused = client.describe_disks(describe_disks()).await.unwrap_err();

    assert_eq!(refused.code(), Code::Unauthenticated);
}
