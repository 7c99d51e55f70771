//! The admin server over real sockets: HTTP/1.1 probes and metrics, gRPC health over h2c, and a
//! clean stop on shutdown.

use std::{net::SocketAddr, time::Duration};

use prometheus_client::metrics::counter::Counter;
use service_runtime::{Readiness, Registry, admin::AdminServer, shutdown::Shutdown};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// One HTTP/1.1 GET with `Connection: close`; returns (status code, body).
async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();

    let (head, body) = response.split_once("\r\n\r\n").expect("HTTP response");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

async fn grpc_status(addr: SocketAddr) -> i32 {
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}")).unwrap();
    let mut client = HealthClient::new(channel.connect().await.unwrap());
    let request = HealthCheckRequest {
        service: String::new(),
    };
    client.check(request).await.unwrap().into_inner().status
}

#[tokio::test]
async fn serves_probes_metrics_and_grpc_health_then_stops_on_shutdown() {
    let mut registry = Registry::with_prefix("ssm");
    let requests = Counter::<u64>::default();
    registry.register(
        "test_requests",
        "Requests seen by the test",
        requests.clone(),
    );
    requests.inc_by(3);

    let readiness = Readiness::new();
    let shutdown = Shutdown::new(Duration::from_secs(5));
    let server = AdminServer::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = server.local_addr();
    let serving = tokio::spawn(server.serve(registry, readiness.clone(), shutdown.token()));

    assert_eq!(get(addr, "/healthz").await, (200, "ok".to_owned()));
    assert_eq!(get(addr, "/readyz").await, (503, "not ready".to_owned()));
    assert_eq!(grpc_status(addr).await, ServingStatus::NotServing as i32);

    readiness.set(true);
    assert_eq!(get(addr, "/readyz").await, (200, "ready".to_owned()));
    assert_eq!(
        eventually_grpc(addr, ServingStatus::Serving).await,
        ServingStatus::Serving as i32
    );

    let (status, metrics) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("ssm_test_requests_total 3"), "{metrics}");
    assert!(metrics.trim_end().ends_with("# EOF"), "{metrics}");
    assert_eq!(get(addr, "/nope").await.0, 404);

    shutdown.trigger();
    let stopped = tokio::time::timeout(Duration::from_secs(5), serving).await;
    stopped
        .expect("stops within the timeout")
        .unwrap()
        .expect("clean stop");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "port closed after shutdown"
    );
}

/// The gRPC status follows readiness through a task, so it may lag a moment behind `set`.
async fn eventually_grpc(addr: SocketAddr, want: ServingStatus) -> i32 {
    for _ in 0..50 {
        let status = grpc_status(addr).await;
        if status == want as i32 {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    grpc_status(addr).await
}

#[tokio::test]
async fn a_taken_port_is_a_bind_error_naming_the_address() {
    let first = AdminServer::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let err = AdminServer::bind(first.local_addr()).await.unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with(&format!(
        "cannot listen on admin address {}",
        first.local_addr()
    )));
}
