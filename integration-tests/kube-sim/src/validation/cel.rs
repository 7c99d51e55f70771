//! `x-kubernetes-validations` rules, evaluated by kube-cel (the kube-rs project's
//! implementation of the Kubernetes CEL libraries). Transition rules see `oldSelf` on updates.
//!
//! A failed rule's message comes from its `messageExpression` when that evaluates to a string
//! (kube-cel evaluates it, falling back to `message` on a runtime error, then to
//! `failed rule: RULE`). kube-apiserver also falls back when the expression yields a blank
//! string or one with a line break; kube-cel does not, so that case is settled here.

use serde_json::Value;

use super::{StructuralSchema, invalid};
use crate::error::Cause;
use crate::resources::ResourceDescriptor;

pub fn check(
    desc: &ResourceDescriptor,
    schema: &StructuralSchema,
    obj: &Value,
    old: Option<&Value>,
) -> Vec<Cause> {
    let root = kube_cel::RootContext {
        api_version: desc.api_version(),
        api_group: desc.group.clone(),
        kind: desc.kind.clone(),
    };
    let validator = kube_cel::Validator::new();
    let Err(errors) =
        validator.validate_compiled_with_context(&schema.rules, obj, old, Some(&root))
    else {
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
            let message = if unusable(&e.message) {
                static_message(&schema.raw, &e.rule)
            } else {
                e.message.clone()
            };
            let mut cause = invalid(e.field_path.clone(), &message, value);
            if let Some(reason) = e.reason {
                cause.reason = reason;
            }
            cause
        })
        .collect()
}

/// What kube-apiserver refuses to show from a `messageExpression`.
fn unusable(message: &str) -> bool {
    message.trim().is_empty() || message.contains(['\n', '\r'])
}

/// The message a rule has without its `messageExpression`: `message`, else `failed rule: RULE`.
fn static_message(schema: &Value, rule: &str) -> String {
    find_rule(schema, rule)
        .and_then(|r| r["message"].as_str())
        .map(String::from)
        .unwrap_or_else(|| format!("failed rule: {rule}"))
}

/// The first `x-kubernetes-validations` entry with this rule text, anywhere in the schema.
fn find_rule<'a>(schema: &'a Value, rule: &str) -> Option<&'a Value> {
    let own = schema["x-kubernetes-validations"]
        .as_array()
        .into_iter()
        .flatten();
    if let Some(found) = own.into_iter().find(|r| r["rule"].as_str() == Some(rule)) {
        return Some(found);
    }
    let children = match schema {
        Value::Object(map) => map.values().collect::<Vec<_>>(),
        Value::Array(items) => items.iter().collect(),
        _ => Vec::new(),
    };
    children
        .into_iter()
        .find_map(|child| find_rule(child, rule))
}
