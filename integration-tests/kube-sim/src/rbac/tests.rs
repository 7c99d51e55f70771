use serde_json::json;

use super::*;
use crate::resources::ResourceKey;
use crate::store::Store;

fn rbac(plural: &str) -> ResourceKey {
    ResourceKey {
        group: "rbac.authorization.k8s.io".into(),
        plural: plural.into(),
    }
}

fn user(name: &str, groups: &[&str]) -> User {
    let mut groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    groups.push("system:authenticated".into());
    User {
        name: name.into(),
        groups,
    }
}

fn res(verb: &str, resource: &str, ns: &str, name: Option<&str>) -> RequestAttributes {
    RequestAttributes::Resource(ResourceRequest {
        verb: verb.into(),
        group: "".into(),
        resource: resource.into(),
        subresource: None,
        namespace: ns.into(),
        name: name.map(Into::into),
    })
}

fn meta(name: &str, ns: &str) -> Value {
    if ns.is_empty() {
        json!({"name": name})
    } else {
        json!({"name": name, "namespace": ns})
    }
}

fn binding(ns: &str, role_kind: &str, role: &str, subject: Value) -> Value {
    json!({
        "metadata": meta(&format!("{role}-binding"), ns),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": [subject],
    })
}

/// `reader` reads configmaps (ClusterRole), `secret-writer` writes secrets in `team`.
fn seeded() -> Store {
    let store = Store::new(100);
    {
        let mut state = store.lock();
        let read = json!({"verbs": ["get", "list", "watch"], "apiGroups": [""],
            "resources": ["configmaps"]});
        let write = json!({"verbs": ["create", "delete"], "apiGroups": [""],
            "resources": ["secrets"]});
        let cluster_role = json!({"metadata": meta("reader", ""), "rules": [read]});
        state.insert(&rbac("clusterroles"), cluster_role);
        let role = json!({"metadata": meta("secret-writer", "team"), "rules": [write]});
        state.insert(&rbac("roles"), role);
        let sa = json!({"kind": "ServiceAccount", "name": "ctrl", "namespace": "ops"});
        let crb = binding("", "ClusterRole", "reader", sa);
        state.insert(&rbac("clusterrolebindings"), crb);
        let group = json!({"kind": "Group", "name": "devs"});
        let rb = binding("team", "Role", "secret-writer", group);
        state.insert(&rbac("rolebindings"), rb);
        let alice = json!({"kind": "User", "name": "alice"});
        let rb = binding("team", "ClusterRole", "reader", alice);
        state.insert(&rbac("rolebindings"), rb);
    }
    store
}

#[test]
fn cluster_role_bindings_grant_everywhere_to_service_accounts() {
    let store = seeded();
    let state = store.lock();
    let sa = user(
        "system:serviceaccount:ops:ctrl",
        &["system:serviceaccounts"],
    );
    assert!(allowed(&state, &sa, &res("list", "configmaps", "", None)));
    assert!(allowed(
        &state,
        &sa,
        &res("get", "configmaps", "x", Some("c"))
    ));
    assert!(!allowed(
        &state,
        &sa,
        &res("delete", "configmaps", "x", Some("c"))
    ));
    let other = user("system:serviceaccount:other:ctrl", &[]);
    assert!(!allowed(
        &state,
        &other,
        &res("list", "configmaps", "", None)
    ));
}

#[test]
fn role_bindings_only_grant_in_their_namespace() {
    let store = seeded();
    let state = store.lock();
    let dev = user("bob", &["devs"]);
    assert!(allowed(
        &state,
        &dev,
        &res("create", "secrets", "team", None)
    ));
    assert!(!allowed(
        &state,
        &dev,
        &res("create", "secrets", "other", None)
    ));
    assert!(!allowed(&state, &dev, &res("create", "secrets", "", None)));
    let alice = user("alice", &[]);
    assert!(allowed(
        &state,
        &alice,
        &res("get", "configmaps", "team", Some("c"))
    ));
    assert!(!allowed(
        &state,
        &alice,
        &res("get", "configmaps", "other", Some("c"))
    ));
    assert!(!allowed(
        &state,
        &alice,
        &res("list", "configmaps", "", None)
    ));
}

#[test]
fn masters_and_discovery_are_allowed() {
    let store = seeded();
    let state = store.lock();
    let admin = User {
        name: "root".into(),
        groups: vec!["system:masters".into()],
    };
    assert!(allowed(
        &state,
        &admin,
        &res("delete", "nodes", "", Some("n"))
    ));
    let nobody = user("nobody", &[]);
    let path = |p: &str| {
        RequestAttributes::NonResource(NonResourceRequest {
            verb: "get".into(),
            path: p.into(),
        })
    };
    assert!(allowed(&state, &nobody, &path("/apis/apps/v1")));
    assert!(allowed(&state, &nobody, &path("/openapi/v3")));
    assert!(!allowed(&state, &nobody, &path("/metrics")));
}

#[test]
fn refusals_carry_the_real_message_and_details() {
    let store = seeded();
    let state = store.lock();
    let bob = user("bob", &[]);
    let log = DecisionLog::default();
    let err = authorize(&state, &log, &bob, &res("get", "pods", "team", Some("p"))).unwrap_err();
    let status = err.to_status();
    assert_eq!(status["code"], 403);
    assert_eq!(status["reason"], "Forbidden");
    assert_eq!(
        status["message"],
        "pods \"p\" is forbidden: User \"bob\" cannot get resource \"pods\" in API group \"\" \
         in the namespace \"team\""
    );
    assert_eq!(
        status["details"],
        json!({"group": "", "kind": "pods", "name": "p"})
    );
    let err = authorize(&state, &log, &bob, &res("list", "nodes", "", None)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "nodes is forbidden: User \"bob\" cannot list resource \"nodes\" in API group \"\" at \
         the cluster scope"
    );
}

#[test]
fn self_subject_access_reviews_answer_for_the_requester() {
    let store = seeded();
    let state = store.lock();
    let alice = user("alice", &[]);
    let ask = |verb: &str, ns: &str| {
        json!({"spec": {"resourceAttributes": {"verb": verb, "resource": "configmaps",
            "namespace": ns}}})
    };
    let yes = self_subject_access_review(&state, &alice, ask("list", "team")).unwrap();
    assert_eq!(yes["status"]["allowed"], true);
    let no = self_subject_access_review(&state, &alice, ask("delete", "team")).unwrap();
    assert_eq!(no["status"]["allowed"], false);
    assert!(self_subject_access_review(&state, &alice, json!({"spec": {}})).is_err());
}

#[test]
fn every_decision_is_recorded_for_its_user() {
    let store = seeded();
    let state = store.lock();
    let log = DecisionLog::default();
    let alice = user("alice", &[]);
    let read = res("get", "configmaps", "team", Some("c"));
    assert!(authorize(&state, &log, &alice, &read).is_ok());
    assert!(authorize(&state, &log, &alice, &read).is_ok());
    let delete = res("delete", "configmaps", "team", Some("c"));
    assert!(authorize(&state, &log, &alice, &delete).is_err());

    let list = log.list();
    assert_eq!(list.len(), 2);
    let outcome = |verb: &str| list.iter().find(|d| d.verb == verb).unwrap();
    assert!(outcome("get").allowed);
    assert_eq!(outcome("get").count, 2);
    assert_eq!(outcome("get").namespace, "team");
    assert_eq!(outcome("get").name.as_deref(), Some("c"));
    assert!(!outcome("delete").allowed);
    assert!(list.iter().all(|d| d.user == "alice"));
}
