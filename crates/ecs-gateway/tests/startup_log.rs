//! The built binary logs the addresses it actually bound, so `--listen-addr 127.0.0.1:0`
//! (tests, local runs) tells the operator which port to dial.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ecs_sim::SimConfig;

/// Kills the gateway when the test ends, passed or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The value of `field=` in a text log line, e.g. `listen=127.0.0.1:40123`.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let start = line.find(&format!("{name}="))? + name.len() + 1;
    line[start..].split_whitespace().next()
}

#[tokio::test]
async fn the_started_line_names_the_bound_ports() {
    let sim = ecs_sim::spawn(SimConfig::default()).await.unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_ecs-gateway"))
        .args([
            "--listen-addr",
            "127.0.0.1:0",
            "--admin-addr",
            "127.0.0.1:0",
        ])
        .args(["--insecure-dev-mode", "--log-format", "text"])
        .args(["--region", "cn-hangzhou", "--credentials-source", "env"])
        .args(["--ecs-endpoint", &sim.base_url()])
        .env(
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            ecs_sim::DEFAULT_ACCESS_KEY_ID,
        )
        .env(
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            ecs_sim::DEFAULT_ACCESS_KEY_SECRET,
        )
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("the ecs-gateway binary starts");
    let mut gateway = Running(child);
    let stderr = gateway.0.stderr.take().unwrap();
    let (found, started) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stderr).lines().map_while(Result::ok);
        let line = lines.find(|line| line.contains("ecs-gateway started"));
        let _ = found.send(line);
        // Keep reading so the gateway never writes into a closed pipe.
        lines.for_each(drop);
    });

    let started = started
        .recv_timeout(Duration::from_secs(20))
        .expect("the gateway logs its start within 20 s")
        .expect("the gateway exited without logging its start");

    for name in ["listen", "admin"] {
        let addr: std::net::SocketAddr = field(&started, name)
            .unwrap_or_else(|| panic!("no {name}= in {started:?}"))
            .parse()
            .unwrap_or_else(|e| panic!("{name}= is not an address in {started:?}: {e}"));
        assert_ne!(addr.port(), 0, "{started}");
        tokio::net::TcpStream::connect(addr)
            .await
            .unwrap_or_else(|e| panic!("{name} {addr} does not accept: {e}"));
    }
    drop(gateway);
}
