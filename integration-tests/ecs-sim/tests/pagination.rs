//! Both pagination styles, across pages, with stable cursors.

mod common;

use std::collections::BTreeSet;

use common::*;
use ecs_sim::SimConfig;

fn quick_snapshots() -> SimConfig {
    let mut config = SimConfig::default();
    config.timing.snapshot_completion_seconds = 0;
    config
}

#[tokio::test]
async fn describe_snapshots_pages_by_next_token() {
    let f = fixture_with(quick_snapshots(), "2024-05-19T00:00:00Z", &["d-1"]).await;
    let mut created = BTreeSet::new();
    for _ in 0..25 {
        let body = f
            .ecs
            .call("CreateSnapshot", &[("DiskId", "d-1")])
            .await
            .ok();
        created.insert(body["SnapshotId"].as_str().unwrap().to_owned());
        f.admin.advance(1).await.unwrap();
    }

    let (mut seen, mut token, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let mut params = vec![("RegionId", REGION), ("MaxResults", "10")];
        if !token.is_empty() {
            params.push(("NextToken", token.as_str()));
        }
        let body = f.ecs.call("DescribeSnapshots", &params).await.ok();
        pages += 1;
        assert_eq!(body["TotalCount"], 25);
        let page = body["Snapshots"]["Snapshot"].as_array().unwrap();
        seen.extend(
            page.iter()
                .map(|s| s["SnapshotId"].as_str().unwrap().to_owned()),
        );
        token = body["NextToken"].as_str().unwrap().to_owned();
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 25);
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), created);
    let mut newest_first = seen.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, newest_first, "ECS lists the newest snapshot first");
}

#[tokio::test]
async fn policies_page_by_number_and_size() {
    let f = fixture("2024-05-19T00:00:00Z", &[]).await;
    for _ in 0..12 {
        create_policy(&f.ecs, r#"["1"]"#, r#"["1"]"#, "7").await;
    }
    let mut seen = BTreeSet::new();
    for page in ["1", "2", "3"] {
        let params = [
            ("RegionId", REGION),
            ("PageNumber", page),
            ("PageSize", "5"),
        ];
        let body = f
            .ecs
            .call("DescribeAutoSnapshotPolicyEx", &params)
            .await
            .ok();
        assert_eq!(body["TotalCount"], 12);
        assert_eq!(body["PageNumber"].to_string(), page);
        assert_eq!(body["PageSize"], 5);
        let items = body["AutoSnapshotPolicies"]["AutoSnapshotPolicy"]
            .as_array()
            .unwrap();
        assert_eq!(items.len(), if page == "3" { 2 } else { 5 });
        seen.extend(
            items
                .iter()
                .map(|p| p["AutoSnapshotPolicyId"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(seen.len(), 12);
    let too_big = [("RegionId", REGION), ("PageSize", "101")];
    f.ecs
        .call("DescribeAutoSnapshotPolicyEx", &too_big)
        .await
        .error(400, "InvalidParameter");
}

#[tokio::test]
async fn describe_disks_clamps_max_results_and_filters_by_ids() {
    let ids: Vec<String> = (0..15).map(|i| format!("d-{i:02}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let f = fixture("2024-05-19T00:00:00Z", &refs).await;

    let params = [("RegionId", REGION), ("MaxResults", "5")];
    let body = f.ecs.call("DescribeDisks", &params).await.ok();
    assert_eq!(
        body["Disks"]["Disk"].as_array().unwrap().len(),
        10,
        "MaxResults < 10 means 10"
    );
    let token = body["NextToken"].as_str().unwrap().to_owned();
    let next = [
        ("RegionId", REGION),
        ("MaxResults", "5"),
        ("NextToken", token.as_str()),
    ];
    let body = f.ecs.call("DescribeDisks", &next).await.ok();
    assert_eq!(body["Disks"]["Disk"].as_array().unwrap().len(), 5);
    assert_eq!(body["NextToken"], "");

    let filter = [("RegionId", REGION), ("DiskIds", r#"["d-03","d-07"]"#)];
    let body = f.ecs.call("DescribeDisks", &filter).await.ok();
    let found: Vec<&str> = body["Disks"]["Disk"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["DiskId"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["d-03", "d-07"]);

    let bad = [("RegionId", REGION), ("NextToken", "not-a-token")];
    f.ecs
        .call("DescribeDisks", &bad)
        .await
        .error(400, "InvalidParameter");
}

#[tokio::test]
async fn creation_start_time_filter_selects_newer_snapshots() {
    let f = fixture_with(quick_snapshots(), "2024-05-19T00:00:00Z", &["d-1"]).await;
    f.ecs
        .call("CreateSnapshot", &[("DiskId", "d-1")])
        .await
        .ok();
    f.admin.advance(3600).await.unwrap();
    let newer = f
        .ecs
        .call("CreateSnapshot", &[("DiskId", "d-1")])
        .await
        .ok();

    let params = [
        ("RegionId", REGION),
        ("Filter.1.Key", "CreationStartTime"),
        ("Filter.1.Value", "2024-05-19T00:30Z"),
    ];
    let body = f.ecs.call("DescribeSnapshots", &params).await.ok();
    let found = body["Snapshots"]["Snapshot"].as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["SnapshotId"], newer["SnapshotId"]);
}

#[tokio::test]
async fn an_unknown_filter_key_is_named_in_the_error() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    let params = [
        ("RegionId", REGION),
        ("Filter.1.Key", "SnapshotName"),
        ("Filter.1.Value", "nightly"),
    ];

    let answer = f.ecs.call("DescribeSnapshots", &params).await;

    answer.error(400, "InvalidParameter");
    let message = answer.body["Message"].as_str().unwrap();
    assert!(message.contains("Filter.1.Key"), "{message}");
    assert!(message.contains("SnapshotName"), "{message}");
}
