//! `EcsClient::execute` end to end against a recording server that checks signatures the way
//! ECS does: signing, common parameters, error parsing and classification, timeouts.

mod support;

use std::sync::Arc;
use std::time::Duration;

use acs_signature::{rpc_v1, v3};
use ecs_client::actions::{DescribeSnapshots, ListTagResources};
use ecs_client::credentials::{Credentials, StaticCredentials};
use ecs_client::{
    ClientConfig, EcsClient, Endpoint, Error, ErrorKind, SignatureVersion, TransportKind,
};
use serde_json::json;
use support::{Answer, FakeServer, Recorded, ecs_error, ok};

const SECRET: &str = "test-secret-value";
const TOKEN: &str = "CAIS+sts/token==value";

fn sts() -> Credentials {
    Credentials::sts("STS.test-id", SECRET, TOKEN, None).unwrap()
}

fn client_for(url: &str, version: SignatureVersion, credentials: Credentials) -> EcsClient {
    let mut config = ClientConfig::new(Endpoint::url(url).unwrap());
    config.signature_version = version;
    config.read_timeout = Duration::from_millis(500);
    config.request_timeout = Duration::from_secs(2);
    EcsClient::new(config, Arc::new(StaticCredentials::new(credentials))).unwrap()
}

/// Checks an RPC v1 signature as ECS does: rebuild the string to sign from what arrived.
fn rpc_v1_valid(request: &Recorded, secret: &str) -> bool {
    let params: Vec<(&str, &str)> = request
        .query
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let presented = request.param("Signature").unwrap_or_default();
    acs_signature::signatures_match(&rpc_v1::signature("POST", params, secret), presented)
}

/// Checks a V3 signature from the request's headers and query.
fn v3_valid(request: &Recorded, secret: &str) -> bool {
    let Some(authorization) = request.header("authorization") else {
        return false;
    };
    let Ok(authorization) = v3::Authorization::parse(authorization) else {
        return false;
    };
    let headers: Vec<(&str, &str)> = authorization
        .signed_headers
        .iter()
        .map(|name| (name.as_str(), request.header(name).unwrap_or_default()))
        .collect();
    let query: Vec<(&str, &str)> = request
        .query
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let parts = v3::RequestParts {
        method: request.method.as_str(),
        path: &request.path,
        query: &query,
        headers: &headers,
        payload_sha256: request.header("x-acs-content-sha256").unwrap_or_default(),
    };
    let names = request.headers.keys().map(|k| k.as_str());
    let expected = v3::authorization(&parts, &authorization.access_key_id, secret);
    v3::required_headers_signed(&authorization.signed_headers, names)
        && acs_signature::signatures_match(&expected.signature, &authorization.signature)
}

fn snapshots_body() -> Answer {
    ok(json!({
        "NextToken": "",
        "Snapshots": { "Snapshot": [
            { "SnapshotId": "s-1", "SourceDiskId": "d-1", "Status": "accomplished" }
        ] }
    }))
}

