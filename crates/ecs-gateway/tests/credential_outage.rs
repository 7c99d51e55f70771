//! The gateway's own credential source failing while nothing valid is cached: an outage
//! (STS answering 5xx) is repeated with backoff, a refusal (bad OIDC token) is not.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::{ADMIN, Harness, Options, REGION};
use ecs_client::credentials::{OidcRoleConfig, OidcRoleCredentials};
use ecs_gateway_api::v1;
use ecs_sim::{Fault, FaultRule, SimHandle};
use tonic::Code;

const STS_ACTION: &str = "AssumeRoleWithOIDC";

fn token_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecs-gateway-oidc-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("token")
}

/// RRSA against the simulator's STS; no cache, so every ECS call fetches credentials.
fn rrsa_options(token_file: PathBuf) -> Options {
    let factory = move |sim: &SimHandle| {
        let trust = ecs_sim::OidcTrust::default();
        let mut config = OidcRoleConfig::new(
            "acs:ram::1234567890:role/ssm",
            trust.provider_arn,
            token_file,
        );
        config.sts_endpoint = sim.base_url().parse().unwrap();
        Arc::new(OidcRoleCredentials::new(config).unwrap()) as _
    };
    Options {
        credentials: Some(Box::new(factory)),
        ..Options::default()
    }
}

fn describe_disks() -> v1::DescribeDisksRequest {
    v1::DescribeDisksRequest {
        region_id: REGION.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_sts_outage_is_repeated_until_credentials_arrive() {
    let file = token_file("outage");
    let harness = Harness::start_with(rrsa_options(file.clone())).await;
    let admin = harness.sim.admin();
    std::fs::write(
        &file,
        admin.mint_oidc_token(&Default::default()).await.unwrap(),
    )
    .unwrap();
    let outage = FaultRule {
        action: STS_ACTION.into(),
        fault: Fault::ServerError {
            status: 503,
            code: "ServiceUnavailable".into(),
        },
        probability: 1.0,
        times: Some(2),
    };
    admin.set_faults(&[outage]).await.unwrap();

    let mut client = harness.client(ADMIN).await;
    let disks = client.describe_disks(describe_disks()).await;

    assert!(disks.is_ok(), "{disks:?}");
    let counters = admin.counters().await.unwrap();
    assert_eq!(counters.get(STS_ACTION, "ServiceUnavailable"), 2);
    assert_eq!(counters.get(STS_ACTION, ecs_sim::SUCCESS), 1);
    assert_eq!(counters.get("DescribeDisks", ecs_sim::SUCCESS), 1);
    harness.stop().await.unwrap();
}

#[tokio::test]
async fn a_refused_oidc_token_is_not_repeated() {
    let file = token_file("refused");
    std::fs::write(&file, "not-a-jwt").unwrap();
    let harness = Harness::start_with(rrsa_options(file)).await;

    let mut client = harness.client(ADMIN).await;
    let status = client.describe_disks(describe_disks()).await.unwrap_err();

    assert_eq!(status.code(), Code::Internal, "{status:?}");
    let counters = harness.sim.admin().counters().await.unwrap();
    assert_eq!(counters.total(STS_ACTION), 1, "a refusal is final");
    assert_eq!(counters.total("DescribeDisks"), 0);
    harness.stop().await.unwrap();
}
