//! The switch to refreshed credentials, end to end: a metadata service issuing short-lived
//! STS credentials and an ECS stand-in that refuses unknown, expired or wrongly signed ones.
//! No request may fail while the credentials rotate underneath a steady stream of calls.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use acs_signature::rpc_v1;
use ecs_client::actions::DescribeDisks;
use ecs_client::credentials::{
    CacheOptions, CachingProvider, InstanceRoleConfig, InstanceRoleCredentials,
};
use ecs_client::{ClientConfig, EcsClient, Endpoint};
use serde_json::json;
use support::{Answer, FakeServer, Recorded, ecs_error, ok};

const LIFETIME: Duration = Duration::from_millis(1500);

#[derive(Default)]
struct Account {
    issued: u64,
    /// AccessKeyId → (secret, expiry).
    keys: HashMap<String, (String, jiff::Timestamp)>,
    used: BTreeSet<String>,
}

fn answer(account: &Mutex<Account>, request: &Recorded) -> Answer {
    let mut account = account.lock().unwrap();
    match request.path.as_str() {
        "/latest/api/token" => Answer::text(200, "imds-token"),
        "/latest/meta-data/ram/security-credentials/" => Answer::text(200, "role"),
        "/latest/meta-data/ram/security-credentials/role" => {
            account.issued += 1;
            let id = format!("STS.rotating-{}", account.issued);
            let secret = format!("secret-{}", account.issued);
            let expiry = jiff::Timestamp::now() + jiff::SignedDuration::try_from(LIFETIME).unwrap();
            account.keys.insert(id.clone(), (secret.clone(), expiry));
            Answer::json(
                200,
                json!({ "Code": "Success", "AccessKeyId": id, "AccessKeySecret": secret,
                        "SecurityToken": "tok",
                        "Expiration": expiry.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string() }),
            )
        }
        "/" => {
            let id = request.param("AccessKeyId").unwrap_or_default().to_owned();
            let Some((secret, expiry)) = account.keys.get(&id).cloned() else {
                return ecs_error(
                    404,
                    "InvalidAccessKeyId.NotFound",
                    "Specified access key is not found.",
                );
            };
            if expiry <= jiff::Timestamp::now() {
                return ecs_error(
                    400,
                    "InvalidSecurityToken.Expired",
                    "Specified SecurityToken is expired.",
                );
            }
            let params: Vec<(&str, &str)> = request
                .query
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            if rpc_v1::signature("POST", params, &secret)
                != request.param("Signature").unwrap_or_default()
            {
                return ecs_error(400, "SignatureDoesNotMatch", "signature mismatch");
            }
            account.used.insert(id);
            ok(json!({ "Disks": { "Disk": [] } }))
        }
        _ => Answer::text(404, "Not Found"),
    }
}

#[tokio::test]
async fn no_request_fails_while_credentials_rotate() {
    let account = Arc::new(Mutex::new(Account::default()));
    let state = Arc::clone(&account);
    let server = FakeServer::start(move |request| answer(&state, request)).await;

    let imds = InstanceRoleConfig {
        base_url: server.url().parse().unwrap(),
        ..InstanceRoleConfig::default()
    };
    let options = CacheOptions {
        refresh_ahead: Duration::from_millis(700),
        min_remaining: Duration::from_millis(300),
        ..CacheOptions::default()
    };
    let credentials = CachingProvider::start(
        Arc::new(InstanceRoleCredentials::new(imds).unwrap()),
        options,
    )
    .await
    .unwrap();
    let client = EcsClient::new(
        ClientConfig::new(Endpoint::url(&server.url()).unwrap()),
        credentials.clone(),
    )
    .unwrap();

    let action = DescribeDisks::new("cn-beijing");
    let deadline = tokio::time::Instant::now() + Duration::from_millis(3000);
    let mut calls = 0;
    while tokio::time::Instant::now() < deadline {
        let calls_in_flight = (0..4).map(|_| client.execute(&action));
        for result in futures::future::join_all(calls_in_flight).await {
            result.expect("no call fails at a credential switch");
            calls += 1;
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
    }

    let used = account.lock().unwrap().used.clone();
    assert!(used.len() >= 3, "{calls} calls used {used:?}");
    assert_eq!(credentials.refresh_failures(), 0);
}
