//! Each credential source against a local stand-in of what it talks to, and the refreshing
//! cache: refresh ahead of expiry with no failed request, survival of failed refreshes.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ecs_client::Error;
use ecs_client::credentials::*;
use futures::future::BoxFuture;
use reqwest::Url;
use serde_json::json;
use support::{Answer, FakeServer, Recorded, ScratchDir};

fn expiry_in(duration: Duration) -> String {
    let at = jiff::Timestamp::now() + jiff::SignedDuration::try_from(duration).unwrap();
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

// ----- Secret files -------------------------------------------------------------------------

/// Publishes a new version of the files the way the kubelet does: a fresh directory, then an
/// atomic swap of the `..data` symlink the visible names point through.
fn publish(dir: &ScratchDir, version: &str, id: &str, secret: &str) {
    let target = dir.path(&format!("..{version}"));
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("access-key-id"), format!("{id}\n")).unwrap();
    std::fs::write(target.join("access-key-secret"), secret).unwrap();

    let staging = dir.path("..data_tmp");
    std::os::unix::fs::symlink(&target, &staging).unwrap();
    std::fs::rename(&staging, dir.path("..data")).unwrap();
    for name in ["access-key-id", "access-key-secret"] {
        let link = dir.path(name);
        if !link.exists() {
            std::os::unix::fs::symlink(dir.path("..data").join(name), link).unwrap();
        }
    }
}

#[tokio::test]
async fn secret_files_are_reread_when_the_secret_is_updated() {
    let dir = ScratchDir::new();
    publish(&dir, "v1", "LTAI-first", "secret-1");
    let provider = SecretFileCredentials::new(SecretFilePaths::in_dir(&dir.0))
        .await
        .unwrap();
    assert_eq!(
        provider.credentials().await.unwrap().access_key_id(),
        "LTAI-first"
    );

    publish(&dir, "v2", "LTAI-second", "secret-2");
    assert_eq!(
        provider.credentials().await.unwrap().access_key_id(),
        "LTAI-second"
    );

    std::fs::write(dir.path("..v2/access-key-id"), "LTAI-third-longer").unwrap();
    assert_eq!(
        provider.credentials().await.unwrap().access_key_id(),
        "LTAI-third-longer"
    );
}

#[tokio::test]
async fn secret_file_errors_name_the_file() {
    let dir = ScratchDir::new();
    let missing = SecretFileCredentials::new(SecretFilePaths::in_dir(&dir.0))
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("access-key-id"), "{missing}");

    std::fs::write(dir.path("access-key-id"), "LTAI").unwrap();
    std::fs::write(dir.path("access-key-secret"), "  \n").unwrap();
    let empty = SecretFileCredentials::new(SecretFilePaths::in_dir(&dir.0))
        .await
        .unwrap_err();
    assert!(
        empty.to_string().contains("access-key-secret") && empty.to_string().contains("empty"),
        "{empty}"
    );
}

// ----- Instance metadata service ------------------------------------------------------------

const IMDS_TOKEN: &str = "imds-session-token";

fn imds(request: &Recorded, lifetime: Duration, serial: u64) -> Answer {
    let token_ok = request.header("x-aliyun-ecs-metadata-token") == Some(IMDS_TOKEN);
    match (request.method.as_str(), request.path.as_str()) {
        ("PUT", "/latest/api/token") => {
            match request.header("x-aliyun-ecs-metadata-token-ttl-seconds") {
                Some(_) => Answer::text(200, IMDS_TOKEN),
                None => Answer::text(400, "missing ttl"),
            }
        }
        (_, _) if !token_ok => Answer::text(401, "Unauthorized"),
        ("GET", "/latest/meta-data/ram/security-credentials/") => Answer::text(200, "ssm-role"),
        ("GET", "/latest/meta-data/ram/security-credentials/ssm-role") => Answer::json(
            200,
            json!({
                "Code": "Success", "AccessKeyId": format!("STS.imds-{serial}"),
                "AccessKeySecret": format!("imds-secret-{serial}"),
                "SecurityToken": format!("imds-token-{serial}"),
                "Expiration": expiry_in(lifetime), "LastUpdated": expiry_in(Duration::ZERO),
            }),
        ),
        _ => Answer::text(404, "Not Found"),
    }
}

