//! Defaulting that kube-apiserver's built-in strategies do and clients rely on: Secret
//! `stringData` folded into base64 `data` with `type: Opaque`, Service `type: ClusterIP`.
//! Keyed by group and kind; everything else is stored as sent.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::resources::ResourceDescriptor;

/// Applies the defaults of the object's built-in kind, on create and on update.
pub fn apply(desc: &ResourceDescriptor, obj: &mut Value) {
    if !desc.group.is_empty() || desc.schema.is_some() {
        return;
    }
    match desc.kind.as_str() {
        "Secret" => secret(obj),
        "Service" => default_field(obj, "/spec", "type", "ClusterIP"),
        _ => {}
    }
}

fn secret(obj: &mut Value) {
    if let Some(Value::Object(string_data)) =
        obj.as_object_mut().and_then(|m| m.remove("stringData"))
    {
        let data = obj
            .as_object_mut()
            .map(|m| m.entry("data").or_insert_with(|| json!({})));
        if let Some(Value::Object(data)) = data {
            for (key, value) in string_data {
                let text = value.as_str().unwrap_or_default().to_string();
                data.insert(key, Value::String(STANDARD.encode(text)));
            }
        }
    }
    if obj.get("type").is_none_or(Value::is_null) {
        obj["type"] = json!("Opaque");
    }
}

fn default_field(obj: &mut Value, parent: &str, field: &str, value: &str) {
    if let Some(Value::Object(map)) = obj.pointer_mut(parent) {
        map.entry(field).or_insert_with(|| json!(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::builtin_descriptors;

    #[test]
    fn secret_string_data_is_encoded_into_data() {
        let desc = builtin_descriptors()
            .into_iter()
            .find(|d| d.kind == "Secret")
            .unwrap();
        let mut s = json!({"stringData": {"p": "q"}, "data": {"x": "eQ=="}});
        apply(&desc, &mut s);
        assert_eq!(
            s,
            json!({"data": {"x": "eQ==", "p": "cQ=="}, "type": "Opaque"})
        );
    }
}
