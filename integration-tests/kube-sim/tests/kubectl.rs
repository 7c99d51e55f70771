//! The real kubectl binaries against the simulator: client-side and server-side apply,
//! `get` tables and YAML, every patch type, finalizers, `wait`, `get -w`, `v1 List`, and the
//! upstream snapshot CRDs with valid and invalid VolumeSnapshots.

mod kubectl_support;

use std::time::Duration;

use kube_sim::Config;
use kubectl_support::{KUBECTLS, start, start_with};

const APPS: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, labels: {app: demo}}
data: {mode: fast}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: app, image: "nginx:1", env: [{name: A, value: "1"}]}
      - {name: side, image: "busybox:1"}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_get_and_patch_built_ins() {
    for bin in KUBECTLS {
        let (_sim, k) = start(bin).await;
        let out = k.ok(&["apply", "-f", "-"], Some(APPS)).await;
        assert!(out.contains("configmap/settings created"), "{bin}: {out}");
        let out = k.ok(&["apply", "-f", "-"], Some(APPS)).await;
        assert!(out.contains("configmap/settings unchanged"), "{bin}: {out}");

        let changed = APPS
            .replace("nginx:1", "nginx:2")
            .replace("mode: fast", "mode: slow");
        let out = k.ok(&["apply", "-f", "-"], Some(&changed)).await;
        assert!(
            out.contains("deployment.apps/web configured"),
            "{bin}: {out}"
        );
        let containers = k
            .ok(
                &[
                    "get",
                    "deploy",
                    "web",
                    "-o",
                    "jsonpath={.spec.template.spec.containers[*].image}",
                ],
                None,
            )
            .await;
        assert_eq!(containers, "nginx:2 busybox:1", "{bin}");
        let generation = k
            .ok(
                &[
                    "get",
                    "deploy",
                    "web",
                    "-o",
                    "jsonpath={.metadata.generation}",
                ],
                None,
            )
            .await;
        assert_eq!(generation, "2", "{bin}");

        let table = k.ok(&["get", "configmaps"], None).await;
        assert!(
            table.starts_with("NAME") && table.contains("DATA") && table.contains("settings"),
            "{bin}: {table}"
        );
        let yaml = k
            .ok(&["get", "configmap", "settings", "-o", "yaml"], None)
            .await;
        assert!(
            yaml.contains("mode: slow") && yaml.contains("resourceVersion:"),
            "{bin}: {yaml}"
        );

        let side = r#"{"name":"side","image":"busybox:2"}"#;
        let strategic =
            format!(r#"{{"spec":{{"template":{{"spec":{{"containers":[{side}]}}}}}}}}"#);
        k.ok(&["patch", "deploy", "web", "-p", &strategic], None)
            .await;
        k.ok(
            &[
                "patch",
                "configmap",
                "settings",
                "--type=merge",
                "-p",
                r#"{"data":{"extra":"x"}}"#,
            ],
            None,
        )
        .await;
        k.ok(
            &[
                "patch",
                "configmap",
                "settings",
                "--type=json",
                "-p",
                r#"[{"op":"remove","path":"/data/mode"}]"#,
            ],
            None,
        )
        .await;
        let images = k
            .ok(
                &[
                    "get",
                    "deploy",
                    "web",
                    "-o",
                    "jsonpath={.spec.template.spec.containers[*].image}",
                ],
                None,
            )
            .await;
        assert_eq!(
            images, "nginx:2 busybox:2",
            "{bin}: strategic merge keeps the other container"
        );
        let data = k
            .ok(
                &["get", "configmap", "settings", "-o", "jsonpath={.data}"],
                None,
            )
            .await;
        assert_eq!(data, r#"{"extra":"x"}"#, "{bin}");

        let missing = k.fails(&["get", "configmap", "nope"], None).await;
        assert!(
            missing.contains("NotFound") && missing.contains("\"nope\" not found"),
            "{bin}: {missing}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_and_lists() {
    for bin in KUBECTLS {
        let (_sim, k) = start(bin).await;
        let out = k
            .ok(
                &["apply", "--server-side", "--field-manager=demo", "-f", "-"],
                Some(APPS),
            )
            .await;
        assert!(out.contains("serverside-applied"), "{bin}: {out}");
        let rv1 = k
            .ok(
                &[
                    "get",
                    "cm",
                    "settings",
                    "-o",
                    "jsonpath={.metadata.resourceVersion}",
                ],
                None,
            )
            .await;
        k.ok(
            &["apply", "--server-side", "--field-manager=demo", "-f", "-"],
            Some(APPS),
        )
        .await;
        let rv2 = k
            .ok(
                &[
                    "get",
                    "cm",
                    "settings",
                    "-o",
                    "jsonpath={.metadata.resourceVersion}",
                ],
                None,
            )
            .await;
        assert_eq!(rv1, rv2, "{bin}: applying the same object twice is a no-op");

        let other = APPS.replace("replicas: 1", "replicas: 5");
        let conflict = k
            .fails(
                &["apply", "--server-side", "--field-manager=other", "-f", "-"],
                Some(&other),
            )
            .await;
        assert!(
            conflict.contains("conflict") && conflict.contains(".spec.replicas"),
            "{bin}: {conflict}"
        );
        let forced = [
            "apply",
            "--server-side",
            "--field-manager=other",
            "--force-conflicts",
            "-f",
            "-",
        ];
        k.ok(&forced, Some(&other)).await;
        let replicas = k
            .ok(
                &["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"],
                None,
            )
            .await;
        assert_eq!(replicas, "5", "{bin}");
        let all = k.ok(&["get", "all"], None).await;
        assert!(all.contains("deployment.apps/web"), "{bin}: {all}");

        let list = r#"
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: l1}, data: {a: "1"}}
- {apiVersion: v1, kind: Secret, metadata: {name: s1}, stringData: {p: q}}
"#;
        let out = k.ok(&["apply", "-f", "-"], Some(list)).await;
        assert!(
            out.contains("configmap/l1 created") && out.contains("secret/s1 created"),
            "{bin}: {out}"
        );
        let secret = k
            .ok(
                &["get", "secret", "s1", "-o", "jsonpath={.data.p} {.type}"],
                None,
            )
            .await;
        assert_eq!(secret, "cQ== Opaque", "{bin}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalizers_wait_and_watch() {
    for bin in KUBECTLS {
        let (_sim, k) = start(bin).await;
        let held = "apiVersion: v1\nkind: ConfigMap\n\
                    metadata: {name: held, finalizers: [example.com/hold]}\n";
        k.ok(&["apply", "-f", "-"], Some(held)).await;
        k.ok(&["delete", "configmap", "held", "--wait=false"], None)
            .await;
        let stamp = k
            .ok(
                &[
                    "get",
                    "cm",
                    "held",
                    "-o",
                    "jsonpath={.metadata.deletionTimestamp}",
                ],
                None,
            )
            .await;
        assert!(!stamp.is_empty(), "{bin}: deletionTimestamp is set");

        let waiter = k.run(
            &["wait", "--for=delete", "configmap/held", "--timeout=20s"],
            None,
        );
        let remover = async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            k.ok(
                &[
                    "patch",
                    "cm",
                    "held",
                    "--type=merge",
                    "-p",
                    r#"{"metadata":{"finalizers":null}}"#,
                ],
                None,
            )
            .await
        };
        let (waited, _) = tokio::join!(waiter, remover);
        assert!(
            waited.status.success(),
            "{bin}: wait --for=delete: {}",
            String::from_utf8_lossy(&waited.stderr)
        );

        let namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: scratch}\n";
        k.ok(&["apply", "-f", "-"], Some(namespace)).await;
        let in_ns = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: scratch}\n";
        k.ok(&["apply", "-f", "-"], Some(in_ns)).await;
        k.ok(&["delete", "namespace", "scratch", "--timeout=20s"], None)
            .await;
        k.fails(&["get", "namespace", "scratch"], None).await;

        let watcher = k.run(
            &[
                "get",
                "configmaps",
                "--watch",
                "--output-watch-events",
                "--request-timeout=3s",
            ],
            None,
        );
        let writer = async {
            tokio::time::sleep(Duration::from_millis(800)).await;
            k.ok(
                &["apply", "-f", "-"],
                Some("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: seen}\n"),
            )
            .await
        };
        let (watched, _) = tokio::join!(watcher, writer);
        let events = String::from_utf8_lossy(&watched.stdout);
        assert!(
            events
                .lines()
                .any(|l| l.starts_with("ADDED") && l.contains("seen")),
            "{bin}: {events}"
        );
    }
}

const CRD_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/crds");

fn snapshot(name: &str, source: &str) -> String {
    format!(
        "apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata: {{name: {name}}}\n\
         spec:\n  volumeSnapshotClassName: csi\n  source: {source}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_crds_validate_volume_snapshots() {
    for bin in KUBECTLS {
        let (_sim, k) = start(bin).await;
        k.ok(&["apply", "-f", CRD_DIR], None).await;
        let crd = "crd/volumesnapshots.snapshot.storage.k8s.io";
        k.ok(
            &["wait", "--for=condition=established", crd, "--timeout=10s"],
            None,
        )
        .await;

        k.ok(
            &["apply", "-f", "-"],
            Some(&snapshot("good", "{persistentVolumeClaimName: data}")),
        )
        .await;
        let table = k.ok(&["get", "volumesnapshots"], None).await;
        assert!(
            table.contains("SOURCEPVC") && table.contains("good"),
            "{bin}: {table}"
        );

        let both = snapshot(
            "both",
            "{persistentVolumeClaimName: data, volumeSnapshotContentName: c}",
        );
        let err = k.fails(&["apply", "-f", "-"], Some(&both)).await;
        assert!(
            err.contains("is invalid: spec.source") && err.contains("exactly one of"),
            "{bin}: {err}"
        );

        let unknown = snapshot("unknown", "{persistentVolumeClaimName: data, bogus: 1}");
        let err = k.fails(&["apply", "-f", "-"], Some(&unknown)).await;
        assert!(
            err.contains("unknown field \"spec.source.bogus\""),
            "{bin}: {err}"
        );

        let patch = r#"{"spec":{"source":{"persistentVolumeClaimName":"other"}}}"#;
        let err = k
            .fails(
                &[
                    "patch",
                    "volumesnapshot",
                    "good",
                    "--type=merge",
                    "-p",
                    patch,
                ],
                None,
            )
            .await;
        assert!(err.contains("immutable"), "{bin}: {err}");

        let status = r#"{"status":{"readyToUse":true}}"#;
        k.ok(
            &[
                "patch",
                "volumesnapshot",
                "good",
                "--subresource=status",
                "--type=merge",
                "-p",
                status,
            ],
            None,
        )
        .await;
        let ready = k
            .ok(
                &["get", "vs", "good", "-o", "jsonpath={.status.readyToUse}"],
                None,
            )
            .await;
        assert_eq!(ready, "true", "{bin}");
        k.ok(
            &[
                "wait",
                "--for=jsonpath={.status.readyToUse}=true",
                "vs/good",
                "--timeout=10s",
            ],
            None,
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_a_bearer_token() {
    for bin in KUBECTLS {
        let config = Config {
            tls: true,
            bearer_token: Some("t0ken".into()),
            ..Config::default()
        };
        let (_sim, k) = start_with(bin, config).await;
        let out = k.ok(&["get", "namespaces"], None).await;
        assert!(out.contains("kube-system"), "{bin}: {out}");
        let err = k.fails(&["get", "namespaces", "--token=wrong"], None).await;
        assert!(err.contains("Unauthorized"), "{bin}: {err}");
    }
}

const ALICE_READS_TEAM: &str = "\
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cm-reader}
rules: [{apiGroups: [''], resources: [configmaps], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-reads, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cm-reader}
subjects: [{kind: User, name: alice}]
";

/// `kubectl auth can-i` sends a protobuf SelfSubjectAccessReview (415 here), so kubectl
/// checks RBAC through the requests and the Forbidden errors it prints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_refusals_reach_kubectl() {
    for bin in KUBECTLS {
        let mut config = Config {
            tls: true,
            bearer_token: Some("t0ken".into()),
            rbac: true,
            ..Config::default()
        };
        config.tokens.insert("alice-token".into(), "alice".into());
        let (_sim, k) = start_with(bin, config).await;
        k.ok(&["apply", "-f", "-"], Some(ALICE_READS_TEAM)).await;

        let alice = "--token=alice-token";
        k.ok(&["get", "configmaps", "-n", "team", alice], None)
            .await;
        let err = k
            .fails(&["get", "configmaps", "-n", "default", alice], None)
            .await;
        let expected = "Error from server (Forbidden): configmaps is forbidden: User \"alice\" \
                        cannot list resource \"configmaps\" in API group \"\" in the namespace \
                        \"default\"";
        assert!(err.contains(expected), "{bin}: {err}");
        let err = k
            .fails(&["delete", "configmap", "x", "-n", "team", alice], None)
            .await;
        assert!(err.contains("(Forbidden)"), "{bin}: {err}");
    }
}