#[tokio::test]
async fn rpc_v1_requests_are_signed_with_the_common_parameters() {
    let server = FakeServer::start(|request| {
        if rpc_v1_valid(request, SECRET) {
            snapshots_body()
        } else {
            ecs_error(
                400,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
            )
        }
    })
    .await;
    let client = client_for(&server.url(), SignatureVersion::RpcV1, sts());

    let mut action = DescribeSnapshots::new("cn-beijing");
    action.tags = vec![ecs_client::actions::Tag::new("名前 *~", "a+b/c=d&e%")];
    let response = client.execute(&action).await.expect("signature accepted");
    assert_eq!(response.snapshots[0].snapshot_id, "s-1");
    assert_eq!(response.request_id, "req-ok");

    let request = server.last();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/");
    for (name, value) in [
        ("Action", "DescribeSnapshots"),
        ("Version", "2014-05-26"),
        ("Format", "json"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("AccessKeyId", "STS.test-id"),
        ("SecurityToken", TOKEN),
        ("RegionId", "cn-beijing"),
        ("Tag.1.Key", "名前 *~"),
        ("Tag.1.Value", "a+b/c=d&e%"),
    ] {
        assert_eq!(request.param(name), Some(value), "{name}");
    }
    let timestamp = request.param("Timestamp").unwrap();
    let sent: jiff::Timestamp = timestamp.parse().unwrap();
    assert!(
        timestamp.ends_with('Z') && timestamp.len() == 20,
        "{timestamp}"
    );
    assert!(jiff::Timestamp::now().duration_since(sent).as_secs().abs() < 60);

    let wrong = Credentials::sts("STS.test-id", "another-secret", TOKEN, None).unwrap();
    let error = client_for(&server.url(), SignatureVersion::RpcV1, wrong)
        .execute(&action)
        .await;
    assert_eq!(
        error.unwrap_err().code(),
        Some("SignatureDoesNotMatch"),
        "the check can fail"
    );
}

#[tokio::test]
async fn every_attempt_gets_a_fresh_nonce() {
    let server = FakeServer::start(|_| snapshots_body()).await;
    let client = client_for(&server.url(), SignatureVersion::RpcV1, sts());
    let action = DescribeSnapshots::new("cn-beijing");
    client.execute(&action).await.unwrap();
    client.execute(&action).await.unwrap();

    let nonces: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.param("SignatureNonce").unwrap().to_owned())
        .collect();
    assert_eq!(nonces.len(), 2);
    assert_ne!(nonces[0], nonces[1]);
}

#[tokio::test]
async fn v3_requests_are_signed_in_the_authorization_header() {
    let server = FakeServer::start(|request| {
        if v3_valid(request, SECRET) {
            ok(json!({ "TagResources": { "TagResource": [] } }))
        } else {
            ecs_error(400, "SignatureDoesNotMatch", "bad v3 signature")
        }
    })
    .await;
    let client = client_for(&server.url(), SignatureVersion::V3, sts());

    let mut action = ListTagResources::new("cn-beijing", "snapshot");
    action.resource_ids = vec!["s-1".into()];
    client
        .execute(&action)
        .await
        .expect("V3 signature accepted");

    let wrong = Credentials::sts("STS.test-id", "another-secret", TOKEN, None).unwrap();
    let error = client_for(&server.url(), SignatureVersion::V3, wrong)
        .execute(&action)
        .await;
    assert_eq!(
        error.unwrap_err().code(),
        Some("SignatureDoesNotMatch"),
        "the check can fail"
    );

    let request = server.last();
    assert_eq!(request.header("x-acs-action"), Some("ListTagResources"));
    assert_eq!(request.header("x-acs-version"), Some("2014-05-26"));
    assert_eq!(request.header("x-acs-security-token"), Some(TOKEN));
    assert_eq!(request.param("ResourceId.1"), Some("s-1"));
    assert_eq!(
        request.param("Signature"),
        None,
        "V3 does not use the v1 parameter"
    );
}

async fn error_for(answer: impl Fn() -> Answer + Send + Sync + 'static) -> Error {
    let server = FakeServer::start(move |_| answer()).await;
    let client = client_for(&server.url(), SignatureVersion::RpcV1, sts());
    client
        .execute(&DescribeSnapshots::new("cn-beijing"))
        .await
        .expect_err("the server refuses")
}

#[tokio::test]
async fn throttling_is_recognised_with_its_details() {
    for code in ["Throttling", "Throttling.User", "Throttling.Api"] {
        let error =
            error_for(move || ecs_error(400, code, "Request was denied due to user flow control."))
                .await;
        assert!(error.is_throttling(), "{code}");
        assert!(!error.is_transient());
        assert_eq!(error.kind(), ErrorKind::Throttled);
        assert_eq!(error.http_status(), Some(400));
        assert_eq!(error.code(), Some(code));
        assert_eq!(error.request_id(), Some("req-err"));
        assert!(error.message().unwrap().contains("flow control"));
        assert!(
            error.to_string().contains(code) && error.to_string().contains("req-err"),
            "{error}"
        );
    }

    let error =
        error_for(|| ecs_error(400, "Busy", "slow down").with_header("x-acs-retry-after", "1500"))
            .await;
    assert!(error.is_throttling());
    assert_eq!(
        error.api().unwrap().retry_after(),
        Some(Duration::from_millis(1500))
    );
}

