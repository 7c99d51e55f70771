//! ClusterRole aggregation, the job of kube-controller-manager's
//! clusterrole-aggregation-controller: a ClusterRole with an `aggregationRule` gets as `rules`
//! the rules of every other ClusterRole its `clusterRoleSelectors` match (selectors in order,
//! matched roles by name, exact duplicates once), written by server-side apply as the
//! `clusterrole-aggregation-controller` field manager. It runs after every ClusterRole write
//! or removal, synchronously rather than a moment later.
//!
//! It only rewrites stored ClusterRoles' `rules`; the RBAC authorizer (`rbac/`) reads them
//! like any other rules and knows nothing of aggregation.

use serde_json::{Value, json};

use crate::fieldmanager::{self, Writer};
use crate::meta;
use crate::resources::{ResourceDescriptor, ResourceKey};
use crate::selectors::LabelSelector;
use crate::store::State;

const GROUP: &str = "rbac.authorization.k8s.io";
const PLURAL: &str = "clusterroles";
const MANAGER: &str = "clusterrole-aggregation-controller";

pub fn is_cluster_roles(desc: &ResourceDescriptor) -> bool {
    desc.group == GROUP && desc.plural == PLURAL
}

/// Brings every aggregated ClusterRole up to date. Aggregated roles may select each other,
/// so it repeats until nothing changes, at most once per aggregated role plus one.
pub fn reconcile(state: &mut State) {
    let key = ResourceKey {
        group: GROUP.into(),
        plural: PLURAL.into(),
    };
    let Some(desc) = state.registry.storage(&key).cloned() else {
        return;
    };
    let rounds = roles(state, &key)
        .iter()
        .filter(|r| is_aggregated(r))
        .count()
        + 1;
    for _ in 0..rounds {
        let stale = stale_roles(&roles(state, &key));
        if stale.is_empty() {
            return;
        }
        for (role, rules) in stale {
            write_rules(state, &desc, &key, &role, rules);
        }
    }
    tracing::warn!("aggregated ClusterRoles select each other and did not settle");
}

fn roles(state: &State, key: &ResourceKey) -> Vec<Value> {
    let collection = state.collection(key);
    collection
        .into_iter()
        .flat_map(|c| c.values())
        .cloned()
        .collect()
}

fn is_aggregated(role: &Value) -> bool {
    role.get("aggregationRule").is_some_and(Value::is_object)
}

/// Each aggregated role whose stored rules differ from the union, with that union.
fn stale_roles(roles: &[Value]) -> Vec<(Value, Vec<Value>)> {
    let mut stale = Vec::new();
    for role in roles.iter().filter(|r| is_aggregated(r)) {
        let Some(wanted) = aggregated_rules(roles, role) else {
            continue;
        };
        let current = role["rules"].as_array().cloned().unwrap_or_default();
        if current != wanted {
            stale.push((role.clone(), wanted));
        }
    }
    stale
}

/// The union of the matched roles' rules, or None when a selector is malformed (the
/// controller then leaves the role as it is and reports the error).
fn aggregated_rules(roles: &[Value], role: &Value) -> Option<Vec<Value>> {
    let selectors = role.pointer("/aggregationRule/clusterRoleSelectors");
    let mut rules: Vec<Value> = Vec::new();
    for selector in selectors.and_then(Value::as_array).into_iter().flatten() {
        let selector = match label_selector(selector) {
            Ok(parsed) => parsed,
            Err(problem) => {
                let name = meta::name(role);
                tracing::warn!(clusterrole = name, %problem, "aggregationRule skipped");
                return None;
            }
        };
        let mut matched: Vec<&Value> = roles
            .iter()
            .filter(|r| meta::name(r) != meta::name(role) && selector.matches(r))
            .collect();
        matched.sort_by_key(|r| meta::name(r));
        for rule in matched.iter().flat_map(|r| r["rules"].as_array()).flatten() {
            if !rules.contains(rule) {
                rules.push(rule.clone());
            }
        }
    }
    Some(rules)
}