fn imds_config(server: &FakeServer) -> InstanceRoleConfig {
    InstanceRoleConfig {
        base_url: Url::parse(&server.url()).unwrap(),
        ..InstanceRoleConfig::default()
    }
}

#[tokio::test]
async fn instance_role_uses_the_token_handshake() {
    let server = FakeServer::start(|request| imds(request, Duration::from_secs(3600), 1)).await;
    let provider = InstanceRoleCredentials::new(imds_config(&server)).unwrap();

    let credentials = provider.credentials().await.unwrap();
    assert_eq!(credentials.access_key_id(), "STS.imds-1");
    assert!(credentials.has_security_token());
    let expires_in = credentials
        .expiration()
        .unwrap()
        .duration_since(jiff::Timestamp::now());
    assert!(
        (3500..=3600).contains(&expires_in.as_secs()),
        "{expires_in:?}"
    );

    let requests = server.requests();
    assert_eq!(requests[0].method, "PUT");
    assert_eq!(
        requests[0].header("x-aliyun-ecs-metadata-token-ttl-seconds"),
        Some("21600")
    );
    assert!(
        requests[1..]
            .iter()
            .all(|r| r.header("x-aliyun-ecs-metadata-token") == Some(IMDS_TOKEN))
    );
}

#[tokio::test]
async fn instance_role_refuses_to_go_without_a_token_unless_allowed() {
    let server = FakeServer::start(|request| match request.path.as_str() {
        "/latest/api/token" => Answer::text(403, "Forbidden"),
        "/latest/meta-data/ram/security-credentials/" => Answer::text(200, "ssm-role"),
        _ => Answer::json(
            200,
            json!({ "Code": "Success", "AccessKeyId": "STS.v1", "AccessKeySecret": "s",
                    "SecurityToken": "t", "Expiration": expiry_in(Duration::from_secs(3600)) }),
        ),
    })
    .await;

    let hardened = InstanceRoleCredentials::new(imds_config(&server)).unwrap();
    let error = hardened.credentials().await.unwrap_err();
    assert!(error.to_string().contains("403"), "{error}");
    assert_eq!(server.requests().len(), 1, "no token-less request was made");

    let mut config = imds_config(&server);
    config.allow_without_token = true;
    let lenient = InstanceRoleCredentials::new(config).unwrap();
    assert_eq!(
        lenient.credentials().await.unwrap().access_key_id(),
        "STS.v1"
    );
    assert!(
        server
            .last()
            .header("x-aliyun-ecs-metadata-token")
            .is_none()
    );
}

#[tokio::test]
async fn instance_role_failure_documents_are_reported_without_their_contents() {
    let server = FakeServer::start(|request| match request.path.as_str() {
        "/latest/api/token" => Answer::text(200, IMDS_TOKEN),
        _ => Answer::json(
            200,
            json!({ "Code": "Failed", "AccessKeySecret": "leaked-secret" }),
        ),
    })
    .await;
    let mut config = imds_config(&server);
    config.role_name = Some("ssm-role".into());
    let error = InstanceRoleCredentials::new(config)
        .unwrap()
        .credentials()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("Failed"), "{error}");
    assert!(!format!("{error} {error:?}").contains("leaked-secret"));
}

