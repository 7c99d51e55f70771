//! Structural validation with the `jsonschema` crate. CRD schemas are OpenAPI 3.0 (close to
//! JSON Schema draft 4) plus extensions, so they are rewritten first: `nullable: true` becomes
//! a `null` type, `x-kubernetes-int-or-string` a two-type union, and `metadata` is left to the
//! server's own checks.

use serde_json::{Map, Value, json};

use super::{field_path, invalid};
use crate::error::Cause;
use jsonschema::error::ValidationErrorKind;

pub fn compile(raw: &Value) -> Result<jsonschema::Validator, String> {
    let mut converted = to_json_schema(raw);
    if let Some(props) = converted
        .get_mut("properties")
        .and_then(Value::as_object_mut)
    {
        props.insert("metadata".into(), json!({"type": "object"}));
    }
    jsonschema::draft4::options()
        .should_validate_formats(false)
        .build(&converted)
        .map_err(|e| e.to_string())
}

fn to_json_schema(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        let converted = match key.as_str() {
            "properties" | "patternProperties" | "definitions" => map_values(value),
            "items" | "additionalProperties" | "not" => to_json_schema(value),
            "allOf" | "anyOf" | "oneOf" => list_values(value),
            "nullable" | "default" | "example" => continue,
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    if map.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        out.insert("type".into(), json!(["integer", "string"]));
    }
    if map.get("nullable") == Some(&Value::Bool(true)) {
        allow_null(&mut out);
    }
    Value::Object(out)
}

fn allow_null(out: &mut Map<String, Value>) {
    match out.get("type").cloned() {
        Some(Value::String(t)) => {
            out.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(mut types)) => {
            types.push(json!("null"));
            out.insert("type".into(), Value::Array(types));
        }
        _ => {}
    }
    if let Some(Value::Array(options)) = out.get_mut("enum") {
        options.push(Value::Null);
    }
}

fn map_values(value: &Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), to_json_schema(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn list_values(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(to_json_schema).collect()),
        other => other.clone(),
    }
}

/// Every schema violation as a kube-apiserver style cause.
pub fn check(validator: &jsonschema::Validator, obj: &Value) -> Vec<Cause> {
    let mut causes: Vec<Cause> = Vec::new();
    for error in validator.iter_errors(obj) {
        let pointer = error.instance_path().as_str().to_string();
        let field = field_path(&pointer);
        let cause = match error.kind() {
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                let field = if field.is_empty() {
                    name.to_string()
                } else {
                    format!("{field}.{name}")
                };
                Cause::new("FieldValueRequired", field, "Required value")
            }
            ValidationErrorKind::Enum { options } => {
                let allowed: Vec<String> = options
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|o| o.to_string())
                    .collect();
                let message = format!(
                    "Unsupported value: {}: supported values: {}",
                    super::shown_value(obj.pointer(&pointer)),
                    allowed.join(", ")
                );
                Cause::new("FieldValueNotSupported", field, message)
            }
            ValidationErrorKind::Type { .. } => {
                let mut cause = invalid(
                    field.clone(),
                    &format!("{field} in body {error}"),
                    obj.pointer(&pointer),
                );
                cause.reason = "FieldValueTypeInvalid".into();
                cause
            }
            _ => invalid(field, &error.to_string(), obj.pointer(&pointer)),
        };
        if !causes.contains(&cause) {
            causes.push(cause);
        }
    }
    causes
}
