//! `application/vnd.kubernetes.protobuf` request bodies, which kubectl 1.32 and later send
//! for its typed-client commands (`create configmap|secret|namespace|serviceaccount|role|
//! rolebinding|token|...`, `auth can-i`) with no JSON fallback: client-go only falls back
//! after a 415 for CBOR.
//!
//! A body is the `k8s\0` magic, then a `runtime.Unknown` whose `typeMeta` names the kind
//! and whose `raw` is that kind's message. The messages are decoded with k8s-pb (prost types
//! of the Kubernetes API) and turned into the JSON the rest of the server handles, leaving
//! out empty fields as the JSON encoding does. Kinds outside the table get 415, as kinds
//! without protobuf support do on a real server. Responses stay JSON: these clients accept it.

use std::collections::BTreeMap;

mod access;
mod core_v1;

use base64::Engine;
use k8s_pb::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_pb::apimachinery::pkg::runtime::Unknown;
use prost::Message;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";
const MAGIC: &[u8] = b"k8s\0";
const AUTHORIZATION: &str = "authorization.k8s.io/v1";
const AUTHENTICATION: &str = "authentication.k8s.io/v1";
const RBAC: &str = "rbac.authorization.k8s.io/v1";
const DECODED: &str = "v1 ConfigMap, Secret, Namespace, ServiceAccount, \
                       authorization.k8s.io/v1 SelfSubjectAccessReview, \
                       authentication.k8s.io/v1 TokenRequest and rbac.authorization.k8s.io/v1 \
                       Role, ClusterRole, RoleBinding, ClusterRoleBinding";

/// Decodes a protobuf body into the JSON object it stands for. Errors: 400 for a malformed
/// body, 415 for a kind the simulator does not decode from protobuf.
pub fn decode(bytes: &[u8]) -> Result<Value> {
    let envelope = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| Error::bad_request("the protobuf body does not start with \"k8s\\0\""))?;
    let unknown = Unknown::decode(envelope)
        .map_err(|e| Error::bad_request(format!("error decoding protobuf envelope: {e}")))?;
    if unknown
        .content_encoding
        .as_deref()
        .is_some_and(|e| !e.is_empty())
    {
        return Err(Error::UnsupportedMediaType(
            "protobuf bodies with a contentEncoding are not supported".into(),
        ));
    }
    let type_meta = unknown.type_meta.unwrap_or_default();
    let api_version = type_meta.api_version.unwrap_or_default();
    let kind = type_meta.kind.unwrap_or_default();
    let raw = unknown.raw.unwrap_or_default();
    let mut object = message(&api_version, &kind, &raw)?;
    object.insert("apiVersion".into(), json!(api_version));
    object.insert("kind".into(), json!(kind));
    Ok(Value::Object(object))
}

fn message(api_version: &str, kind: &str, raw: &[u8]) -> Result<Map<String, Value>> {
    let bad = |e: prost::DecodeError| {
        Error::bad_request(format!("error decoding protobuf {api_version} {kind}: {e}"))
    };
    match (api_version, kind) {
        ("v1", "ConfigMap") => Ok(core_v1::config_map(decode_as(raw, bad)?)),
        ("v1", "Secret") => Ok(core_v1::secret(decode_as(raw, bad)?)),
        ("v1", "Namespace") => Ok(core_v1::namespace(decode_as(raw, bad)?)),
        ("v1", "ServiceAccount") => Ok(core_v1::service_account(decode_as(raw, bad)?)),
        (AUTHORIZATION, "SelfSubjectAccessReview") => {
            Ok(access::access_review(decode_as(raw, bad)?))
        }
        (AUTHENTICATION, "TokenRequest") => Ok(access::token_request(decode_as(raw, bad)?)),
        (RBAC, "Role") => Ok(access::role(decode_as(raw, bad)?)),
        (RBAC, "ClusterRole") => Ok(access::cluster_role(decode_as(raw, bad)?)),
        (RBAC, "RoleBinding") => Ok(access::role_binding(decode_as(raw, bad)?)),
        (RBAC, "ClusterRoleBinding") => Ok(access::cluster_role_binding(decode_as(raw, bad)?)),
        _ => Err(Error::UnsupportedMediaType(format!(
            "kube-sim decodes protobuf bodies only for {DECODED}, not {api_version} {kind}: \
             send it as application/json"
        ))),
    }
}

fn decode_as<M: Message + Default>(
    raw: &[u8],
    bad: impl Fn(prost::DecodeError) -> Error,
) -> Result<M> {
    M::decode(raw).map_err(bad)
}

