//! ClusterRole aggregation seen through the real kubectl binaries: the aggregated role's rules
//! follow the roles its selectors match, and RBAC grants what they aggregate.

mod kubectl_support;

use kube_sim::Config;
use kubectl_support::{KUBECTLS, Kubectl, start_with};
use serde_json::{Value, json};

const ROLES: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.example.com/aggregate-to-monitoring: "true"}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring-configmaps
  labels: {rbac.example.com/aggregate-to-monitoring: "true"}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring-services
  labels: {rbac.example.com/aggregate-to-monitoring: "true"}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list]}
- {apiGroups: [""], resources: [services], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: carol-monitors}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: carol}
"#;

async fn rules(k: &Kubectl, role: &str) -> Value {
    let text = k
        .ok(&["get", "clusterrole", role, "-o", "json"], None)
        .await;
    let role: Value = serde_json::from_str(&text).expect("JSON ClusterRole");
    role["rules"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregated_cluster_roles_follow_their_selectors() {
    let configmaps = json!({"apiGroups": [""], "resources": ["configmaps"],
                            "verbs": ["get", "list"]});
    let services = json!({"apiGroups": [""], "resources": ["services"], "verbs": ["list"]});
    for bin in KUBECTLS {
        let mut config = Config {
            tls: true,
            bearer_token: Some("admin-token".into()),
            rbac: true,
            ..Config::default()
        };
        config.tokens.insert("carol-token".into(), "carol".into());
        let (_sim, k) = start_with(bin, config).await;
        k.ok(&["apply", "-f", "-"], Some(ROLES)).await;
        assert_eq!(
            rules(&k, "monitoring").await,
            json!([configmaps, services]),
            "{bin}: the union, each rule once"
        );
        let carol = "--token=carol-token";
        k.ok(&["get", "services", "-A", carol], None).await;

        let unlabel = "rbac.example.com/aggregate-to-monitoring-";
        k.ok(
            &["label", "clusterrole", "monitoring-services", unlabel],
            None,
        )
        .await;
        assert_eq!(rules(&k, "monitoring").await, json!([configmaps]), "{bin}");
        let err = k.fails(&["get", "services", "-A", carol], None).await;
        assert!(err.contains("(Forbidden)"), "{bin}: {err}");

        k.ok(&["delete", "clusterrole", "monitoring-configmaps"], None)
            .await;
        assert_eq!(rules(&k, "monitoring").await, json!([]), "{bin}");
        let err = k.fails(&["get", "configmaps", carol], None).await;
        assert!(err.contains("(Forbidden)"), "{bin}: {err}");
    }
}
