//! The CRD shipped in the Helm chart must be exactly what the Rust types generate.

use snapshot_k8s::crd::{CHART_CRD_PATH, volume_snapshot_policy_crd_yaml};

#[test]
fn chart_crd_matches_the_types() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(CHART_CRD_PATH);
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is missing ({e}); run snapshot-crdgen", path.display()));
    let generated = volume_snapshot_policy_crd_yaml().unwrap();
    assert!(
        committed == generated,
        "{} drifted from the Rust types: run `cargo run -p snapshot-k8s --bin snapshot-crdgen` \
         and commit the result",
        path.display()
    );
}
