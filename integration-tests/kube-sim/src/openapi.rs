//! OpenAPI v3 documents, enough for kubectl: each group/version lists its resource paths with
//! `x-kubernetes-group-version-kind` and the `fieldValidation` parameter on PATCH, which makes
//! kubectl (1.27+) validate on the server instead of client-side. `/openapi/v2` is an empty
//! Swagger document (JSON or protobuf), so the clients that still read it find no models.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use serde_json::{Map, Value, json};

use crate::registry::Registry;
use crate::resources::ResourceDescriptor;

/// `/openapi/v3`: one entry per served group/version, with a content hash.
pub fn index(registry: &Registry) -> Value {
    let mut paths = Map::new();
    for (group, version) in group_versions(registry) {
        let doc = document(registry, &group, &version);
        let mut hasher = DefaultHasher::new();
        doc.to_string().hash(&mut hasher);
        let prefix = prefix(&group, &version);
        let url = format!("/openapi/v3/{prefix}?hash={:016X}", hasher.finish());
        paths.insert(prefix, json!({"serverRelativeURL": url}));
    }
    json!({"paths": paths})
}

fn group_versions(registry: &Registry) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for d in registry.all() {
        let gv = (d.group.clone(), d.version.clone());
        if !out.contains(&gv) {
            out.push(gv);
        }
    }
    out
}

fn prefix(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// The OpenAPI v3 document of one group/version.
pub fn document(registry: &Registry, group: &str, version: &str) -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for d in registry.in_group_version(group, version) {
        let schema_name = schema_name(d);
        schemas.insert(schema_name.clone(), schema(d));
        let reference = json!({"$ref": format!("#/components/schemas/{schema_name}")});
        let base = format!("/{}", prefix(group, version));
        let collection = if d.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}", d.plural)
        } else {
            format!("{base}/{}", d.plural)
        };
        paths.insert(collection.clone(), collection_item(d, &reference));
        paths.insert(format!("{collection}/{{name}}"), object_item(d, &reference));
    }
    let (major, minor) = crate::discovery::KUBE_VERSION;
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": format!("v{major}.{minor}.0")},
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

fn schema_name(d: &ResourceDescriptor) -> String {
    let group = if d.group.is_empty() { "core" } else { &d.group };
    format!("{group}.{}.{}", d.version, d.kind)
}

fn gvk(d: &ResourceDescriptor) -> Value {
    json!({"group": d.group, "version": d.version, "kind": d.kind})
}

/// The CRD schema for custom resources; a permissive object for built-ins, whose fields this
/// server does not model.
fn schema(d: &ResourceDescriptor) -> Value {
    let mut schema = match &d.schema {
        Some(s) => s.raw().clone(),
        None => json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
    };
    if let Some(props) = schema
        .as_object_mut()
        .map(|m| m.entry("properties").or_insert_with(|| json!({})))
    {
        props["apiVersion"] = json!({"type": "string"});
        props["kind"] = json!({"type": "string"});
        props["metadata"] = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true});
    }
    schema["x-kubernetes-group-version-kind"] = json!([gvk(d)]);
    schema
}

fn query_param(name: &str) -> Value {
    json!({"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": true}})
}

fn body_of(reference: &Value, media: &[&str]) -> Value {
    let content: Map<String, Value> = media
        .iter()
        .map(|m| (m.to_string(), json!({"schema": reference})))
        .collect();
    json!({"content": content, "required": true})
}

fn ok(reference: &Value) -> Value {
    json!({"200": {"description": "OK", "content": {"application/json": {"schema": reference}}}})
}

fn operation(d: &ResourceDescriptor, action: &str, reference: &Value, params: &[&str]) -> Value {
    json!({
        "operationId": format!("{action}{}", d.kind),
        "parameters": params.iter().map(|p| query_param(p)).collect::<Vec<_>>(),
        "responses": ok(reference),
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk(d),
    })
}

fn collection_item(d: &ResourceDescriptor, reference: &Value) -> Value {
    let mut post = operation(
        d,
        "post",
        reference,
        &["dryRun", "fieldManager", "fieldValidation"],
    );
    post["requestBody"] = body_of(reference, &["application/json"]);
    let list = operation(
        d,
        "list",
        reference,
        &[
            "labelSelector",
            "fieldSelector",
            "limit",
            "continue",
            "watch",
        ],
    );
    json!({"get": list, "post": post})
}

fn object_item(d: &ResourceDescriptor, reference: &Value) -> Value {
    let write = ["dryRun", "fieldManager", "fieldValidation"];
    let mut put = operation(d, "put", reference, &write);
    put["requestBody"] = body_of(reference, &["application/json"]);
    let mut patch = operation(
        d,
        "patch",
        reference,
        &["dryRun", "fieldManager", "fieldValidation", "force"],
    );
    // Strategic merge patch is served but not advertised: kubectl would then compute its
    // patches from these field-less schemas instead of from its compiled-in types.
    let media = [
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/apply-patch+yaml",
    ];
    patch["requestBody"] = body_of(&json!({"type": "object"}), &media);
    json!({
        "get": operation(d, "get", reference, &[]),
        "put": put,
        "patch": patch,
        "delete": operation(d, "delete", reference, &["dryRun"]),
    })
}

/// Media type kubectl asks `/openapi/v2` for; it decodes nothing else.
pub const V2_PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

/// What the real server answers it with (Go's MIME parser rejects the '@').
pub const V2_PROTOBUF_RESPONSE: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// `/openapi/v2` as JSON: a Swagger 2.0 document without definitions, so clients that read
/// it (kubectl's client-side validation of `v1 List` items) find no model and skip
/// client-side checks; the server validates instead.
pub fn v2_json() -> Value {
    let (major, minor) = crate::discovery::KUBE_VERSION;
    let info = json!({"title": "Kubernetes", "version": format!("v{major}.{minor}.0")});
    json!({"swagger": "2.0", "info": info, "paths": {}})
}

/// The same document as a gnostic `openapi_v2.Document` protobuf message: field 1
/// (`swagger`) and field 2 (`info`, itself fields 1 `title` and 2 `version`).
pub fn v2_protobuf() -> Vec<u8> {
    let (major, minor) = crate::discovery::KUBE_VERSION;
    let mut info = Vec::new();
    length_delimited(&mut info, 1, b"Kubernetes");
    length_delimited(&mut info, 2, format!("v{major}.{minor}.0").as_bytes());
    let mut doc = Vec::new();
    length_delimited(&mut doc, 1, b"2.0");
    length_delimited(&mut doc, 2, &info);
    doc
}

/// Appends a protobuf length-delimited field (wire type 2); fields here are short, so the
/// tag and the length each fit one varint byte.
fn length_delimited(out: &mut Vec<u8>, field: u8, bytes: &[u8]) {
    out.push((field << 3) | 2);
    let mut len = bytes.len();
    while len >= 0x80 {
        out.push((len as u8 & 0x7f) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
    out.extend_from_slice(bytes);
}
