//! Which rules apply to a user in a namespace: ClusterRoleBindings everywhere, RoleBindings
//! of the request's namespace (referring to a Role of that namespace or to a ClusterRole).

use serde_json::Value;

use crate::auth::User;
use crate::resources::ResourceKey;
use crate::store::State;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

fn key(plural: &str) -> ResourceKey {
    ResourceKey {
        group: RBAC_GROUP.into(),
        plural: plural.into(),
    }
}

/// Every rule granted to `user` by bindings that apply in `namespace` (empty: cluster scope
/// only). Bindings that name a missing role grant nothing, as in kube-apiserver.
pub fn rules_for(state: &State, user: &User, namespace: &str) -> Vec<Value> {
    let mut rules = Vec::new();
    for binding in objects(state, "clusterrolebindings") {
        if binds(binding, user, "") {
            rules.extend(role_rules(state, binding, ""));
        }
    }
    if namespace.is_empty() {
        return rules;
    }
    for binding in objects(state, "rolebindings") {
        let in_namespace = binding
            .pointer("/metadata/namespace")
            .and_then(Value::as_str);
        if in_namespace == Some(namespace) && binds(binding, user, namespace) {
            rules.extend(role_rules(state, binding, namespace));
        }
    }
    rules
}

fn objects<'a>(state: &'a State, plural: &str) -> impl Iterator<Item = &'a Value> {
    state
        .collection(&key(plural))
        .into_iter()
        .flat_map(|c| c.values())
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// Whether one of the binding's subjects is the user, one of its groups, or its
/// ServiceAccount (a subject without a namespace takes the binding's).
fn binds(binding: &Value, user: &User, binding_namespace: &str) -> bool {
    let Some(subjects) = binding.get("subjects").and_then(Value::as_array) else {
        return false;
    };
    subjects.iter().any(|s| {
        let name = text(s, "/name");
        match text(s, "/kind") {
            "User" => name == user.name,
            "Group" => user.groups.iter().any(|g| g == name),
            "ServiceAccount" => {
                let ns = match text(s, "/namespace") {
                    "" => binding_namespace,
                    ns => ns,
                };
                user.name == format!("system:serviceaccount:{ns}:{name}")
            }
            _ => false,
        }
    })
}

/// The rules of the role a binding refers to; a RoleBinding's `Role` lives in its namespace.
fn role_rules(state: &State, binding: &Value, namespace: &str) -> Vec<Value> {
    let name = text(binding, "/roleRef/name");
    let role = match text(binding, "/roleRef/kind") {
        "ClusterRole" => state.get(&key("clusterroles"), "", name),
        "Role" if !namespace.is_empty() => state.get(&key("roles"), namespace, name),
        _ => None,
    };
    role.and_then(|r| r.get("rules"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}
