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

/// `(manager, operation, subresource)` of each managedFields entry, and its fields.
fn entries(object: &str) -> Vec<(String, String, String, serde_json::Value)> {
    let value: serde_json::Value = serde_json::from_str(object).expect("JSON object");
    let list = value["metadata"]["managedFields"].as_array().cloned();
    let text = |e: &serde_json::Value, k: &str| e[k].as_str().unwrap_or_default().to_string();
    list.unwrap_or_default()
        .iter()
        .map(|e| {
            let fields = e["fieldsV1"].clone();
            (
                text(e, "manager"),
                text(e, "operation"),
                text(e, "subresource"),
                fields,
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_update_and_patch_is_recorded_in_managed_fields() {
    for bin in KUBECTLS {
        let (_sim, k) = start(bin).await;
        k.ok(&["create", "-f", "-"], Some(SETTINGS)).await;
        k.ok(&["label", "cm", "settings", "tier=web"], None).await;
        let merge = ["patch", "cm", "settings", "--type=merge", "-p"];
        k.ok(
            &[&merge[..], &[r#"{"data":{"mode":"slow"}}"#]].concat(),
            None,
        )
        .await;
        k.ok(&[&merge[..], &[r#"{"data":{"extra":"1"}}"#]].concat(), None)
            .await;

        let get = [
            "get",
            "cm",
            "settings",
            "-o",
            "json",
            "--show-managed-fields",
        ];
        let found = entries(&k.ok(&get, None).await);
        let find = |manager: &str| {
            let entry = found.iter().find(|e| e.0 == manager);
            entry.unwrap_or_else(|| panic!("{bin}: no {manager} entry in {found:?}"))
        };
        let created = find("kubectl-create");
        assert_eq!(created.1, "Update", "{bin}");
        assert_eq!(
            created.3,
            serde_json::json!({"f:metadata": {"f:labels": {"f:app": {}}}}),
            "{bin}: the patch took data.mode from the creator"
        );
        let label = find("kubectl-label");
        assert_eq!(
            label.3,
            serde_json::json!({"f:metadata": {"f:labels": {"f:tier": {}}}}),
            "{bin}"
        );
        let patch = find("kubectl-patch");
        assert_eq!(
            (patch.1.as_str(), patch.2.as_str()),
            ("Update", ""),
            "{bin}"
        );
        assert_eq!(
            patch.3,
            serde_json::json!({"f:data": {"f:extra": {}, "f:mode": {}}}),
            "{bin}: both patches merged into one entry"
        );
        assert_eq!(found.len(), 3, "{bin}: {found:?}");
    }
}
