//! Signature, key, nonce, timestamp and STS checks, and the credential issuers.

mod common;

use common::*;
use ecs_sim::{DEFAULT_ACCESS_KEY_ID, OidcTokenRequest};

const DESCRIBE: [(&str, &str); 1] = [("RegionId", REGION)];

#[tokio::test]
async fn wrong_secret_is_signature_does_not_match_with_server_string_to_sign() {
    let f = fixture("2024-05-19T00:00:00Z", &[]).await;
    let wrong = Ecs::new(&f.sim.base_url(), DEFAULT_ACCESS_KEY_ID, "not-the-secret");
    let answer = wrong.call("DescribeDisks", &DESCRIBE).await;
    answer.error(400, "SignatureDoesNotMatch");
    let message = answer.body["Message"].as_str().unwrap();
    let (_, server_string) = message.split_once(':').unwrap();
    assert!(
        server_string.starts_with("POST&%2F&AccessKeyId%3D"),
        "{message}"
    );
    for field in ["RequestId", "HostId", "Recommend"] {
        assert!(
            answer.body[field].is_string(),
            "error body lacks {field}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn unknown_key_reused_nonce_and_skewed_timestamp() {
    let f = fixture("2024-05-19T00:00:00Z", &[]).await;
    let stranger = Ecs::new(&f.sim.base_url(), "LTAIunknown", "whatever");
    stranger
        .call("DescribeDisks", &DESCRIBE)
        .await
        .error(400, "InvalidAccessKeyId.NotFound");

    let once = Overrides {
        nonce: Some("nonce-1".into()),
        ..Default::default()
    };
    f.ecs
        .call_with("DescribeDisks", &DESCRIBE, &once)
        .await
        .unwrap()
        .ok();
    let again = f
        .ecs
        .call_with("DescribeDisks", &DESCRIBE, &once)
        .await
        .unwrap();
    again.error(400, "SignatureNonceUsed");

    let old = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(16);
    let skewed = Overrides {
        timestamp: Some(old.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
        ..Default::default()
    };
    let answer = f
        .ecs
        .call_with("DescribeDisks", &DESCRIBE, &skewed)
        .await
        .unwrap();
    answer.error(400, "InvalidTimeStamp.Expired");
    let garbled = Overrides {
        timestamp: Some("yesterday".into()),
        ..Default::default()
    };
    let answer = f
        .ecs
        .call_with("DescribeDisks", &DESCRIBE, &garbled)
        .await
        .unwrap();
    answer.error(400, "InvalidTimeStamp.Format");
}

#[tokio::test]
async fn unknown_action_and_version_get_ecs_errors() {
    let f = fixture("2024-05-19T00:00:00Z", &[]).await;
    f.ecs
        .call("RunInstances", &DESCRIBE)
        .await
        .error(404, "InvalidApi.NotFound");
    let old = Overrides {
        version: Some("2013-01-10".into()),
        ..Default::default()
    };
    let answer = f
        .ecs
        .call_with("DescribeDisks", &DESCRIBE, &old)
        .await
        .unwrap();
    answer.error(404, "InvalidApi.NotFound");
}

#[tokio::test]
async fn sts_credentials_need_their_token_and_expire_on_the_virtual_clock() {
    let f = fixture("2024-05-19T00:00:00Z", &[]).await;
    let creds = f
        .admin
        .issue_sts("acs:ram::1:role/gateway", 3600)
        .await
        .unwrap();
    let sts = Ecs::new(
        &f.sim.base_url(),
        &creds.access_key_id,
        &creds.access_key_secret,
    );
    let with_token = Overrides {
        security_token: Some(creds.security_token.clone()),
        ..Default::default()
    };

    sts.call_with("DescribeDisks", &DESCRIBE, &with_token)
        .await
        .unwrap()
        .ok();
    sts.call("DescribeDisks", &DESCRIBE)
        .await
        .error(400, "MissingSecurityToken");
    let wrong = Overrides {
        security_token: Some("CAISwrong".into()),
        ..Default::default()
    };
    let answer = sts
        .call_with("DescribeDisks", &DESCRIBE, &wrong)
        .await
        .unwrap();
    answer.error(400, "InvalidSecurityToken.MismatchWithAccessKey");

    f.admin.advance(3600).await.unwrap();
    let answer = sts
        .call_with("DescribeDisks", &DESCRIBE, &with_token)
        .await
        .unwrap();
    answer.error(400, "InvalidSecurityToken.Expired");
}

#[tokio::test]
async fn assume_role_with_oidc_issues_working_credentials() {
    let f = fixture("2024-05-19T00:00:00Z", &[]).await;
    let token = f
        .admin
        .mint_oidc_token(&OidcTokenRequest::default())
        .await
        .unwrap();
    let trust = ecs_sim::OidcTrust::default();
    let url = format!("{}/", f.sim.base_url());
    let query = [
        ("Action", "AssumeRoleWithOIDC"),
        ("Version", "2015-04-01"),
        ("Format", "JSON"),
        ("RoleArn", "acs:ram::1234567890:role/ecs-gateway"),
        ("OIDCProviderArn", trust.provider_arn.as_str()),
        ("OIDCToken", token.as_str()),
        ("RoleSessionName", "gateway"),
        ("DurationSeconds", "900"),
    ];
    let http = reqwest::Client::new();
    let response = http.get(&url).query(&query).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    let creds = &body["Credentials"];
    let sts = Ecs::new(
        &f.sim.base_url(),
        creds["AccessKeyId"].as_str().unwrap(),
        creds["AccessKeySecret"].as_str().unwrap(),
    );
    let with_token = Overrides {
        security_token: Some(creds["SecurityToken"].as_str().unwrap().to_owned()),
        ..Default::default()
    };
    sts.call_with("DescribeDisks", &DESCRIBE, &with_token)
        .await
        .unwrap()
        .ok();

    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.AAAA";
    let bad: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (*k, if *k == "OIDCToken" { forged } else { *v }))
        .collect();
    let response = http.get(&url).query(&bad).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["Code"], "AuthenticationFail.OIDCToken.Invalid");
}

#[tokio::test]
async fn metadata_service_hands_out_role_credentials_after_the_token_handshake() {
    let f = fixture("2024-05-19T00:00:00Z", &[]).await;
    let base = f.sim.base_url();
    let http = reqwest::Client::new();
    let token = http
        .put(format!("{base}/latest/api/token"))
        .header("X-aliyun-ecs-metadata-token-ttl-seconds", "21600")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let get = |path: String, token: &str| {
        http.get(format!("{base}{path}"))
            .header("X-aliyun-ecs-metadata-token", token)
            .send()
    };
    let role = get("/latest/meta-data/ram/security-credentials/".into(), &token)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let path = format!("/latest/meta-data/ram/security-credentials/{role}");
    let creds: serde_json::Value = get(path.clone(), &token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(creds["Code"], "Success");
    assert!(creds["AccessKeyId"].as_str().unwrap().starts_with("STS."));
    assert!(creds["Expiration"].as_str().unwrap().ends_with('Z'));

    let refused = get(path, "wrong-token").await.unwrap();
    assert_eq!(refused.status(), 401);
}