#[tokio::test]
async fn instance_role_outages_are_transient_and_refusals_are_not() {
    let server = FakeServer::start(|request| match request.path.as_str() {
        "/latest/api/token" => Answer::text(503, "Service Unavailable"),
        _ => Answer::text(404, "Not Found"),
    })
    .await;
    let down = InstanceRoleCredentials::new(imds_config(&server)).unwrap();
    let error = down.credentials().await.unwrap_err();
    assert!(error.is_transient(), "HTTP 503 is an outage: {error}");
    assert_eq!(error.kind(), ecs_client::ErrorKind::CredentialsUnavailable);
    assert!(!error.request_may_have_reached_ecs());

    let unreachable = InstanceRoleConfig {
        base_url: Url::parse(&format!("http://{}/", closed_port().await)).unwrap(),
        ..InstanceRoleConfig::default()
    };
    let error = InstanceRoleCredentials::new(unreachable)
        .unwrap()
        .credentials()
        .await
        .unwrap_err();
    assert!(
        error.is_transient(),
        "a refused connection is an outage: {error}"
    );

    let mut config = imds_config(&server);
    config.allow_without_token = true;
    let error = InstanceRoleCredentials::new(config)
        .unwrap()
        .credentials()
        .await
        .unwrap_err();
    assert!(
        !error.is_transient(),
        "no role attached (404) is permanent: {error}"
    );
}

#[tokio::test]
async fn instance_role_code_other_than_success_is_permanent() {
    let server = FakeServer::start(|request| match request.path.as_str() {
        "/latest/api/token" => Answer::text(200, IMDS_TOKEN),
        _ => Answer::json(200, json!({ "Code": "Failed" })),
    })
    .await;
    let mut config = imds_config(&server);
    config.role_name = Some("ssm-role".into());

    let error = InstanceRoleCredentials::new(config)
        .unwrap()
        .credentials()
        .await
        .unwrap_err();

    assert!(!error.is_transient(), "{error}");
}

/// An address nothing listens on: bound, then released.
async fn closed_port() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

// ----- RRSA / OIDC --------------------------------------------------------------------------

fn sts(request: &Recorded) -> Answer {
    let token = request.param("OIDCToken").unwrap_or_default().to_owned();
    let expected = [
        ("Action", "AssumeRoleWithOIDC"),
        ("Version", "2015-04-01"),
        ("RoleArn", "acs:ram::1:role/ssm"),
        ("OIDCProviderArn", "acs:ram::1:oidc-provider/ack-rrsa-c1"),
        ("RoleSessionName", "storage-snapshot-manager"),
        ("DurationSeconds", "3600"),
    ];
    if expected.iter().any(|(n, v)| request.param(n) != Some(v)) || token.starts_with("expired") {
        let message = format!("The OIDC token {token} is expired.");
        return Answer::json(
            400,
            json!({ "RequestId": "sts-req", "Code": "AuthenticationFail.OIDCToken.Expired",
                    "Message": message }),
        );
    }
    Answer::json(
        200,
        json!({ "RequestId": "sts-req", "Credentials": {
            "AccessKeyId": format!("STS.for-{token}"), "AccessKeySecret": "oidc-secret",
            "SecurityToken": "oidc-sts-token",
            "Expiration": expiry_in(Duration::from_secs(3600)) } }),
    )
}

fn oidc_provider(server: &FakeServer, dir: &ScratchDir) -> OidcRoleCredentials {
    let mut config = OidcRoleConfig::new(
        "acs:ram::1:role/ssm",
        "acs:ram::1:oidc-provider/ack-rrsa-c1",
        dir.path("token"),
    );
    config.sts_endpoint = Url::parse(&server.url()).unwrap();
    OidcRoleCredentials::new(config).unwrap()
}

#[tokio::test]
async fn rrsa_rereads_the_projected_token_at_every_fetch() {
    let server = FakeServer::start(sts).await;
    let dir = ScratchDir::new();
    let provider = oidc_provider(&server, &dir);

    std::fs::write(dir.path("token"), "jwt-one\n").unwrap();
    assert_eq!(
        provider.credentials().await.unwrap().access_key_id(),
        "STS.for-jwt-one"
    );
    std::fs::write(dir.path("token"), "jwt-two").unwrap();
    assert_eq!(
        provider.credentials().await.unwrap().access_key_id(),
        "STS.for-jwt-two"
    );

    let request = server.last();
    assert_eq!(request.method, "POST");
    assert!(
        request.query.is_empty(),
        "the OIDC token is never put in the URL"
    );
}

