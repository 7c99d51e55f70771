//! Proof that the chart's RBAC is sufficient and minimal, from kube-sim's record of every
//! authorization decision (`GET /kube-sim/authorization-decisions`) after a scenario ran
//! with each service on its own ServiceAccount.
//!
//! - Sufficient: no request of a chart ServiceAccount was refused.
//! - Minimal: every (verb, apiGroup, resource) a chart role grants to a chart ServiceAccount
//!   was allowed at least once for that account (in the binding's namespace for a
//!   RoleBinding, on a listed name for a rule with `resourceNames`), unless the allow-list
//!   (`rbac-unexercised.yaml` beside this crate) names the grant with a reason.
//!   Wildcards are refused outright: no code can be shown to use "everything".
//!
//! The allow-list must stay true: an entry that names no grant of the rendered chart fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::WalkthroughError;

/// kube-sim's list of recorded decisions (`kube_sim::DECISIONS_PATH`).
pub const DECISIONS_PATH: &str = "/kube-sim/authorization-decisions";
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// One distinct decision as kube-sim serves it (`kube_sim::AuthorizationDecision`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub user: String,
    pub verb: String,
    pub api_group: String,
    pub resource: String,
    pub subresource: Option<String>,
    pub namespace: String,
    pub name: Option<String>,
    pub non_resource_url: Option<String>,
    pub allowed: bool,
    pub count: u64,
}

impl Decision {
    fn resource_path(&self) -> String {
        match &self.subresource {
            Some(sub) => format!("{}/{sub}", self.resource),
            None => self.resource.clone(),
        }
    }
}

/// One verb on one resource that a role grants to one ServiceAccount through one binding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    /// `ClusterRole/NAME` or `Role/NAMESPACE/NAME`.
    pub role: String,
    pub user: String,
    pub verb: String,
    pub api_group: String,
    /// `resource` or `resource/subresource`.
    pub resource: String,
    pub resource_names: Vec<String>,
    /// The RoleBinding's namespace; `None` for a ClusterRoleBinding (every namespace).
    pub namespace: Option<String>,
}

/// A grant the walkthrough is known not to exercise, and why the chart keeps it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Unexercised {
    pub role: String,
    pub verb: String,
    pub api_group: String,
    pub resource: String,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowListFile {
    unexercised: Vec<Unexercised>,
}

/// The allow-list file of this crate.
pub fn allow_list_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rbac-unexercised.yaml")
}

/// Reads the allow-list. Errors: unreadable, not the expected shape, or an entry without a
/// reason.
pub fn read_allow_list(path: &Path) -> Result<Vec<Unexercised>, WalkthroughError> {
    let text =
        std::fs::read_to_string(path).map_err(WalkthroughError::io(format!("read {path:?}")))?;
    let file: AllowListFile = serde_saphyr::from_str(&text)
        .map_err(|err| WalkthroughError::Chart(format!("{path:?}: {err}")))?;
    if let Some(bare) = file.unexercised.iter().find(|e| e.reason.trim().is_empty()) {
        return Err(WalkthroughError::Chart(format!(
            "{path:?}: the entry for {} {} {:?} of {} needs a reason",
            bare.verb, bare.resource, bare.api_group, bare.role
        )));
    }
    Ok(file.unexercised)
}

/// Reads a multi-document YAML file of Kubernetes objects (`rbac.yaml` of the export).
pub fn read_objects(path: &Path) -> Result<Vec<Value>, WalkthroughError> {
    let text =
        std::fs::read_to_string(path).map_err(WalkthroughError::io(format!("read {path:?}")))?;
    let objects: Vec<Value> = serde_saphyr::from_multiple(&text)
        .map_err(|err| WalkthroughError::Chart(format!("{path:?}: {err}")))?;
    Ok(objects.into_iter().filter(|o| !o.is_null()).collect())
}

