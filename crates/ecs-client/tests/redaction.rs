//! Secrets never appear in Debug or Display output, nor in errors, whatever path they take.

mod support;

use std::sync::Arc;

use ecs_client::actions::DescribeSnapshots;
use ecs_client::credentials::*;
use ecs_client::signing::RequestSigner;
use ecs_client::{ClientConfig, EcsClient, Endpoint, SignatureVersion};
use support::{Answer, FakeServer, ScratchDir, ecs_error};

const SECRET: &str = "Sup3rSecretAccessKeyValue";
const TOKEN: &str = "CAIS+SecurityToken/Value==";

fn assert_clean(label: &str, text: &str) {
    let encoded_token = acs_signature::percent_encode(TOKEN);
    for needle in [
        SECRET,
        TOKEN,
        encoded_token.as_str(),
        &acs_signature::percent_encode(&encoded_token),
    ] {
        assert!(!text.contains(needle), "{label} leaks a secret: {text}");
    }
}

fn credentials() -> Credentials {
    Credentials::sts("STS.visible-id", SECRET, TOKEN, None).unwrap()
}

#[tokio::test]
async fn credential_types_redact_in_debug() {
    let credentials = credentials();
    let debug = format!("{credentials:?}");
    assert!(
        debug.contains("STS.visible-id") && debug.contains("REDACTED"),
        "{debug}"
    );
    assert_clean("Credentials", &debug);

    let provider = Arc::new(StaticCredentials::new(credentials.clone()));
    assert_clean("StaticCredentials", &format!("{provider:?}"));
    let cache = CachingProvider::start(provider, CacheOptions::default())
        .await
        .unwrap();
    assert_clean("CachingProvider", &format!("{cache:?}"));

    let dir = ScratchDir::new();
    std::fs::write(dir.path("access-key-id"), "LTAI-id").unwrap();
    std::fs::write(dir.path("access-key-secret"), SECRET).unwrap();
    let files = SecretFileCredentials::new(SecretFilePaths::in_dir(&dir.0))
        .await
        .unwrap();
    assert_clean("SecretFileCredentials", &format!("{files:?}"));

    let signer =
        RequestSigner::new(&Endpoint::public("cn-beijing"), SignatureVersion::RpcV1).unwrap();
    let signed = signer.sign(
        "DescribeDisks",
        &[],
        &credentials,
        "nonce",
        jiff::Timestamp::now(),
    );
    assert_clean("SignedRequest", &format!("{signed:?}"));
    let signer = RequestSigner::new(&Endpoint::public("cn-beijing"), SignatureVersion::V3).unwrap();
    let signed = signer.sign(
        "DescribeDisks",
        &[],
        &credentials,
        "nonce",
        jiff::Timestamp::now(),
    );
    assert_clean("SignedRequest (V3)", &format!("{signed:?}"));
}

#[tokio::test]
async fn errors_never_echo_secrets() {
    // ECS puts its string-to-sign, which holds the percent-encoded SecurityToken, into
    // SignatureDoesNotMatch; a broken proxy may echo the whole query.
    let server = FakeServer::start(|request| {
        let echoed = request
            .query
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let encoded = acs_signature::percent_encode(&acs_signature::percent_encode(&echoed));
        if request.param("Action") == Some("DescribeSnapshots") {
            ecs_error(
                400,
                "SignatureDoesNotMatch",
                &format!("server string to sign is:POST&%2F&{encoded} raw {echoed}"),
            )
        } else {
            Answer::text(502, format!("<html>upstream failed for {echoed}</html>"))
        }
    })
    .await;
    let client = EcsClient::new(
        ClientConfig::new(Endpoint::url(&server.url()).unwrap()),
        Arc::new(StaticCredentials::new(credentials())),
    )
    .unwrap();
    assert_clean("EcsClient", &format!("{client:?}"));

    let error = client
        .execute(&DescribeSnapshots::new("cn-beijing"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("SignatureDoesNotMatch"));
    assert!(error.message().unwrap().contains("REDACTED"), "{error}");
    assert_clean("SignatureDoesNotMatch", &format!("{error} {error:?}"));

    let error = client
        .execute(&ecs_client::actions::DescribeDisks::new("cn-beijing"))
        .await
        .unwrap_err();
    assert_clean("UnexpectedResponse", &format!("{error} {error:?}"));

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let unreachable = EcsClient::new(
        ClientConfig::new(Endpoint::url(&url).unwrap()),
        Arc::new(StaticCredentials::new(credentials())),
    )
    .unwrap();
    let error = unreachable
        .execute(&DescribeSnapshots::new("cn-beijing"))
        .await
        .unwrap_err();
    let text = format!("{error} {error:?} {:?}", std::error::Error::source(&error));
    assert_clean("Transport", &text);
    assert!(!text.contains("Signature="), "{text}");
}