#[tokio::test]
async fn rrsa_errors_carry_the_sts_code_but_not_the_token() {
    let server = FakeServer::start(sts).await;
    let dir = ScratchDir::new();
    let provider = oidc_provider(&server, &dir);

    let missing = provider.credentials().await.unwrap_err();
    assert!(missing.to_string().contains("token"), "{missing}");

    std::fs::write(dir.path("token"), "expired-jwt-secret-part").unwrap();
    let error = provider.credentials().await.unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(
        text.contains("AuthenticationFail.OIDCToken.Expired") && text.contains("sts-req"),
        "{text}"
    );
    assert!(!text.contains("expired-jwt-secret-part"), "{text}");
}

#[tokio::test]
async fn rrsa_sts_outages_are_transient_and_token_refusals_are_not() {
    let server = FakeServer::start(|request| match request.param("OIDCToken") {
        Some("busy") => Answer::json(
            503,
            json!({ "RequestId": "r", "Code": "ServiceUnavailable", "Message": "busy" }),
        ),
        Some("gateway") => Answer::text(502, "<html>Bad Gateway</html>"),
        _ => sts(request),
    })
    .await;
    let dir = ScratchDir::new();
    let provider = oidc_provider(&server, &dir);

    for token in ["busy", "gateway"] {
        std::fs::write(dir.path("token"), token).unwrap();
        let error = provider.credentials().await.unwrap_err();
        assert!(error.is_transient(), "{token}: {error}");
    }

    std::fs::write(dir.path("token"), "expired-jwt").unwrap();
    let refused = provider.credentials().await.unwrap_err();
    assert!(!refused.is_transient(), "{refused}");
    std::fs::remove_file(dir.path("token")).unwrap();
    let missing = provider.credentials().await.unwrap_err();
    assert!(!missing.is_transient(), "{missing}");
}

// ----- The refreshing cache -----------------------------------------------------------------

/// Issues numbered STS credentials of a fixed lifetime; fails while `failing` is set.
#[derive(Debug)]
struct Issuer {
    lifetime: Duration,
    issued: AtomicU64,
    failing: std::sync::atomic::AtomicBool,
}

impl Issuer {
    fn new(lifetime: Duration) -> Arc<Self> {
        Arc::new(Self {
            lifetime,
            issued: AtomicU64::new(0),
            failing: false.into(),
        })
    }
}

impl CredentialsProvider for Issuer {
    fn name(&self) -> &'static str {
        "test-issuer"
    }

    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        Box::pin(async move {
            if self.failing.load(Ordering::SeqCst) {
                return Err(Error::Credentials {
                    provider: "test-issuer",
                    reason: "down".into(),
                    transient: true,
                });
            }
            let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
            let expiration =
                jiff::Timestamp::now() + jiff::SignedDuration::try_from(self.lifetime).unwrap();
            Credentials::sts(
                format!("STS.{n}"),
                format!("secret-{n}"),
                format!("token-{n}"),
                Some(expiration),
            )
        })
    }
}

fn fast_options(events: &Arc<Mutex<Vec<RefreshEvent>>>) -> CacheOptions {
    let sink = Arc::clone(events);
    CacheOptions {
        refresh_ahead: Duration::from_millis(700),
        min_remaining: Duration::from_millis(100),
        retry_initial: Duration::from_millis(100),
        retry_max: Duration::from_millis(200),
        listener: Some(Arc::new(move |event: &RefreshEvent| {
            sink.lock().unwrap().push(event.clone())
        })),
    }
}