/// Every decision kube-sim recorded, read with an admin client.
pub async fn fetch_decisions(admin: &kube::Client) -> Result<Vec<Decision>, WalkthroughError> {
    let request = http::Request::get(DECISIONS_PATH)
        .body(Vec::new())
        .map_err(|err| WalkthroughError::Unexpected {
            from: DECISIONS_PATH.to_owned(),
            detail: err.to_string(),
        })?;
    Ok(admin.request(request).await?)
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn strings(value: &Value, field: &str) -> Vec<String> {
    let items = value.get(field).and_then(Value::as_array);
    let items = items.map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned));
    items.map(Iterator::collect).unwrap_or_default()
}

/// Every grant of the objects' roles to ServiceAccounts, one per verb, group and resource.
pub fn grants(objects: &[Value]) -> Vec<Grant> {
    let mut out = Vec::new();
    for binding in objects {
        let kind = text(binding, "/kind");
        if !matches!(kind, "ClusterRoleBinding" | "RoleBinding")
            || binding["apiVersion"]
                .as_str()
                .is_none_or(|v| !v.starts_with(RBAC_GROUP))
        {
            continue;
        }
        let namespace = (kind == "RoleBinding").then(|| text(binding, "/metadata/namespace"));
        let Some((role, rules)) = role_of(objects, binding, namespace) else {
            continue;
        };
        for user in service_account_users(binding, namespace) {
            for rule in &rules {
                expand(rule, &role, &user, namespace, &mut out);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The role a binding refers to, named as the allow-list names it, with its rules.
fn role_of(objects: &[Value], binding: &Value, ns: Option<&str>) -> Option<(String, Vec<Value>)> {
    let (kind, name) = (
        text(binding, "/roleRef/kind"),
        text(binding, "/roleRef/name"),
    );
    let role = objects.iter().find(|o| {
        text(o, "/kind") == kind
            && text(o, "/metadata/name") == name
            && (kind == "ClusterRole" || Some(text(o, "/metadata/namespace")) == ns)
    })?;
    let label = match kind {
        "Role" => format!("Role/{}/{name}", ns.unwrap_or_default()),
        _ => format!("{kind}/{name}"),
    };
    let rules = role["rules"].as_array().cloned().unwrap_or_default();
    Some((label, rules))
}

fn service_account_users(binding: &Value, binding_ns: Option<&str>) -> Vec<String> {
    let subjects = binding["subjects"].as_array().cloned().unwrap_or_default();
    let accounts = subjects
        .iter()
        .filter(|s| text(s, "/kind") == "ServiceAccount");
    accounts
        .map(|s| {
            let ns = match text(s, "/namespace") {
                "" => binding_ns.unwrap_or_default(),
                ns => ns,
            };
            format!("system:serviceaccount:{ns}:{}", text(s, "/name"))
        })
        .collect()
}

fn expand(rule: &Value, role: &str, user: &str, namespace: Option<&str>, out: &mut Vec<Grant>) {
    let names = strings(rule, "resourceNames");
    for verb in strings(rule, "verbs") {
        for group in strings(rule, "apiGroups") {
            for resource in strings(rule, "resources") {
                out.push(Grant {
                    role: role.to_owned(),
                    user: user.to_owned(),
                    verb: verb.clone(),
                    api_group: group.clone(),
                    resource,
                    resource_names: names.clone(),
                    namespace: namespace.map(str::to_owned),
                });
            }
        }
    }
}

/// Whether an allowed decision of the grant's user used exactly this grant.
fn exercised(grant: &Grant, decisions: &[Decision]) -> bool {
    decisions.iter().any(|d| {
        d.allowed
            && d.user == grant.user
            && d.non_resource_url.is_none()
            && d.verb == grant.verb
            && d.api_group == grant.api_group
            && d.resource_path() == grant.resource
            && grant.namespace.as_ref().is_none_or(|ns| *ns == d.namespace)
            && (grant.resource_names.is_empty()
                || d.name
                    .as_ref()
                    .is_some_and(|n| grant.resource_names.contains(n)))
    })
}

fn is_allowed_unused(grant: &Grant, allow: &[Unexercised]) -> bool {
    allow.iter().any(|e| {
        e.role == grant.role
            && e.verb == grant.verb
            && e.api_group == grant.api_group
            && e.resource == grant.resource
    })
}

/// Every violation, each a sentence naming the grant or request and the role or account:
/// refused requests of the chart's accounts, unexercised grants not on the allow-list,
/// wildcards, and allow-list entries that name no grant.
pub fn audit(objects: &[Value], decisions: &[Decision], allow: &[Unexercised]) -> Vec<String> {
    let grants = grants(objects);
    let accounts: BTreeSet<&str> = grants.iter().map(|g| g.user.as_str()).collect();
    let mut findings = Vec::new();
    for d in decisions.iter().filter(|d| !d.allowed) {
        if accounts.contains(d.user.as_str()) {
            findings.push(refusal(d));
        }
    }
    for grant in &grants {
        let wildcard = [&grant.verb, &grant.api_group, &grant.resource]
            .iter()
            .any(|f| f.contains('*'));
        if wildcard {
            findings.push(format!(
                "{} grants a wildcard: {}",
                grant.role,
                describe(grant)
            ));
        } else if !exercised(grant, decisions) && !is_allowed_unused(grant, allow) {
            findings.push(format!(
                "{} grants {} but {} never used it in the walkthrough: remove the rule, or \
                 list it with a reason in rbac-unexercised.yaml",
                grant.role,
                describe(grant),
                grant.user
            ));
        }
    }
    for entry in allow {
        let names_a_grant = grants.iter().any(|g| {
            g.role == entry.role
                && g.verb == entry.verb
                && g.api_group == entry.api_group
                && g.resource == entry.resource
        });
        if !names_a_grant {
            findings.push(format!(
                "rbac-unexercised.yaml lists {} {:?} in group {:?} of {}, which the chart does \
                 not grant: remove the entry",
                entry.verb, entry.resource, entry.api_group, entry.role
            ));
        }
    }
    findings
}

/// Allow-list entries whose grant was used after all (timing can make a rare path happen):
/// worth a note so the list is pruned, not a failure.
pub fn listed_but_used(
    objects: &[Value],
    decisions: &[Decision],
    allow: &[Unexercised],
) -> Vec<String> {
    let grants = grants(objects);
    let used = grants.iter().filter(|g| exercised(g, decisions));
    used.filter(|g| is_allowed_unused(g, allow))
        .map(|g| format!("{} {}", g.role, describe(g)))
        .collect()
}

fn describe(grant: &Grant) -> String {
    let mut text = format!(
        "{} on {:?} in group {:?}",
        grant.verb, grant.resource, grant.api_group
    );
    if !grant.resource_names.is_empty() {
        text.push_str(&format!(" (names {:?})", grant.resource_names));
    }
    text
}

fn refusal(d: &Decision) -> String {
    let scope = match d.namespace.as_str() {
        "" => "at the cluster scope".to_owned(),
        ns => format!("in namespace {ns:?}"),
    };
    let name = d
        .name
        .as_deref()
        .map(|n| format!(" {n:?}"))
        .unwrap_or_default();
    format!(
        "{} was refused {} on {:?}{name} in group {:?} {scope} ({} times): the chart's RBAC \
         lacks a rule its code needs",
        d.user,
        d.verb,
        d.resource_path(),
        d.api_group,
        d.count
    )
}

impl crate::Environment {
    /// Audits the decisions kube-sim recorded so far against the RBAC the environment applied
    /// (the chart export's `rbac.yaml`) and this crate's allow-list; call it after a scenario.
    /// Errors: [`WalkthroughError::Rbac`] with every finding, or reading them failed.
    pub async fn verify_rbac(&self) -> Result<(), WalkthroughError> {
        let objects = read_objects(&self.dir.join("chart").join("rbac.yaml"))?;
        let allow = read_allow_list(&allow_list_path())?;
        let decisions = fetch_decisions(&self.kube).await?;
        for used in listed_but_used(&objects, &decisions, &allow) {
            eprintln!("note: rbac-unexercised.yaml lists {used}, which this run used");
        }
        let findings = audit(&objects, &decisions, &allow);
        if findings.is_empty() {
            return Ok(());
        }
        Err(WalkthroughError::Rbac(findings))
    }
}

#[cfg(test)]
mod tests;