#[tokio::test]
async fn server_errors_are_transient_and_client_errors_are_not() {
    let error = error_for(|| {
        ecs_error(
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure.",
        )
    })
    .await;
    assert!(error.is_transient() && !error.is_throttling());
    assert_eq!(error.kind(), ErrorKind::Transient);

    let error = error_for(|| ecs_error(500, "InternalError", "internal")).await;
    assert!(error.is_transient());

    let error = error_for(|| Answer::text(502, "<html>Bad Gateway</html>")).await;
    assert!(
        matches!(error, Error::UnexpectedResponse { status: 502, .. }),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert!(error.to_string().contains("Bad Gateway"), "{error}");

    let error = error_for(|| {
        ecs_error(
            404,
            "ParameterInvalid",
            "The specified AutoSnapshotPolicyId does not exist.",
        )
    })
    .await;
    assert!(!error.is_transient() && !error.is_throttling() && !error.is_credentials_expired());
    assert_eq!(error.kind(), ErrorKind::Rejected);
    assert_eq!(error.http_status(), Some(404));
}

#[tokio::test]
async fn credential_refusals_are_classified() {
    let error = error_for(|| {
        ecs_error(
            400,
            "InvalidSecurityToken.Expired",
            "Specified SecurityToken is expired.",
        )
    })
    .await;
    assert!(error.is_credentials_expired() && error.is_credentials_rejected());
    assert_eq!(error.kind(), ErrorKind::CredentialsRejected);

    let error = error_for(|| {
        ecs_error(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )
    })
    .await;
    assert!(!error.is_credentials_expired() && error.is_credentials_rejected());
}

#[tokio::test]
async fn a_success_status_with_an_error_code_is_an_error() {
    let error = error_for(|| ecs_error(200, "InternalError", "odd but seen")).await;
    assert_eq!(error.code(), Some("InternalError"));

    let error = error_for(|| ok(json!({ "Snapshots": { "Snapshot": "not a list" } }))).await;
    assert!(
        matches!(error, Error::UnexpectedResponse { status: 200, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("DescribeSnapshots"), "{error}");
}

#[tokio::test]
async fn lower_case_error_fields_are_understood() {
    let error = error_for(|| {
        Answer::json(
            400,
            json!({ "code": "Throttling", "message": "m", "requestId": "r-9" }),
        )
    })
    .await;
    assert!(error.is_throttling());
    assert_eq!(error.request_id(), Some("r-9"));
}

#[tokio::test]
async fn a_slow_answer_times_out_as_a_transient_transport_error() {
    let error = error_for(|| snapshots_body().delayed(Duration::from_secs(3))).await;
    match &error {
        Error::Transport { kind, .. } => assert_eq!(*kind, TransportKind::Timeout),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(error.is_transient());
    assert!(
        error.request_may_have_reached_ecs(),
        "a timed-out request may have been executed"
    );
}

#[tokio::test]
async fn a_refused_connection_never_reached_ecs() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);

    let client = client_for(&url, SignatureVersion::RpcV1, sts());
    let error = client
        .execute(&DescribeSnapshots::new("cn-beijing"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert!(!error.request_may_have_reached_ecs());
    assert!(!error.to_string().contains(TOKEN) && !error.to_string().contains("Signature="));
}

#[tokio::test]
async fn invalid_requests_fail_before_anything_is_sent() {
    let server = FakeServer::start(|_| snapshots_body()).await;
    let client = client_for(&server.url(), SignatureVersion::RpcV1, sts());
    let mut action = DescribeSnapshots::new("cn-beijing");
    action.max_results = Some(0);

    let error = client.execute(&action).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert!(error.to_string().contains("MaxResults"), "{error}");
    assert!(!error.request_may_have_reached_ecs());
    assert!(server.requests().is_empty());
}
