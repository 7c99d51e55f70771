//! CustomResourceDefinitions: the resource descriptors a CRD defines, and the status the real
//! apiextensions controller would write (names accepted, established).

use std::sync::Arc;

use serde_json::{Value, json};

use crate::error::{Cause, Error, Result};
use crate::jsonpath::KubePath;
use crate::meta;
use crate::resources::{ALL_VERBS, CellSource, PrinterColumn, ResourceDescriptor};
use crate::validation::StructuralSchema;

const GROUP: &str = "apiextensions.k8s.io";
const PLURAL: &str = "customresourcedefinitions";

pub fn is_crd(desc: &ResourceDescriptor) -> bool {
    desc.group == GROUP && desc.plural == PLURAL
}

/// One descriptor per served version. A CRD being deleted still serves its resources until
/// it is gone, like the real server.
pub fn descriptors(crd: &Value) -> Vec<ResourceDescriptor> {
    let spec = &crd["spec"];
    let names = &spec["names"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let list = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    let kind = text(&names["kind"]);
    let plural = text(&names["plural"]);
    let singular = match text(&names["singular"]) {
        s if s.is_empty() => kind.to_lowercase(),
        s => s,
    };
    let versions = spec["versions"].as_array().cloned().unwrap_or_default();
    versions
        .iter()
        .filter(|v| v["served"].as_bool().unwrap_or(false))
        .map(|v| ResourceDescriptor {
            group: text(&spec["group"]),
            version: text(&v["name"]),
            kind: kind.clone(),
            plural: plural.clone(),
            singular: singular.clone(),
            short_names: list(&names["shortNames"]),
            categories: list(&names["categories"]),
            namespaced: spec["scope"].as_str() != Some("Cluster"),
            status_subresource: v.pointer("/subresources/status").is_some(),
            verbs: ALL_VERBS.iter().map(|s| s.to_string()).collect(),
            tracks_generation: true,
            storage: v["storage"].as_bool().unwrap_or(false),
            columns: printer_columns(v),
            field_labels: selectable_fields(v),
            initial_status: None,
            schema: v
                .pointer("/schema/openAPIV3Schema")
                .map(|s| Arc::new(StructuralSchema::new(s.clone()))),
        })
        .collect()
}

fn printer_columns(version: &Value) -> Vec<PrinterColumn> {
    let Some(cols) = version["additionalPrinterColumns"].as_array() else {
        return vec![PrinterColumn {
            name: "Age".into(),
            type_: "date".into(),
            description: String::new(),
            priority: 0,
            source: CellSource::Path(".metadata.creationTimestamp".into()),
        }];
    };
    cols.iter()
        .map(|c| PrinterColumn {
            name: c["name"].as_str().unwrap_or_default().into(),
            type_: c["type"].as_str().unwrap_or("string").into(),
            description: c["description"].as_str().unwrap_or_default().into(),
            priority: c["priority"].as_i64().unwrap_or(0),
            source: CellSource::Path(c["jsonPath"].as_str().unwrap_or_default().into()),
        })
        .collect()
}

fn selectable_fields(version: &Value) -> Vec<String> {
    let fields = version["selectableFields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let paths = fields.iter().filter_map(|f| f["jsonPath"].as_str());
    paths
        .map(|p| p.trim_start_matches('.').to_string())
        .collect()
}

/// Checks what the real server rejects outright and fills in the status its controllers
/// would write, so clients waiting for `condition=Established` proceed.
pub fn admit(crd: &mut Value) -> Result<()> {
    let causes = check(crd);
    if !causes.is_empty() {
        return Err(Error::invalid(
            "CustomResourceDefinition",
            GROUP,
            PLURAL,
            meta::name(crd),
            causes,
        ));
    }
    let now = meta::now_timestamp();
    let condition = |type_: &str, reason: &str, message: &str| {
        json!({"type": type_, "status": "True", "lastTransitionTime": now,
               "reason": reason, "message": message})
    };
    let storage: Vec<Value> = crd["spec"]["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["storage"].as_bool() == Some(true))
        .map(|v| v["name"].clone())
        .collect();
    let mut stored_versions = crd
        .pointer("/status/storedVersions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for v in storage {
        if !stored_versions.contains(&v) {
            stored_versions.push(v);
        }
    }
    crd["status"] = json!({
        "acceptedNames": crd["spec"]["names"].clone(),
        "conditions": [
            condition("NamesAccepted", "NoConflicts", "no conflicts found"),
            condition(
                "Established",
                "InitialNamesAccepted",
                "the initial names have been accepted"
            ),
        ],
        "storedVersions": stored_versions,
    });
    Ok(())
}

fn check(crd: &Value) -> Vec<Cause> {
    let spec = &crd["spec"];
    let mut causes = Vec::new();
    let group = spec["group"].as_str().unwrap_or_default();
    let plural = spec
        .pointer("/names/plural")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let required = |field: &str| Cause::new("FieldValueRequired", field, "Required value");
    if group.is_empty() {
        causes.push(required("spec.group"));
    }
    if plural.is_empty() {
        causes.push(required("spec.names.plural"));
    }
    if spec
        .pointer("/names/kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .is_empty()
    {
        causes.push(required("spec.names.kind"));
    }
    let expected = format!("{plural}.{group}");
    if meta::name(crd) != expected {
        let message = format!(
            "Invalid value: \"{}\": must be spec.names.plural+\".\"+spec.group",
            meta::name(crd)
        );
        causes.push(Cause::new("FieldValueInvalid", "metadata.name", message));
    }
    if !matches!(spec["scope"].as_str(), Some("Cluster" | "Namespaced")) {
        let message = "Unsupported value: must be one of \"Cluster\", \"Namespaced\"";
        causes.push(Cause::new("FieldValueNotSupported", "spec.scope", message));
    }
    let versions = spec["versions"].as_array().cloned().unwrap_or_default();
    if versions.is_empty() {
        causes.push(required("spec.versions"));
    }
    for (i, version) in versions.iter().enumerate() {
        let Some(schema) = version.pointer("/schema/openAPIV3Schema") else {
            continue;
        };
        for problem in StructuralSchema::new(schema.clone()).problems() {
            let field = format!("spec.versions[{i}].schema.openAPIV3Schema");
            causes.push(Cause::new("FieldValueInvalid", field, problem));
        }
    }
    for (i, version) in versions.iter().enumerate() {
        causes.extend(printer_column_problems(i, version));
    }
    let storage_count = versions
        .iter()
        .filter(|v| v["storage"].as_bool() == Some(true))
        .count();
    if !versions.is_empty() && storage_count != 1 {
        let message = "Invalid value: must have exactly one version marked as storage version";
        causes.push(Cause::new("FieldValueInvalid", "spec.versions", message));
    }
    causes
}

/// kube-apiserver refuses printer-column paths that do not start with `.` or do not parse.
fn printer_column_problems(index: usize, version: &Value) -> Vec<Cause> {
    let columns = version["additionalPrinterColumns"].as_array();
    let paths = columns
        .into_iter()
        .flatten()
        .map(|c| c["jsonPath"].as_str());
    paths
        .enumerate()
        .filter_map(|(j, path)| {
            let field = format!("spec.versions[{index}].additionalPrinterColumns[{j}].jsonPath");
            let message = match path {
                None => return Some(Cause::new("FieldValueRequired", field, "Required value")),
                Some(p) if !p.starts_with('.') => {
                    format!("Invalid value: {p:?}: must be a simple json path starting with .")
                }
                Some(p) => {
                    let problem = KubePath::parse(p).err()?;
                    format!("Invalid value: {p:?}: must be a simple json path: {problem}")
                }
            };
            Some(Cause::new("FieldValueInvalid", field, message))
        })
        .collect()
}

fn crd_key() -> crate::resources::ResourceKey {
    crate::resources::ResourceKey {
        group: GROUP.into(),
        plural: PLURAL.into(),
    }
}

/// Rebuilds the served resources from the stored CRDs.
pub fn refresh_registry(state: &mut crate::store::State) {
    let key = crd_key();
    let registry =
        crate::registry::Registry::new(state.collection(&key).into_iter().flat_map(|c| c.values()));
    state.registry = registry;
}

/// A CRD is gone: its custom resources go with it (each emits a DELETED event).
pub fn drop_resources(state: &mut crate::store::State, crd: &Value) {
    let group = crd["spec"]["group"].as_str().unwrap_or_default();
    let plural = crd
        .pointer("/spec/names/plural")
        .and_then(Value::as_str)
        .unwrap_or_default();
    state.remove_collection(&crate::resources::ResourceKey {
        group: group.into(),
        plural: plural.into(),
    });
    refresh_registry(state);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        json!({"metadata": {"name": "widgets.example.com"}, "spec": {
        "group": "example.com", "scope": "Namespaced",
        "names": {"kind": "Widget", "plural": "widgets", "shortNames": ["wd"]},
        "versions": [
            {"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
             "schema": {"openAPIV3Schema": {"type": "object"}}},
            {"name": "v1beta1", "served": true, "storage": false},
            {"name": "v1alpha1", "served": false, "storage": false}
        ]}})
    }

    #[test]
    fn served_versions_become_descriptors() {
        let d = descriptors(&sample());
        assert_eq!(d.len(), 2);
        assert!(d[0].storage && d[0].status_subresource && d[0].namespaced);
        assert_eq!(d[1].version, "v1beta1");
        assert_eq!(d[0].columns[0].name, "Age");
    }

    #[test]
    fn admit_sets_established_and_rejects_bad_names() {
        let mut crd = sample();
        admit(&mut crd).unwrap();
        assert_eq!(crd["status"]["conditions"][1]["type"], "Established");
        assert_eq!(crd["status"]["storedVersions"], json!(["v1"]));

        let mut bad = sample();
        bad["metadata"]["name"] = json!("wrong");
        let err = admit(&mut bad).unwrap_err();
        assert_eq!(err.code_and_reason().0, 422);
    }

    #[test]
    fn admit_rejects_printer_columns_that_do_not_parse() {
        let mut crd = sample();
        crd["spec"]["versions"][0]["additionalPrinterColumns"] = json!([
            {"name": "Ready", "type": "string",
             "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"},
            {"name": "Bad", "type": "string", "jsonPath": ".status.conditions[0"},
            {"name": "Rel", "type": "string", "jsonPath": "status.phase"},
        ]);
        let causes = check(&crd);
        let fields: Vec<&str> = causes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "spec.versions[0].additionalPrinterColumns[1].jsonPath",
                "spec.versions[0].additionalPrinterColumns[2].jsonPath"
            ]
        );
    }
}
