//! Classic accounts carry one policy per disk (Apply replaces); upgraded ones carry several
//! (Apply adds) and Cancel must then name the policy.

mod common;

use common::*;
use ecs_sim::{AccountMode, SimConfig};

async fn policies_of(ecs: &Ecs, disk: &str) -> (String, bool) {
    let params = [
        ("RegionId", REGION),
        ("DiskIds", &format!(r#"["{disk}"]"#) as &str),
    ];
    let body = ecs.call("DescribeDisks", &params).await.ok();
    let disk = &body["Disks"]["Disk"][0];
    let id = disk["AutoSnapshotPolicyId"].as_str().unwrap().to_owned();
    (id, disk["EnableAutomatedSnapshotPolicy"].as_bool().unwrap())
}

async fn disks_bound_to(ecs: &Ecs, policy: &str) -> Vec<String> {
    let params = [("RegionId", REGION), ("AutoSnapshotPolicyId", policy)];
    let body = ecs.call("DescribeDisks", &params).await.ok();
    let disks = body["Disks"]["Disk"].as_array().unwrap();
    disks
        .iter()
        .map(|d| d["DiskId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn classic_apply_replaces_the_disks_policy() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    let first = create_policy(&f.ecs, r#"["1"]"#, r#"["1"]"#, "7").await;
    let second = create_policy(&f.ecs, r#"["2"]"#, r#"["2"]"#, "7").await;
    apply(&f.ecs, &first, r#"["d-1"]"#).await.ok();
    apply(&f.ecs, &second, r#"["d-1"]"#).await.ok();

    assert_eq!(policies_of(&f.ecs, "d-1").await, (second.clone(), true));
    assert!(disks_bound_to(&f.ecs, &first).await.is_empty());
    let params = [
        ("RegionId", REGION),
        ("AutoSnapshotPolicyId", first.as_str()),
    ];
    let body = f
        .ecs
        .call("DescribeAutoSnapshotPolicyEx", &params)
        .await
        .ok();
    assert_eq!(
        body["AutoSnapshotPolicies"]["AutoSnapshotPolicy"][0]["DiskNums"],
        0
    );

    let cancel = [("regionId", REGION), ("diskIds", r#"["d-1"]"#)];
    f.ecs.call("CancelAutoSnapshotPolicy", &cancel).await.ok();
    assert_eq!(policies_of(&f.ecs, "d-1").await, (String::new(), false));
}

#[tokio::test]
async fn upgraded_apply_adds_and_cancel_needs_the_policy_id() {
    let mut config = SimConfig::default();
    config.account.mode = AccountMode::Upgraded;
    let f = fixture_with(config, "2024-05-19T00:00:00Z", &["d-1"]).await;
    let first = create_policy(&f.ecs, r#"["1"]"#, r#"["1"]"#, "7").await;
    let second = create_policy(&f.ecs, r#"["2"]"#, r#"["2"]"#, "7").await;
    apply(&f.ecs, &first, r#"["d-1"]"#).await.ok();
    apply(&f.ecs, &second, r#"["d-1"]"#).await.ok();
    assert_eq!(disks_bound_to(&f.ecs, &first).await, ["d-1"]);
    assert_eq!(disks_bound_to(&f.ecs, &second).await, ["d-1"]);

    let cancel = [("regionId", REGION), ("diskIds", r#"["d-1"]"#)];
    let refused = f.ecs.call("CancelAutoSnapshotPolicy", &cancel).await;
    refused.error(403, "OperationDenied.TooManyAutoSnapshotPolicies");

    let named = [
        ("regionId", REGION),
        ("diskIds", r#"["d-1"]"#),
        ("autoSnapshotPolicyId", &first),
    ];
    f.ecs.call("CancelAutoSnapshotPolicy", &named).await.ok();
    assert!(disks_bound_to(&f.ecs, &first).await.is_empty());
    assert_eq!(disks_bound_to(&f.ecs, &second).await, ["d-1"]);
}

#[tokio::test]
async fn upgraded_disks_take_at_most_ten_policies() {
    let mut config = SimConfig::default();
    config.account.mode = AccountMode::Upgraded;
    let f = fixture_with(config, "2024-05-19T00:00:00Z", &["d-1"]).await;
    for _ in 0..10 {
        let policy = create_policy(&f.ecs, r#"["1"]"#, r#"["1"]"#, "7").await;
        apply(&f.ecs, &policy, r#"["d-1"]"#).await.ok();
    }
    let eleventh = create_policy(&f.ecs, r#"["1"]"#, r#"["1"]"#, "7").await;
    apply(&f.ecs, &eleventh, r#"["d-1"]"#)
        .await
        .error(403, "OperationDenied.TooManyAutoSnapshotPolicies");
}

#[tokio::test]
async fn account_mode_can_change_at_run_time() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    f.admin
        .set_account_mode(AccountMode::Upgraded)
        .await
        .unwrap();
    let first = create_policy(&f.ecs, r#"["1"]"#, r#"["1"]"#, "7").await;
    let second = create_policy(&f.ecs, r#"["2"]"#, r#"["2"]"#, "7").await;
    apply(&f.ecs, &first, r#"["d-1"]"#).await.ok();
    apply(&f.ecs, &second, r#"["d-1"]"#).await.ok();
    let state = f.admin.state().await.unwrap();
    assert_eq!(state.disks[0].policy_ids, [first, second]);
}

#[tokio::test]
async fn delete_detaches_and_unknown_policy_is_parameter_invalid_404() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1", "d-2"]).await;
    let policy = create_policy(&f.ecs, r#"["1"]"#, r#"["1"]"#, "7").await;
    apply(&f.ecs, &policy, r#"["d-1","d-2"]"#).await.ok();

    let delete = [
        ("regionId", REGION),
        ("autoSnapshotPolicyId", policy.as_str()),
    ];
    f.ecs.call("DeleteAutoSnapshotPolicy", &delete).await.ok();
    assert_eq!(policies_of(&f.ecs, "d-1").await, (String::new(), false));
    assert_eq!(policies_of(&f.ecs, "d-2").await, (String::new(), false));
    f.ecs
        .call("DeleteAutoSnapshotPolicy", &delete)
        .await
        .error(404, "ParameterInvalid");
}

#[tokio::test]
async fn apply_is_all_or_nothing_and_validates_ids() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    let policy = create_policy(&f.ecs, r#"["1"]"#, r#"["1"]"#, "7").await;
    apply(&f.ecs, &policy, r#"["d-1","d-missing"]"#)
        .await
        .error(403, "ParameterInvalid");
    assert_eq!(policies_of(&f.ecs, "d-1").await, (String::new(), false));
    apply(&f.ecs, "sp-missing", r#"["d-1"]"#)
        .await
        .error(403, "ParameterInvalid");
    apply(&f.ecs, &policy, "d-1")
        .await
        .error(400, "InvalidDiskIds.Malformed");
}

#[tokio::test]
async fn schedule_and_retention_are_validated_and_modifiable() {
    let f = fixture("2024-05-19T00:00:00Z", &[]).await;
    let create = |hours: &'static str, days: &'static str, retention: &'static str| {
        let ecs = f.ecs.clone();
        async move {
            let params = [
                ("regionId", REGION),
                ("timePoints", hours),
                ("repeatWeekdays", days),
                ("retentionDays", retention),
            ];
            ecs.call("CreateAutoSnapshotPolicy", &params).await
        }
    };
    create(r#"["24"]"#, r#"["1"]"#, "7")
        .await
        .error(400, "InvalidParameter");
    create(r#"["1"]"#, r#"["0"]"#, "7")
        .await
        .error(400, "InvalidParameter");
    create(r#"["1"]"#, r#"["1"]"#, "0")
        .await
        .error(400, "InvalidParameter");
    let id = create(r#"["3","1","1"]"#, r#"["7"]"#, "-1").await.ok()["AutoSnapshotPolicyId"]
        .as_str()
        .unwrap()
        .to_owned();

    let modify = [
        ("regionId", REGION),
        ("autoSnapshotPolicyId", id.as_str()),
        ("timePoints", r#"["5"]"#),
        ("retentionDays", "30"),
        ("autoSnapshotPolicyName", "renamed"),
    ];
    f.ecs.call("ModifyAutoSnapshotPolicyEx", &modify).await.ok();
    let params = [("RegionId", REGION), ("AutoSnapshotPolicyId", id.as_str())];
    let body = f
        .ecs
        .call("DescribeAutoSnapshotPolicyEx", &params)
        .await
        .ok();
    let policy = &body["AutoSnapshotPolicies"]["AutoSnapshotPolicy"][0];
    assert_eq!(policy["TimePoints"], r#"["5"]"#);
    assert_eq!(policy["RepeatWeekdays"], r#"["7"]"#);
    assert_eq!(policy["RetentionDays"], 30);
    assert_eq!(policy["AutoSnapshotPolicyName"], "renamed");
}

#[tokio::test]
async fn policies_per_region_quota() {
    let mut config = SimConfig::default();
    config.quotas.policies_per_region = 2;
    let f = fixture_with(config, "2024-05-19T00:00:00Z", &[]).await;
    create_policy(&f.ecs, r#"["1"]"#, r#"["1"]"#, "7").await;
    create_policy(&f.ecs, r#"["1"]"#, r#"["1"]"#, "7").await;
    let params = [
        ("regionId", REGION),
        ("timePoints", r#"["1"]"#),
        ("repeatWeekdays", r#"["1"]"#),
        ("retentionDays", "7"),
    ];
    let refused = f.ecs.call("CreateAutoSnapshotPolicy", &params).await;
    refused.error(403, "QuotaExceed.AutoSnapshotPolicy");
}
