//! The official SDK's full request path, reproduced byte for byte: for each
//! `rpc_v1_full_path_cases` vector (what `alibabacloud-ecs20140526` sends with
//! `signature_algorithm="v2"`), the typed action plus the signer must produce exactly the
//! SDK's parameters, endpoint host and signature.

mod support;

use std::collections::BTreeMap;

use ecs_client::actions::*;
use ecs_client::credentials::Credentials;
use ecs_client::signing::RequestSigner;
use ecs_client::{Action, Endpoint, SignatureVersion};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../acs-signature/tests/data/ecs-signature-vectors.json"
    );
    let text = std::fs::read_to_string(path).expect("vectors file is present");
    let json: Value = serde_json::from_str(&text).expect("vectors file is JSON");
    json["rpc_v1_full_path_cases"]
        .as_array()
        .expect("full-path cases")
        .clone()
}

fn case(name: &str) -> Value {
    vectors()
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("vector {name}"))
}

/// Signs `action` as the vector's SDK run did, checks the endpoint host, and returns what
/// would be sent, decoded.
fn sign_like<A: Action>(case: &Value, endpoint: Endpoint, action: &A) -> BTreeMap<String, String> {
    assert_eq!(
        endpoint.host().unwrap(),
        case["endpoint_host"].as_str().unwrap(),
        "endpoint"
    );
    let id = case["access_key_id"].as_str().unwrap();
    let secret = case["access_key_secret"].as_str().unwrap();
    let credentials = match case["client_config"]["token"].as_str() {
        Some(token) => Credentials::sts(id, secret, token, None).unwrap(),
        None => Credentials::access_key(id, secret).unwrap(),
    };
    let nonce = case["signature_nonce"].as_str().unwrap();
    let time = case["timestamp"].as_str().unwrap().parse().unwrap();

    let signer = RequestSigner::new(&endpoint, SignatureVersion::RpcV1).unwrap();
    let signed = signer.sign(A::NAME, &action.params(), &credentials, nonce, time);
    let query = signed.url().split_once('?').expect("query").1;
    support::decode(query.as_bytes()).into_iter().collect()
}

fn assert_matches_sdk(case: &Value, sent: BTreeMap<String, String>) {
    let mut expected: BTreeMap<String, String> = case["sent_query_params_excluding_signature"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    expected.insert(
        "Signature".into(),
        case["signature"].as_str().unwrap().to_owned(),
    );
    assert_eq!(sent, expected, "{}", case["name"]);
}

#[test]
fn apply_auto_snapshot_policy() {
    let case = case("tea_v2_apply_auto_snapshot_policy");
    let action = ApplyAutoSnapshotPolicy::new(
        "cn-hangzhou",
        "sp-bp1abc",
        vec!["d-bp1aaa".into(), "d-bp1bbb".into()],
    );
    assert_matches_sdk(
        &case,
        sign_like(&case, Endpoint::public("cn-hangzhou"), &action),
    );
}

#[test]
fn create_auto_snapshot_policy_with_tags_and_unicode() {
    let case = case("tea_v2_create_auto_snapshot_policy_tags_unicode");
    let mut action = CreateAutoSnapshotPolicy::new("cn-hangzhou", vec![2, 14], vec![1, 3, 5], 7);
    action.name = Some("vsp-快照 daily".into());
    action.tags = vec![Tag::new("k8s.io/owner", "ns/name*~")];
    assert_matches_sdk(
        &case,
        sign_like(&case, Endpoint::public("cn-hangzhou"), &action),
    );
}

#[test]
fn describe_snapshots_with_sts_credentials() {
    let case = case("tea_v2_describe_snapshots_sts");
    let mut action = DescribeSnapshots::new("cn-hangzhou");
    action.disk_id = Some("d-bp1aaa".into());
    action.snapshot_type = Some(SnapshotTypeFilter::Auto);
    action.max_results = Some(100);
    action.next_token = Some("caeba0bbb2be03f84eb48b699f0a4883".into());
    assert_matches_sdk(
        &case,
        sign_like(&case, Endpoint::public("cn-hangzhou"), &action),
    );
}

#[test]
fn create_snapshot_group_on_the_vpc_endpoint() {
    let case = case("tea_v2_create_snapshot_group_list_params_vpc_endpoint");
    let mut action =
        CreateSnapshotGroup::new("cn-beijing", vec!["d-bp1aaa".into(), "d-bp1bbb".into()]);
    action.instance_id = Some("i-bp1abc".into());
    action.name = Some("sg test".into());
    action.client_token = Some("0c593ea1-3bea-11e9-b96b-88e9fe637760".into());
    assert_matches_sdk(
        &case,
        sign_like(&case, Endpoint::vpc("cn-beijing"), &action),
    );
}

#[test]
fn every_full_path_vector_is_covered() {
    let names: Vec<String> = vectors()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "tea_v2_apply_auto_snapshot_policy",
            "tea_v2_create_auto_snapshot_policy_tags_unicode",
            "tea_v2_describe_snapshots_sts",
            "tea_v2_create_snapshot_group_list_params_vpc_endpoint",
        ],
        "a new vector needs its own test above"
    );
}
