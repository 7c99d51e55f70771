//! The allow-list file rotated in place: a valid new version is in force without a restart,
//! a broken one leaves the old in force and is counted.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{ADMIN, DEFAULT_ALLOW_LIST, Harness, READER, REGION};
use ecs_gateway::reload::watch_allow_list;
use ecs_gateway_api::v1;
use tokio_util::sync::CancellationToken;
use tonic::Code;

const INTERVAL: Duration = Duration::from_millis(20);

fn allow_list_file() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecs-gateway-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("allow-list.yaml")
}

/// Replaces `path` the way the kubelet does: a new file renamed over the old one.
fn rotate(path: &std::path::Path, text: &str) {
    let staged = path.with_extension("new");
    std::fs::write(&staged, text).unwrap();
    std::fs::rename(&staged, path).unwrap();
}

async fn reader_may_describe_disks(harness: &Harness) -> Result<(), Code> {
    let request = v1::DescribeDisksRequest {
        region_id: REGION.into(),
        ..Default::default()
    };
    let mut client = harness.client(READER).await;
    client
        .describe_disks(request)
        .await
        .map(|_| ())
        .map_err(|s| s.code())
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(INTERVAL).await;
    }
    panic!("{what} never happened");
}

#[tokio::test]
async fn a_rotated_allow_list_is_in_force_and_a_broken_one_is_not() {
    let harness = Harness::start().await;
    let path = allow_list_file();
    std::fs::write(&path, DEFAULT_ALLOW_LIST).unwrap();
    let stop = CancellationToken::new();
    let metrics = harness.metrics.clone();
    let auth = harness.auth.clone();
    let watching = watch_allow_list(path.clone(), auth, INTERVAL, metrics, stop.clone());
    assert_eq!(reader_may_describe_disks(&harness).await, Ok(()));

    rotate(&path, "callers:\n- identity: admin.test\n  rpcs: ['*']\n");
    eventually("the reader's removal", async || {
        reader_may_describe_disks(&harness).await == Err(Code::PermissionDenied)
    })
    .await;
    assert!(
        harness.metrics_text().contains(
            "ecs_gateway_config_reloads_total{file=\"allow_list\",outcome=\"success\"} 1"
        )
    );

    rotate(
        &path,
        "callers:\n- identity: reader.test\n  rpcs: [NoSuchRpc]\n",
    );
    eventually("the failed reload", async || {
        harness
            .metrics_text()
            .contains("ecs_gateway_config_reloads_total{file=\"allow_list\",outcome=\"failure\"} 1")
    })
    .await;
    assert_eq!(
        reader_may_describe_disks(&harness).await,
        Err(Code::PermissionDenied),
        "the broken file did not replace the list in force"
    );
    let mut admin = harness.client(ADMIN).await;
    let request = v1::DescribeDisksRequest {
        region_id: REGION.into(),
        ..Default::default()
    };
    assert!(admin.describe_disks(request).await.is_ok());

    stop.cancel();
    watching.await.unwrap();
    harness.stop().await.unwrap();
}