/// A structured `metav1.LabelSelector` (`matchLabels`, `matchExpressions`) as the selector
/// the list API parses, so both match the same way.
fn label_selector(selector: &Value) -> Result<LabelSelector, String> {
    let mut terms = Vec::new();
    let labels = selector["matchLabels"].as_object().into_iter().flatten();
    for (key, value) in labels {
        let value = value
            .as_str()
            .ok_or(format!("matchLabels.{key} is not a string"))?;
        terms.push(format!("{key}={value}"));
    }
    let expressions = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten();
    for expression in expressions {
        terms.push(expression_term(expression)?);
    }
    LabelSelector::parse(&terms.join(",")).map_err(|e| e.to_string())
}

fn expression_term(expression: &Value) -> Result<String, String> {
    let key = expression["key"].as_str().unwrap_or_default();
    let values: Vec<&str> = expression["values"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let set = format!("({})", values.join(","));
    match expression["operator"].as_str() {
        Some("In") if !values.is_empty() => Ok(format!("{key} in {set}")),
        Some("NotIn") if !values.is_empty() => Ok(format!("{key} notin {set}")),
        Some("Exists") if values.is_empty() => Ok(key.to_string()),
        Some("DoesNotExist") if values.is_empty() => Ok(format!("!{key}")),
        other => Err(format!(
            "matchExpressions operator {other:?} on {key:?} with values {values:?} is invalid"
        )),
    }
}

fn write_rules(
    state: &mut State,
    desc: &ResourceDescriptor,
    key: &ResourceKey,
    role: &Value,
    rules: Vec<Value>,
) {
    let applied = json!({"apiVersion": desc.api_version(), "kind": "ClusterRole",
        "metadata": {"name": meta::name(role)}, "rules": rules});
    let mut merged = role.clone();
    merged["rules"] = applied["rules"].clone();
    let writer = Writer {
        manager: MANAGER,
        subresource: "",
    };
    match fieldmanager::apply(desc, role, &applied, merged, writer, true) {
        Ok(updated) => {
            state.replace(key, updated);
        }
        Err(e) => {
            tracing::error!(clusterrole = meta::name(role), error = %e, "aggregation not written");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str, labels: Value, rules: Value) -> Value {
        json!({"metadata": {"name": name, "labels": labels}, "rules": rules})
    }

    #[test]
    fn union_follows_selector_then_name_order_without_duplicates() {
        let get_cm = json!({"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]});
        let list_svc = json!({"apiGroups": [""], "resources": ["services"], "verbs": ["list"]});
        let roles = vec![
            role("b", json!({"agg": "yes"}), json!([get_cm, list_svc])),
            role("a", json!({"agg": "yes", "tier": "1"}), json!([get_cm])),
            role("c", json!({"other": "x"}), json!([list_svc])),
        ];
        let mut aggregated = role("all", json!({"agg": "yes"}), json!([]));
        aggregated["aggregationRule"] = json!({"clusterRoleSelectors": [
            {"matchLabels": {"agg": "yes"}},
            {"matchExpressions": [{"key": "other", "operator": "Exists"}]}]});
        let mut all = roles.clone();
        all.push(aggregated.clone());
        assert_eq!(
            aggregated_rules(&all, &aggregated),
            Some(vec![get_cm, list_svc]),
            "the aggregated role does not select itself"
        );
    }

    #[test]
    fn structured_selectors_match_like_list_selectors() {
        let selector = label_selector(&json!({"matchLabels": {"a": "1"}, "matchExpressions": [
            {"key": "b", "operator": "In", "values": ["x", "y"]},
            {"key": "c", "operator": "DoesNotExist"}]}))
        .unwrap();
        assert!(selector.matches(&role("r", json!({"a": "1", "b": "y"}), json!([]))));
        assert!(!selector.matches(&role("r", json!({"a": "1", "b": "y", "c": ""}), json!([]))));
        assert!(!selector.matches(&role("r", json!({"a": "1"}), json!([]))));
        let bad = json!({"matchExpressions": [{"key": "b", "operator": "In"}]});
        assert!(label_selector(&bad).unwrap_err().contains("\"b\""));
    }
}