/// Builds a JSON object, skipping absent and empty values.
#[derive(Default)]
struct Fields(Map<String, Value>);

impl Fields {
    fn put(mut self, key: &str, value: impl Into<Value>) -> Self {
        let value = value.into();
        let empty = match &value {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(m) => m.is_empty(),
            _ => false,
        };
        if !empty {
            self.0.insert(key.into(), value);
        }
        self
    }
}

fn strings(map: BTreeMap<String, String>) -> Value {
    map.into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

fn bytes(map: BTreeMap<String, Vec<u8>>) -> Value {
    let encode = |b: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(b);
    map.into_iter()
        .map(|(k, v)| (k, Value::String(encode(v))))
        .collect()
}

/// The client-settable part of ObjectMeta; server-owned timestamps and managedFields are
/// left out, as the server replaces them on create anyway.
fn object_meta(meta: Option<ObjectMeta>) -> Value {
    let meta = meta.unwrap_or_default();
    let owners: Vec<Value> = meta
        .owner_references
        .into_iter()
        .map(|o| {
            let fields = Fields::default()
                .put("apiVersion", o.api_version)
                .put("kind", o.kind)
                .put("name", o.name)
                .put("uid", o.uid)
                .put("controller", o.controller)
                .put("blockOwnerDeletion", o.block_owner_deletion);
            Value::Object(fields.0)
        })
        .collect();
    let fields = Fields::default()
        .put("name", meta.name)
        .put("generateName", meta.generate_name)
        .put("namespace", meta.namespace)
        .put("uid", meta.uid)
        .put("resourceVersion", meta.resource_version)
        .put("labels", strings(meta.labels))
        .put("annotations", strings(meta.annotations))
        .put("finalizers", meta.finalizers)
        .put("ownerReferences", owners);
    Value::Object(fields.0)
}

#[cfg(test)]
mod tests {
    use k8s_pb::apimachinery::pkg::runtime::TypeMeta;

    use super::*;

    fn body(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
        let unknown = Unknown {
            type_meta: Some(TypeMeta {
                api_version: Some(api_version.into()),
                kind: Some(kind.into()),
            }),
            raw: Some(raw),
            content_encoding: Some(String::new()),
            content_type: Some(String::new()),
        };
        [MAGIC.to_vec(), unknown.encode_to_vec()].concat()
    }

    #[test]
    fn secrets_decode_with_base64_data_and_no_empty_fields() {
        let secret = k8s_pb::api::core::v1::Secret {
            metadata: Some(ObjectMeta {
                name: Some("s".into()),
                ..Default::default()
            }),
            data: BTreeMap::from([("k".to_string(), b"v".to_vec())]),
            r#type: Some("Opaque".into()),
            ..Default::default()
        };
        let decoded = decode(&body("v1", "Secret", secret.encode_to_vec())).unwrap();
        assert_eq!(
            decoded,
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                   "data": {"k": "dg=="}, "type": "Opaque"})
        );
    }

    #[test]
    fn aggregated_cluster_roles_keep_their_selectors_and_empty_rules() {
        use k8s_pb::api::rbac::v1 as rbac;
        use k8s_pb::apimachinery::pkg::apis::meta::v1::LabelSelector;

        let role = rbac::ClusterRole {
            aggregation_rule: Some(rbac::AggregationRule {
                cluster_role_selectors: vec![LabelSelector {
                    match_labels: BTreeMap::from([("reads".to_string(), "yes".to_string())]),
                    ..Default::default()
                }],
            }),
            ..Default::default()
        };
        let rbac_v1 = "rbac.authorization.k8s.io/v1";
        let decoded = decode(&body(rbac_v1, "ClusterRole", role.encode_to_vec())).unwrap();
        assert_eq!(
            decoded,
            json!({"apiVersion": rbac_v1, "kind": "ClusterRole", "rules": [],
                   "aggregationRule": {"clusterRoleSelectors": [
                       {"matchLabels": {"reads": "yes"}}]}})
        );
    }

    #[test]
    fn undecodable_bodies_say_why() {
        let deployment = body("apps/v1", "Deployment", Vec::new());
        let err = decode(&deployment).unwrap_err();
        assert_eq!(err.code_and_reason().0, 415);
        assert!(err.to_string().contains("apps/v1 Deployment"), "{err}");

        let err = decode(b"{\"kind\": \"ConfigMap\"}").unwrap_err();
        assert_eq!(err.code_and_reason().0, 400);
        let garbage = body("v1", "ConfigMap", vec![0xff, 0xff]);
        assert_eq!(decode(&garbage).unwrap_err().code_and_reason().0, 400);
    }
}