#[tokio::test]
async fn the_cache_refreshes_ahead_of_expiry_so_no_request_waits_or_fails() {
    let issuer = Issuer::new(Duration::from_millis(1500));
    let events = Arc::new(Mutex::new(Vec::new()));
    let cache = CachingProvider::start(issuer.clone(), fast_options(&events))
        .await
        .unwrap();

    let deadline = tokio::time::Instant::now() + Duration::from_millis(2600);
    let mut seen = std::collections::BTreeSet::new();
    while tokio::time::Instant::now() < deadline {
        let credentials = cache.credentials().await.expect("never fails");
        let left = credentials
            .expiration()
            .unwrap()
            .duration_since(jiff::Timestamp::now());
        assert!(
            left.is_positive(),
            "served credentials with only {left:?} left"
        );
        seen.insert(credentials.access_key_id().to_owned());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    assert!(seen.len() >= 3, "credentials rotated: {seen:?}");
    let events = events.lock().unwrap().clone();
    assert!(events.len() >= 3);
    assert!(!events[0].background, "the first fetch happens at start");
    assert!(
        events[1..]
            .iter()
            .all(|e| e.background && e.outcome == RefreshOutcome::Success),
        "{events:?}"
    );
    assert_eq!(cache.refresh_count(), events.len() as u64);
}

#[tokio::test]
async fn the_cache_keeps_serving_valid_credentials_while_refreshes_fail() {
    let issuer = Issuer::new(Duration::from_millis(1500));
    let events = Arc::new(Mutex::new(Vec::new()));
    let cache = CachingProvider::start(issuer.clone(), fast_options(&events))
        .await
        .unwrap();
    issuer.failing.store(true, Ordering::SeqCst);

    let started = tokio::time::Instant::now();
    while started.elapsed() < Duration::from_millis(1100) {
        let credentials = cache
            .credentials()
            .await
            .expect("still valid, still served");
        assert_eq!(credentials.access_key_id(), "STS.1");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        cache.refresh_failures() >= 2,
        "background retries happened: {}",
        cache.refresh_failures()
    );

    tokio::time::sleep(Duration::from_millis(500)).await;
    let error = cache
        .credentials()
        .await
        .expect_err("expired credentials are never served");
    assert!(error.to_string().contains("down"), "{error}");

    issuer.failing.store(false, Ordering::SeqCst);
    let recovered = cache.credentials().await.unwrap();
    assert_ne!(recovered.access_key_id(), "STS.1");
    let events = events.lock().unwrap();
    assert!(events.iter().any(|e| e.outcome == RefreshOutcome::Failure));
}

#[tokio::test]
async fn the_cache_passes_non_expiring_credentials_through_so_rotations_show() {
    let dir = ScratchDir::new();
    publish(&dir, "v1", "LTAI-first", "secret-1");
    let files = SecretFileCredentials::new(SecretFilePaths::in_dir(&dir.0))
        .await
        .unwrap();
    let cache = CachingProvider::start(Arc::new(files), CacheOptions::default())
        .await
        .unwrap();
    assert_eq!(
        cache.credentials().await.unwrap().access_key_id(),
        "LTAI-first"
    );

    publish(&dir, "v2", "LTAI-second", "secret-2");
    assert_eq!(
        cache.credentials().await.unwrap().access_key_id(),
        "LTAI-second"
    );
    assert_eq!(cache.refresh_count(), 2);
}

#[tokio::test]
async fn refresh_now_replaces_credentials_on_demand() {
    let issuer = Issuer::new(Duration::from_secs(3600));
    let cache = CachingProvider::start(issuer.clone(), CacheOptions::default())
        .await
        .unwrap();
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "STS.1");
    assert_eq!(cache.refresh_now().await.unwrap().access_key_id(), "STS.2");
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "STS.2");
}

#[tokio::test]
async fn refused_credentials_are_replaced_once() {
    let issuer = Issuer::new(Duration::from_secs(3600));
    let cache = CachingProvider::start(issuer.clone(), CacheOptions::default())
        .await
        .unwrap();
    assert_eq!(cache.credentials().await.unwrap().access_key_id(), "STS.1");

    cache.invalidate("STS.1");
    let replaced = futures::future::join_all((0..8).map(|_| cache.credentials())).await;
    assert!(
        replaced
            .iter()
            .all(|c| c.as_ref().unwrap().access_key_id() == "STS.2")
    );

    cache.invalidate("STS.1");
    assert_eq!(
        cache.credentials().await.unwrap().access_key_id(),
        "STS.2",
        "already replaced"
    );
    assert_eq!(issuer.issued.load(Ordering::SeqCst), 2);
}
