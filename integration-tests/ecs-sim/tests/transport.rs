//! GET and form-body POST are both signed and accepted; the binary's config file is honoured.

mod common;

use common::*;

#[tokio::test]
async fn get_and_form_body_requests_are_verified_and_served() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    let params = [("RegionId", REGION), ("DiskIds", r#"["d-1"]"#)];

    let get = Overrides {
        get: true,
        ..Default::default()
    };
    let body = f
        .ecs
        .call_with("DescribeDisks", &params, &get)
        .await
        .unwrap()
        .ok();
    assert_eq!(body["Disks"]["Disk"][0]["DiskId"], "d-1");

    let form = Overrides {
        form_body: true,
        ..Default::default()
    };
    let body = f
        .ecs
        .call_with("DescribeDisks", &params, &form)
        .await
        .unwrap()
        .ok();
    assert_eq!(body["Disks"]["Disk"][0]["DiskId"], "d-1");

    let wrong = Ecs::new(&f.sim.base_url(), ecs_sim::DEFAULT_ACCESS_KEY_ID, "wrong");
    let answer = wrong
        .call_with("DescribeDisks", &params, &form)
        .await
        .unwrap();
    answer.error(400, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn config_file_seeds_the_world_and_rejects_unknown_keys() {
    let dir = std::env::temp_dir().join(format!("ecs-sim-config-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sim.yaml");
    let yaml = r#"
regions: [cn-beijing]
account: {mode: upgraded}
timing: {clock_start: "2024-05-19T16:00:00Z", snapshot_completion_seconds: 5}
instances: [{id: i-1, zone_id: cn-beijing-a}]
disks: [{id: d-1, instance_id: i-1}]
faults: [{action: DescribeDisks, fault: {kind: latency, millis: 1}}]
"#;
    std::fs::write(&path, yaml).unwrap();
    let config = ecs_sim::SimConfig::from_file(&path).unwrap();
    assert_eq!(config.account.mode, ecs_sim::AccountMode::Upgraded);
    let sim = ecs_sim::spawn(config).await.unwrap();
    let state = sim.admin().state().await.unwrap();
    assert_eq!(
        (
            state.disks[0].zone_id.as_str(),
            state.disks[0].region_id.as_str()
        ),
        ("cn-beijing-a", "cn-beijing")
    );

    std::fs::write(&path, "regions: [cn-beijing]\nregion: typo\n").unwrap();
    let error = ecs_sim::SimConfig::from_file(&path)
        .unwrap_err()
        .to_string();
    assert!(error.contains("region"), "{error}");
    std::fs::write(&path, "regions: []\n").unwrap();
    let error = ecs_sim::SimConfig::from_file(&path)
        .unwrap_err()
        .to_string();
    assert!(error.contains("regions"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_readme_config_example_is_valid() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("```yaml\n").expect("README has a YAML example") + "```yaml\n".len();
    let length = readme[start..].find("```").unwrap();
    let path = std::env::temp_dir().join(format!("ecs-sim-readme-{}.yaml", uuid::Uuid::new_v4()));
    std::fs::write(&path, &readme[start..start + length]).unwrap();

    let config = ecs_sim::SimConfig::from_file(&path);
    std::fs::remove_file(&path).unwrap();
    let config = config.unwrap();
    assert_eq!(config.disks.len(), 1);
    ecs_sim::spawn(config).await.unwrap().shutdown().await;
}

#[tokio::test]
async fn an_oversized_body_gets_an_ecs_error_and_the_simulator_keeps_serving() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    let huge = format!("Action=DescribeDisks&Pad={}", "a".repeat(2 << 20));

    let response = reqwest::Client::new()
        .post(f.sim.base_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 413);
    let request_id = response.headers()["x-acs-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["Code"], "RequestEntityTooLarge", "{body}");
    assert_eq!(body["RequestId"], request_id.as_str(), "{body}");
    assert!(
        body["Message"].as_str().unwrap().contains("bytes"),
        "{body}"
    );
    f.ecs
        .call("DescribeDisks", &[("RegionId", REGION)])
        .await
        .ok();
}
