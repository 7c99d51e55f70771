//! Access kinds kubectl sends from its typed client: RBAC roles and bindings (`kubectl create
//! role|clusterrole|rolebinding|clusterrolebinding`), SelfSubjectAccessReview (`auth can-i`)
//! and TokenRequest (`create token`).

use k8s_pb::api::authentication::v1 as authn;
use k8s_pb::api::authorization::v1 as authz;
use k8s_pb::api::rbac::v1 as rbac;
use k8s_pb::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::{Map, Value};

use super::{Fields, object_meta, strings};

pub fn access_review(review: authz::SelfSubjectAccessReview) -> Map<String, Value> {
    let spec = review.spec.unwrap_or_default();
    let resource = spec.resource_attributes.map(|r| {
        let fields = Fields::default()
            .put("namespace", r.namespace)
            .put("verb", r.verb)
            .put("group", r.group)
            .put("version", r.version)
            .put("resource", r.resource)
            .put("subresource", r.subresource)
            .put("name", r.name);
        Value::Object(fields.0)
    });
    let non_resource = spec.non_resource_attributes.map(|n| {
        let fields = Fields::default().put("path", n.path).put("verb", n.verb);
        Value::Object(fields.0)
    });
    let spec = Fields::default()
        .put("resourceAttributes", resource)
        .put("nonResourceAttributes", non_resource);
    Fields::default()
        .put("metadata", object_meta(review.metadata))
        .put("spec", Value::Object(spec.0))
        .0
}

pub fn role(role: rbac::Role) -> Map<String, Value> {
    Fields::default()
        .put("metadata", object_meta(role.metadata))
        .put("rules", rules(role.rules))
        .0
}

/// `rules` is not omitempty in the JSON encoding, so it is kept even when empty.
pub fn cluster_role(role: rbac::ClusterRole) -> Map<String, Value> {
    let aggregation = role.aggregation_rule.map(|a| {
        let selectors: Vec<Value> = a.cluster_role_selectors.into_iter().map(selector).collect();
        Value::Object(Fields::default().put("clusterRoleSelectors", selectors).0)
    });
    let mut fields = Fields::default()
        .put("metadata", object_meta(role.metadata))
        .put("aggregationRule", aggregation)
        .0;
    fields.insert("rules".into(), rules(role.rules));
    fields
}

pub fn role_binding(binding: rbac::RoleBinding) -> Map<String, Value> {
    binding_fields(binding.metadata, binding.subjects, binding.role_ref)
}

pub fn cluster_role_binding(binding: rbac::ClusterRoleBinding) -> Map<String, Value> {
    binding_fields(binding.metadata, binding.subjects, binding.role_ref)
}

pub fn token_request(request: authn::TokenRequest) -> Map<String, Value> {
    let spec = request.spec.unwrap_or_default();
    let bound = spec.bound_object_ref.map(|b| {
        let fields = Fields::default()
            .put("kind", b.kind)
            .put("apiVersion", b.api_version)
            .put("name", b.name)
            .put("uid", b.u_id);
        Value::Object(fields.0)
    });
    let spec = Fields::default()
        .put("audiences", spec.audiences)
        .put("expirationSeconds", spec.expiration_seconds)
        .put("boundObjectRef", bound);
    Fields::default()
        .put("metadata", object_meta(request.metadata))
        .put("spec", Value::Object(spec.0))
        .0
}

fn rules(rules: Vec<rbac::PolicyRule>) -> Value {
    let rules = rules.into_iter().map(|r| {
        let fields = Fields::default()
            .put("verbs", r.verbs)
            .put("apiGroups", r.api_groups)
            .put("resources", r.resources)
            .put("resourceNames", r.resource_names)
            .put("nonResourceURLs", r.non_resource_ur_ls);
        Value::Object(fields.0)
    });
    Value::Array(rules.collect())
}

fn selector(selector: LabelSelector) -> Value {
    let expressions: Vec<Value> = selector
        .match_expressions
        .into_iter()
        .map(|e| {
            let fields = Fields::default()
                .put("key", e.key)
                .put("operator", e.operator)
                .put("values", e.values);
            Value::Object(fields.0)
        })
        .collect();
    let fields = Fields::default()
        .put("matchLabels", strings(selector.match_labels))
        .put("matchExpressions", expressions);
    Value::Object(fields.0)
}

fn binding_fields(
    metadata: Option<k8s_pb::apimachinery::pkg::apis::meta::v1::ObjectMeta>,
    subjects: Vec<rbac::Subject>,
    role_ref: Option<rbac::RoleRef>,
) -> Map<String, Value> {
    let subjects: Vec<Value> = subjects
        .into_iter()
        .map(|s| {
            let fields = Fields::default()
                .put("kind", s.kind)
                .put("apiGroup", s.api_group)
                .put("name", s.name)
                .put("namespace", s.namespace);
            Value::Object(fields.0)
        })
        .collect();
    let role_ref = role_ref.unwrap_or_default();
    let role_ref = Fields::default()
        .put("apiGroup", role_ref.api_group)
        .put("kind", role_ref.kind)
        .put("name", role_ref.name);
    Fields::default()
        .put("metadata", object_meta(metadata))
        .put("subjects", subjects)
        .put("roleRef", Value::Object(role_ref.0))
        .0
}
