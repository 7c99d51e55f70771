//! The admin server during a graceful stop: not ready at once, alive and scraped until the
//! calls in flight have finished, gone only after.

use std::net::SocketAddr;
use std::time::Duration;

use ecs_gateway::lifecycle::{not_ready_on_shutdown, serve_until_drained};
use prometheus_client::registry::Registry;
use service_runtime::Readiness;
use service_runtime::admin::AdminServer;
use service_runtime::shutdown::Shutdown;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

/// The HTTP status of `GET path`, or `None` when the admin port no longer answers.
async fn status(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.ok()?;
    answer.split_whitespace().nth(1)?.parse().ok()
}

/// Polls until `GET path` answers `expected` (bounded, so a wrong answer fails the test).
async fn eventually(addr: SocketAddr, path: &str, expected: Option<u16>) {
    for _ in 0..100 {
        if status(addr, path).await == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("GET {path} never answered {expected:?}");
}

#[tokio::test]
async fn probes_answer_until_the_drain_is_over() {
    let shutdown = Shutdown::new(Duration::from_secs(10));
    let signal = shutdown.token();
    let admin = AdminServer::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = admin.local_addr();
    let readiness = Readiness::new();
    readiness.set(true);

    // Stands in for the gRPC server: stops accepting at shutdown, then finishes one call.
    let (finish_call, call_finished) = oneshot::channel::<()>();
    let stopping = not_ready_on_shutdown(&shutdown, readiness.clone());
    let grpc = async move {
        stopping.await;
        let _ = call_finished.await;
        Ok::<(), std::io::Error>(())
    };
    let serving = tokio::spawn(async move {
        serve_until_drained(admin, Registry::default(), readiness, &shutdown, grpc).await
    });
    eventually(addr, "/readyz", Some(200)).await;

    signal.cancel();
    eventually(addr, "/readyz", Some(503)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        status(addr, "/healthz").await,
        Some(200),
        "alive while draining"
    );
    assert_eq!(
        status(addr, "/metrics").await,
        Some(200),
        "scraped while draining"
    );
    assert_eq!(status(addr, "/readyz").await, Some(503));
    assert!(!serving.is_finished());

    finish_call.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(5), serving).await;
    result.unwrap().unwrap().unwrap();
    assert_eq!(
        status(addr, "/healthz").await,
        None,
        "the admin server stops last"
    );
}
