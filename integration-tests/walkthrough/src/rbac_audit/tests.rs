use serde_json::json;

use super::*;

const SA: &str = "system:serviceaccount:kube-system:ctrl";

/// A ClusterRole (list/watch PVCs, patch VSP status) and a leader-election Role (create
/// leases; get/patch the Lease `ctrl` only), both bound to `kube-system/ctrl`.
fn objects() -> Vec<Value> {
    let subject = json!([{"kind": "ServiceAccount", "name": "ctrl", "namespace": "kube-system"}]);
    vec![
        json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "ctrl", "namespace": "kube-system"}}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "ctrl"}, "rules": [
            {"apiGroups": [""], "resources": ["persistentvolumeclaims"],
             "verbs": ["list", "watch"]},
            {"apiGroups": ["storage.alibabacloud.com"],
             "resources": ["volumesnapshotpolicies/status"], "verbs": ["patch"]},
        ]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "ctrl"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                "name": "ctrl"},
            "subjects": subject}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "ctrl-le", "namespace": "kube-system"}, "rules": [
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
             "verbs": ["create"]},
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
             "resourceNames": ["ctrl"], "verbs": ["get", "patch"]},
        ]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "ctrl-le", "namespace": "kube-system"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                "name": "ctrl-le"},
            "subjects": [{"kind": "ServiceAccount", "name": "ctrl"}]}),
    ]
}

fn decision(verb: &str, group: &str, resource: &str, ns: &str, name: Option<&str>) -> Decision {
    let (resource, subresource) = match resource.split_once('/') {
        Some((r, s)) => (r.to_owned(), Some(s.to_owned())),
        None => (resource.to_owned(), None),
    };
    Decision {
        user: SA.to_owned(),
        verb: verb.to_owned(),
        api_group: group.to_owned(),
        resource,
        subresource,
        namespace: ns.to_owned(),
        name: name.map(str::to_owned),
        non_resource_url: None,
        allowed: true,
        count: 1,
    }
}

/// One allowed decision for every grant of [`objects`].
fn all_used() -> Vec<Decision> {
    vec![
        decision("list", "", "persistentvolumeclaims", "", None),
        decision("watch", "", "persistentvolumeclaims", "", None),
        decision(
            "patch",
            "storage.alibabacloud.com",
            "volumesnapshotpolicies/status",
            "",
            Some("p"),
        ),
        decision(
            "create",
            "coordination.k8s.io",
            "leases",
            "kube-system",
            None,
        ),
        decision(
            "get",
            "coordination.k8s.io",
            "leases",
            "kube-system",
            Some("ctrl"),
        ),
        decision(
            "patch",
            "coordination.k8s.io",
            "leases",
            "kube-system",
            Some("ctrl"),
        ),
    ]
}

fn allow(role: &str, verb: &str, group: &str, resource: &str) -> Unexercised {
    Unexercised {
        role: role.to_owned(),
        verb: verb.to_owned(),
        api_group: group.to_owned(),
        resource: resource.to_owned(),
        reason: "only on a failure path".to_owned(),
    }
}

#[test]
fn bindings_expand_to_one_grant_per_verb_and_resource() {
    let grants = grants(&objects());
    assert_eq!(grants.len(), 6);
    assert!(grants.iter().all(|g| g.user == SA));
    let lease_get = grants.iter().find(|g| g.verb == "get").unwrap();
    assert_eq!(lease_get.role, "Role/kube-system/ctrl-le");
    assert_eq!(lease_get.namespace.as_deref(), Some("kube-system"));
    assert_eq!(lease_get.resource_names, ["ctrl"]);
    let status = grants
        .iter()
        .find(|g| g.resource.ends_with("/status"))
        .unwrap();
    assert_eq!(status.role, "ClusterRole/ctrl");
    assert_eq!(status.namespace, None);
}

#[test]
fn a_fully_used_role_passes() {
    assert_eq!(audit(&objects(), &all_used(), &[]), Vec::<String>::new());
}

#[test]
fn an_unused_grant_is_named_with_its_role() {
    let mut used = all_used();
    used.retain(|d| d.verb != "watch");
    let findings = audit(&objects(), &used, &[]);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(findings[0].starts_with("ClusterRole/ctrl grants watch on \"persistentvolumeclaims\""));

    let listed = [allow(
        "ClusterRole/ctrl",
        "watch",
        "",
        "persistentvolumeclaims",
    )];
    assert!(audit(&objects(), &used, &listed).is_empty());
    assert!(listed_but_used(&objects(), &used, &listed).is_empty());
    let noted = listed_but_used(&objects(), &all_used(), &listed);
    assert_eq!(
        noted,
        ["ClusterRole/ctrl watch on \"persistentvolumeclaims\" in group \"\""]
    );
}

#[test]
fn use_counts_only_in_the_bindings_namespace_on_listed_names_by_the_same_account() {
    let mut used = all_used();
    used.retain(|d| d.resource != "leases" || d.verb == "create");
    used.push(decision(
        "get",
        "coordination.k8s.io",
        "leases",
        "kube-system",
        Some("other"),
    ));
    used.push(decision(
        "patch",
        "coordination.k8s.io",
        "leases",
        "default",
        Some("ctrl"),
    ));
    let mut stranger = decision(
        "get",
        "coordination.k8s.io",
        "leases",
        "kube-system",
        Some("ctrl"),
    );
    stranger.user = "system:serviceaccount:kube-system:other".to_owned();
    used.push(stranger);
    let mut refused = decision(
        "patch",
        "coordination.k8s.io",
        "leases",
        "kube-system",
        Some("ctrl"),
    );
    refused.allowed = false;
    used.push(refused);

    let findings = audit(&objects(), &used, &[]);
    let unused: Vec<_> = findings
        .iter()
        .filter(|f| f.contains("never used"))
        .collect();
    assert_eq!(unused.len(), 2, "{findings:?}");
    assert!(unused.iter().all(|f| f.contains("names [\"ctrl\"]")));
}

#[test]
fn refusals_of_the_charts_accounts_fail_and_others_do_not() {
    let mut used = all_used();
    let mut refused = decision("delete", "", "persistentvolumeclaims", "default", Some("c"));
    refused.allowed = false;
    refused.count = 3;
    used.push(refused.clone());
    refused.user = "kubectl-user".to_owned();
    used.push(refused);

    let findings = audit(&objects(), &used, &[]);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(
        findings[0],
        "system:serviceaccount:kube-system:ctrl was refused delete on \"persistentvolumeclaims\" \
         \"c\" in group \"\" in namespace \"default\" (3 times): the chart's RBAC lacks a rule \
         its code needs"
    );
}

#[test]
fn wildcards_and_stale_allow_list_entries_fail() {
    let mut objs = objects();
    objs[1]["rules"][0]["verbs"] = json!(["*"]);
    let stale = [allow("ClusterRole/ctrl", "delete", "", "secrets")];
    let findings = audit(&objs, &all_used(), &stale);
    assert!(
        findings.iter().any(|f| f.contains("wildcard")),
        "{findings:?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f.contains("which the chart does not grant")),
        "{findings:?}"
    );
}

#[test]
fn the_allow_list_in_the_repository_parses_and_every_entry_has_a_reason() {
    let entries = read_allow_list(&allow_list_path()).unwrap();
    assert!(entries.iter().all(|e| e.reason.len() > 20), "{entries:?}");
}
