//! Operations: gRPC health, reflection, graceful shutdown with calls in flight.

mod common;

use std::time::Duration;

use common::{ADMIN, Harness, REGION};
use ecs_gateway_api::v1;
use ecs_sim::{Fault, FaultRule};
use tokio_stream::StreamExt;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

async fn channel(harness: &Harness) -> tonic::transport::Channel {
    let config = harness.connect_config(Some(ADMIN));
    let endpoint = tonic::transport::Endpoint::from_shared(config.endpoint.clone()).unwrap();
    let ca = std::fs::read(config.ca_file.unwrap()).unwrap();
    let cert = std::fs::read(config.cert_file.unwrap()).unwrap();
    let key = std::fs::read(config.key_file.unwrap()).unwrap();
    let tls = tonic::transport::ClientTlsConfig::new()
        .ca_certificate(tonic::transport::Certificate::from_pem(ca))
        .identity(tonic::transport::Identity::from_pem(cert, key));
    endpoint.tls_config(tls).unwrap().connect().await.unwrap()
}

#[tokio::test]
async fn health_reports_serving() {
    let harness = Harness::start().await;
    let mut health = HealthClient::new(channel(&harness).await);

    let answer = health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();

    assert_eq!(answer.into_inner().status, 1, "SERVING");
}

#[tokio::test]
async fn reflection_lists_the_gateway_service() {
    let harness = Harness::start().await;
    let mut reflection = ServerReflectionClient::new(channel(&harness).await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };

    let mut answers = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let answer = answers.next().await.unwrap().unwrap();

    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("unexpected reflection answer {answer:?}");
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&ecs_gateway_api::SERVICE_NAME), "{names:?}");
}

#[tokio::test]
async fn shutdown_lets_calls_in_flight_finish() {
    let harness = Harness::start().await;
    let slow = FaultRule {
        action: "DescribeDisks".into(),
        fault: Fault::Latency { millis: 700 },
        probability: 1.0,
        times: Some(1),
    };
    harness.sim.admin().set_faults(&[slow]).await.unwrap();
    let mut client = harness.client(ADMIN).await;
    let in_flight = tokio::spawn(async move {
        let request = v1::DescribeDisksRequest {
            region_id: REGION.into(),
            ..Default::default()
        };
        client.describe_disks(request).await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;

    let stopped = harness.stop().await;

    assert!(stopped.is_ok(), "{stopped:?}");
    let answer = in_flight.await.unwrap();
    assert_eq!(answer.unwrap().into_inner().disks.len(), 3);
}

#[tokio::test]
async fn insecure_dev_mode_serves_plain_text_to_anyone() {
    let options = common::Options {
        insecure_dev: true,
        ..common::Options::default()
    };
    let harness = Harness::start_with(options).await;
    let mut client = harness.connect_config(None).connect().await.unwrap();

    let request = v1::DescribeDisksRequest {
        region_id: REGION.into(),
        ..Default::default()
    };
    let disks = client.describe_disks(request).await.unwrap().into_inner();

    assert_eq!(disks.disks.len(), 3);
    assert!(harness.metrics_text().contains("caller=\"insecure-dev\""));
}
