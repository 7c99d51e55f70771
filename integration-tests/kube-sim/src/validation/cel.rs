//! `x-kubernetes-validations` rules, evaluated by kube-cel (the kube-rs project's
//! implementation of the Kubernetes CEL libraries). Transition rules see `oldSelf` on updates.

use serde_json::Value;

use super::invalid;
use crate::error::Cause;
use crate::resources::ResourceDescriptor;

pub fn check(
    desc: &ResourceDescriptor,
    rules: &kube_cel::CompiledSchema,
    obj: &Value,
    old: Option<&Value>,
) -> Vec<Cause> {
    let root = kube_cel::RootContext {
        api_version: desc.api_version(),
        api_group: desc.group.clone(),
        kind: desc.kind.clone(),
    };
    let validator = kube_cel::Validator::new();
    let Err(errors) = validator.validate_compiled_with_context(rules, obj, old, Some(&root)) else {
        return Vec::new();
    };
    errors
        .into_vec()
        .into_iter()
        .map(|e| {
            let pointer = format!(
                "/{}",
                e.field_path.replace(['.', '['], "/").replace(']', "")
            );
            let value = if e.field_path.is_empty() {
                Some(obj)
            } else {
                obj.pointer(&pointer)
            };
            let mut cause = invalid(e.field_path.clone(), &e.message, value);
            if let Some(reason) = e.reason {
                cause.reason = reason;
            }
            cause
        })
        .collect()
}
