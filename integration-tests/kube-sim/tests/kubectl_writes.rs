//! The real kubectl binaries and what the server records about writes: `kubectl diff` after
//! a server-side apply, and the managedFields entries of apply, update and patch.

mod kubectl_support;

use kubectl_support::{KUBECTLS, start};

const SETTINGS: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, labels: {app: demo}}
data: {mode: fast}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_after_server_side_apply_shows_nothing() {
    for bin in KUBECTLS {
        let (_sim, k) = start(bin).await;
        let apply = ["apply", "--server-side", "--field-manager=demo", "-f", "-"];
        k.ok(&apply, Some(SETTINGS)).await;

        let client_side = k.run(&["diff", "-f", "-"], Some(SETTINGS)).await;
        let shown = String::from_utf8_lossy(&client_side.stdout);
        let err = String::from_utf8_lossy(&client_side.stderr);
        assert_eq!(client_side.status.code(), Some(0), "{bin}: {shown}{err}");
        let server_side = ["diff", "--server-side", "--field-manager=demo", "-f", "-"];
        assert_eq!(k.ok(&server_side, Some(SETTINGS)).await, "", "{bin}");

        let changed = SETTINGS.replace("fast", "slow");
        let diff = k.run(&["diff", "-f", "-"], Some(&changed)).await;
        let shown = String::from_utf8_lossy(&diff.stdout);
        assert_eq!(diff.status.code(), Some(1), "{bin}: {shown}");
        assert!(shown.contains("+  mode: slow"), "{bin}: {shown}");
        assert!(!shown.contains("annotations"), "{bin}: {shown}");
    }
}
