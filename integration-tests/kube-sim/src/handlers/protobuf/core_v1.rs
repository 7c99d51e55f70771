//! The core/v1 kinds kubectl creates from its typed client.

use k8s_pb::api::core::v1;
use serde_json::{Map, Value, json};

use super::{Fields, bytes, object_meta, strings};

pub fn config_map(cm: v1::ConfigMap) -> Map<String, Value> {
    Fields::default()
        .put("metadata", object_meta(cm.metadata))
        .put("data", strings(cm.data))
        .put("binaryData", bytes(cm.binary_data))
        .put("immutable", cm.immutable)
        .0
}

pub fn secret(s: v1::Secret) -> Map<String, Value> {
    Fields::default()
        .put("metadata", object_meta(s.metadata))
        .put("data", bytes(s.data))
        .put("stringData", strings(s.string_data))
        .put("type", s.r#type)
        .put("immutable", s.immutable)
        .0
}

pub fn namespace(ns: v1::Namespace) -> Map<String, Value> {
    let finalizers = ns.spec.map(|s| s.finalizers).unwrap_or_default();
    let spec = Fields::default().put("finalizers", finalizers);
    Fields::default()
        .put("metadata", object_meta(ns.metadata))
        .put("spec", Value::Object(spec.0))
        .0
}

pub fn service_account(sa: v1::ServiceAccount) -> Map<String, Value> {
    let names = |names: Vec<Option<String>>| -> Vec<Value> {
        names.into_iter().map(|n| json!({"name": n})).collect()
    };
    let secrets = names(sa.secrets.into_iter().map(|s| s.name).collect());
    let pull = names(sa.image_pull_secrets.into_iter().map(|s| s.name).collect());
    Fields::default()
        .put("metadata", object_meta(sa.metadata))
        .put("secrets", secrets)
        .put("imagePullSecrets", pull)
        .put(
            "automountServiceAccountToken",
            sa.automount_service_account_token,
        )
        .0
}
