//! Matching one PolicyRule (as stored JSON) against a request, with the wildcard and
//! resourceNames semantics of kube-apiserver's RBAC authorizer.

use serde_json::Value;

use super::{NonResourceRequest, RequestAttributes, ResourceRequest};

/// Whether `rule` (a `rules[]` entry of a Role or ClusterRole) grants the request.
pub fn allows(rule: &Value, request: &RequestAttributes) -> bool {
    match request {
        RequestAttributes::Resource(r) => allows_resource(rule, r),
        RequestAttributes::NonResource(r) => allows_non_resource(rule, r),
    }
}

fn strings<'a>(rule: &'a Value, field: &str) -> Vec<&'a str> {
    rule.get(field)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn has_or_star(items: &[&str], wanted: &str) -> bool {
    items.iter().any(|i| *i == "*" || *i == wanted)
}

fn allows_resource(rule: &Value, r: &ResourceRequest) -> bool {
    has_or_star(&strings(rule, "verbs"), &r.verb)
        && has_or_star(&strings(rule, "apiGroups"), &r.group)
        && resource_matches(&strings(rule, "resources"), r)
        && name_matches(&strings(rule, "resourceNames"), r.name.as_deref())
}

/// `*`, the exact `resource` or `resource/subresource`, or `*/subresource`.
fn resource_matches(rule_resources: &[&str], r: &ResourceRequest) -> bool {
    let combined = match &r.subresource {
        Some(sub) => format!("{}/{sub}", r.resource),
        None => r.resource.clone(),
    };
    rule_resources.iter().any(|item| {
        *item == "*"
            || *item == combined
            || r.subresource
                .as_deref()
                .is_some_and(|sub| item.strip_prefix("*/") == Some(sub))
    })
}

/// A rule without resourceNames matches any name; one with them only requests that name a
/// listed object (so list, watch and create without a name never match).
fn name_matches(names: &[&str], requested: Option<&str>) -> bool {
    if names.is_empty() {
        return true;
    }
    requested.is_some_and(|name| names.contains(&name))
}

/// `*`, an exact URL, or a prefix ending in `*`.
fn allows_non_resource(rule: &Value, r: &NonResourceRequest) -> bool {
    if !has_or_star(&strings(rule, "verbs"), &r.verb) {
        return false;
    }
    strings(rule, "nonResourceURLs").iter().any(|url| {
        *url == "*"
            || *url == r.path
            || url
                .strip_suffix('*')
                .is_some_and(|prefix| r.path.starts_with(prefix))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn res(verb: &str, group: &str, resource: &str, name: Option<&str>) -> RequestAttributes {
        let (resource, subresource) = match resource.split_once('/') {
            Some((r, s)) => (r.to_string(), Some(s.to_string())),
            None => (resource.to_string(), None),
        };
        RequestAttributes::Resource(ResourceRequest {
            verb: verb.into(),
            group: group.into(),
            resource,
            subresource,
            namespace: "ns".into(),
            name: name.map(Into::into),
        })
    }

    #[test]
    fn verbs_groups_and_resources_match_exactly_or_by_star() {
        let rule = json!({"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]});
        assert!(allows(&rule, &res("get", "", "pods", Some("p"))));
        assert!(!allows(&rule, &res("delete", "", "pods", Some("p"))));
        assert!(!allows(&rule, &res("get", "apps", "pods", Some("p"))));
        assert!(!allows(&rule, &res("get", "", "pods/status", Some("p"))));
        let star = json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]});
        assert!(allows(
            &star,
            &res("patch", "apps", "deployments/scale", Some("d"))
        ));
    }

    #[test]
    fn subresources_need_their_own_entry() {
        let rule = json!({"verbs": ["update"], "apiGroups": [""], "resources": ["pods/status"]});
        assert!(allows(&rule, &res("update", "", "pods/status", Some("p"))));
        assert!(!allows(&rule, &res("update", "", "pods", Some("p"))));
        let any = json!({"verbs": ["update"], "apiGroups": [""], "resources": ["*/status"]});
        assert!(allows(
            &any,
            &res("update", "", "services/status", Some("s"))
        ));
    }

    #[test]
    fn resource_names_only_match_named_requests() {
        let rule = json!({
            "verbs": ["get", "list", "create"], "apiGroups": [""],
            "resources": ["configmaps"], "resourceNames": ["a"],
        });
        assert!(allows(&rule, &res("get", "", "configmaps", Some("a"))));
        assert!(!allows(&rule, &res("get", "", "configmaps", Some("b"))));
        assert!(!allows(&rule, &res("list", "", "configmaps", None)));
        assert!(!allows(&rule, &res("create", "", "configmaps", None)));
    }

    #[test]
    fn non_resource_urls_match_exactly_or_by_prefix() {
        let rule = json!({"verbs": ["get"], "nonResourceURLs": ["/apis/*", "/version"]});
        let get = |path: &str| {
            RequestAttributes::NonResource(NonResourceRequest {
                verb: "get".into(),
                path: path.into(),
            })
        };
        assert!(allows(&rule, &get("/version")));
        assert!(allows(&rule, &get("/apis/apps/v1")));
        assert!(!allows(&rule, &get("/metrics")));
        assert!(!allows(&rule, &res("get", "", "pods", Some("p"))));
    }
}
