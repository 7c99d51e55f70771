//! Judges objects against a CRD the way the API server does, for tests: the structural schema
//! (through `jsonschema`, after translating OpenAPI's dialect) and the `x-kubernetes-validations`
//! CEL rules (through kube's CEL validator). Unknown fields are errors, as with kubectl's default
//! strict field validation.

// Each test binary that declares `mod support` uses a different part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// The repository root, from this crate's manifest directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Reads one YAML document into JSON.
pub fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub struct CrdJudge {
    api_version: String,
    kind: String,
    openapi: Value,
    schema: jsonschema::Validator,
}

impl CrdJudge {
    /// Uses the CRD's storage version.
    pub fn new(crd: &Value) -> Self {
        let group = crd["spec"]["group"].as_str().expect("CRD group");
        let versions = crd["spec"]["versions"].as_array().expect("CRD versions");
        let version = versions
            .iter()
            .find(|v| v["storage"] == true)
            .expect("storage version");
        let openapi = version["schema"]["openAPIV3Schema"].clone();

        let mut schema = to_json_schema(&openapi);
        let root = schema["properties"]
            .as_object_mut()
            .expect("root properties");
        root.entry("apiVersion")
            .or_insert(json!({"type": "string"}));
        root.entry("kind").or_insert(json!({"type": "string"}));
        root.entry("metadata").or_insert(json!({"type": "object"}));

        Self {
            api_version: format!("{group}/{}", version["name"].as_str().unwrap()),
            kind: crd["spec"]["names"]["kind"].as_str().unwrap().to_owned(),
            openapi,
            schema: jsonschema::validator_for(&schema).expect("CRD schema compiles"),
        }
    }

    /// Every problem with `object`, each as `field.path: message`; empty when accepted.
    pub fn judge(&self, object: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        if object["apiVersion"] != self.api_version.as_str() || object["kind"] != self.kind.as_str()
        {
            problems.push(format!(
                "apiVersion/kind: expected {} {}, found {} {}",
                self.api_version, self.kind, object["apiVersion"], object["kind"]
            ));
        }
        for error in self.schema.iter_errors(object) {
            problems.push(format!(
                "{}: {error}",
                dotted(error.instance_path().as_str())
            ));
        }
        if let Err(errors) = kube::core::cel::Validator::new().validate(&self.openapi, object, None)
        {
            problems.extend(errors.iter().map(|e| e.to_string()));
        }
        problems
    }
}

/// `/spec/pvcSelector/matchLabels` → `spec.pvcSelector.matchLabels` (`<root>` for the root).
fn dotted(pointer: &str) -> String {
    let path = pointer.trim_start_matches('/').replace('/', ".");
    if path.is_empty() {
        "<root>".to_owned()
    } else {
        path
    }
}

/// Translates a structural OpenAPI v3 schema into JSON Schema with the API server's semantics:
/// `nullable` admits null, `x-kubernetes-list-type: set` means unique items,
/// `x-kubernetes-int-or-string` admits both, and objects with declared properties reject
/// unknown fields unless they preserve them.
pub fn to_json_schema(schema: &Value) -> Value {
    let Some(object) = schema.as_object() else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in object {
        let translated = match key.as_str() {
            "properties" => Value::Object(
                value
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), to_json_schema(v)))
                    .collect(),
            ),
            "items" | "additionalProperties" if value.is_object() => to_json_schema(value),
            "allOf" | "anyOf" | "oneOf" => Value::Array(
                value
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(to_json_schema)
                    .collect(),
            ),
            "not" => to_json_schema(value),
            _ => value.clone(),
        };
        out.insert(key.clone(), translated);
    }

    if out.remove("nullable") == Some(Value::Bool(true))
        && let Some(Value::String(t)) = out.get("type").cloned()
    {
        out.insert("type".into(), json!([t, "null"]));
    }
    if out.get("x-kubernetes-list-type") == Some(&json!("set")) {
        out.insert("uniqueItems".into(), json!(true));
    }
    if out.remove("x-kubernetes-int-or-string") == Some(Value::Bool(true)) {
        out.insert("type".into(), json!(["integer", "string"]));
    }
    let preserves = out.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
    if out.contains_key("properties") && !out.contains_key("additionalProperties") && !preserves {
        out.insert("additionalProperties".into(), json!(false));
    }
    Value::Object(out)
}
