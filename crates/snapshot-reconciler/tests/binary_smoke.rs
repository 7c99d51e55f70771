//! Smoke test of the `snapshot-reconciler` binary as the Helm chart runs it, against kube-sim:
//! the admin port answers /healthz and /readyz while it leads, and SIGTERM stops it cleanly
//! within the drain timeout. The harness is shared by the three controllers
//! (`controller-support/tests/support`).

#[path = "../../controller-support/tests/support/mod.rs"]
mod support;

#[tokio::test]
async fn serves_probes_while_leading_and_stops_cleanly_on_sigterm() {
    support::binary::smoke(
        env!("CARGO_BIN_EXE_snapshot-reconciler"),
        "snapshot-reconciler",
    )
    .await;
}
