//! kubectl's typed-client commands, which send protobuf bodies from kubectl 1.32 on (JSON
//! before): `create configmap|secret|namespace|serviceaccount|clusterrole|rolebinding|token`
//! and `auth can-i`.

mod kubectl_support;

use kube_sim::Config;
use kubectl_support::{KUBECTLS, start_with};

const ALICE_READS_TEAM: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: read-configmaps, namespace: team}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-reads, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-configmaps}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_client_commands_create_and_ask() {
    for bin in KUBECTLS {
        let mut config = Config {
            tls: true,
            bearer_token: Some("admin-token".into()),
            rbac: true,
            ..Config::default()
        };
        config.tokens.insert("alice-token".into(), "alice".into());
        let (_sim, k) = start_with(bin, config).await;

        k.ok(&["create", "namespace", "team", "--dry-run=server"], None)
            .await;
        k.ok(&["create", "namespace", "team"], None).await;
        let cm = [
            "create",
            "configmap",
            "settings",
            "-n",
            "team",
            "--from-literal=mode=fast",
        ];
        k.ok(&cm, None).await;
        let secret = ["create", "secret", "generic", "creds", "-n", "team"];
        k.ok(
            &[&secret[..], &["--from-literal=password=s3cret"]].concat(),
            None,
        )
        .await;
        k.ok(&["create", "serviceaccount", "robot", "-n", "team"], None)
            .await;

        let read = |kind: &'static str, name: &'static str, path: &'static str| {
            let k = &k;
            async move {
                let jsonpath = format!("jsonpath={path}");
                k.ok(&["get", kind, name, "-n", "team", "-o", &jsonpath], None)
                    .await
            }
        };
        assert_eq!(
            read("configmap", "settings", "{.data.mode}").await,
            "fast",
            "{bin}"
        );
        let secret = read("secret", "creds", "{.data.password} {.type}").await;
        assert_eq!(secret, "czNjcmV0 Opaque", "{bin}");
        assert_eq!(
            read("serviceaccount", "robot", "{.kind}").await,
            "ServiceAccount"
        );
        let phase = k.ok(
            &["get", "ns", "team", "-o", "jsonpath={.status.phase}"],
            None,
        );
        assert_eq!(phase.await, "Active", "{bin}");

        k.ok(&["apply", "-f", "-"], Some(ALICE_READS_TEAM)).await;
        let alice = "--token=alice-token";
        let may = ["auth", "can-i", "list", "configmaps", "-n", "team", alice];
        assert_eq!(k.ok(&may, None).await.trim(), "yes", "{bin}");
        let may_not = ["auth", "can-i", "delete", "configmaps", "-n", "team", alice];
        let refused = k.run(&may_not, None).await;
        let answer = String::from_utf8_lossy(&refused.stdout);
        assert_eq!(answer.trim(), "no", "{bin}");
        assert_eq!(refused.status.code(), Some(1), "{bin}");

        let role = [
            "create",
            "clusterrole",
            "reader",
            "--verb=get,list",
            "--resource=secrets",
        ];
        k.ok(&role, None).await;
        let aggregate = [
            "create",
            "clusterrole",
            "all-readers",
            "--aggregation-rule=reads=yes",
        ];
        k.ok(&aggregate, None).await;
        k.ok(&["label", "clusterrole", "reader", "reads=yes"], None)
            .await;
        let rules = [
            "get",
            "clusterrole",
            "all-readers",
            "-o",
            "jsonpath={.rules[0].resources}",
        ];
        assert_eq!(k.ok(&rules, None).await, r#"["secrets"]"#, "{bin}");
        let bind = ["create", "rolebinding", "robot-reads", "-n", "team"];
        let to = ["--clusterrole=all-readers", "--serviceaccount=team:robot"];
        k.ok(&[&bind[..], &to[..]].concat(), None).await;
        let token = k
            .ok(&["create", "token", "robot", "-n", "team"], None)
            .await;
        let as_robot = format!("--token={}", token.trim());
        let robot_reads = [
            "get", "secret", "creds", "-n", "team", "-o", "name", &as_robot,
        ];
        assert_eq!(
            k.ok(&robot_reads, None).await.trim(),
            "secret/creds",
            "{bin}"
        );
        let robot_lists = ["get", "configmaps", "-n", "team", &as_robot];
        assert!(
            k.fails(&robot_lists, None).await.contains("(Forbidden)"),
            "{bin}"
        );

        let deploy = [
            "create",
            "deployment",
            "web",
            "-n",
            "team",
            "--image=nginx:1",
        ];
        let out = k.run(&deploy, None).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() || err.contains("apps/v1 Deployment"),
            "{bin}: an undecodable kind names itself: {err}"
        );
    }
}
