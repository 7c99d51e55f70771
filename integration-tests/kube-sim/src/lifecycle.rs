//! Server-side object rules applied on every write, whatever the resource: naming, identity
//! and timestamps on create; preconditions, immutable fields, status isolation, generation and
//! finalizer rules on update.

use rand::Rng;
use serde_json::{Value, json};

use crate::error::{Cause, Error, Result};
use crate::meta;
use crate::resources::ResourceDescriptor;

/// Which part of the object a write addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Main,
    Status,
}

impl Part {
    pub fn from_subresource(desc: &ResourceDescriptor, sub: Option<&str>) -> Result<Self> {
        match sub {
            None => Ok(Part::Main),
            Some("status") if desc.status_subresource => Ok(Part::Status),
            Some(other) => Err(Error::NotFound(crate::error::Subject {
                group: desc.group.clone(),
                resource: format!("{}/{other}", desc.plural),
                name: String::new(),
            })),
        }
    }
}

/// Checks `apiVersion`/`kind` of a request body, filling them in when missing.
pub fn check_type(desc: &ResourceDescriptor, obj: &mut Value) -> Result<()> {
    let Some(map) = obj.as_object_mut() else {
        return Err(Error::bad_request("the request body must be a JSON object"));
    };
    let want_version = desc.api_version();
    match map.get("apiVersion").and_then(Value::as_str) {
        Some(v) if v != want_version => {
            return Err(Error::bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version \
                 ({want_version})"
            )));
        }
        _ => {}
    }
    match map.get("kind").and_then(Value::as_str) {
        Some(k) if k != desc.kind => {
            return Err(Error::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                desc.kind
            )));
        }
        _ => {}
    }
    map.insert("apiVersion".into(), json!(want_version));
    map.insert("kind".into(), json!(desc.kind));
    Ok(())
}

/// Fills in what the server owns on create. `generateName` is resolved later, under the store
/// lock, by [`generated_name`].
pub fn prepare_create(
    desc: &ResourceDescriptor,
    url_namespace: &str,
    obj: &mut Value,
) -> Result<()> {
    check_namespace(desc, url_namespace, obj)?;
    let name = meta::name(obj).to_string();
    let generate = obj
        .pointer("/metadata/generateName")
        .and_then(Value::as_str)
        .unwrap_or("");
    if name.is_empty() && generate.is_empty() {
        let cause = Cause::new(
            "FieldValueRequired",
            "metadata.name",
            "Required value: name or generateName is required",
        );
        return Err(Error::invalid(
            &desc.kind,
            &desc.group,
            &desc.plural,
            "",
            vec![cause],
        ));
    }
    if !name.is_empty() {
        check_name(desc, &name)?;
    }

    meta::drop_empty_collections(obj);
    let meta = meta::metadata_mut(obj);
    meta.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
    meta.insert("creationTimestamp".into(), json!(meta::now_timestamp()));
    for field in [
        "resourceVersion",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    ] {
        meta.remove(field);
    }
    if desc.tracks_generation {
        meta.insert("generation".into(), json!(1));
    } else {
        meta.remove("generation");
    }
    if desc.status_subresource
        && let Some(map) = obj.as_object_mut()
    {
        map.remove("status");
        if let Some(status) = &desc.initial_status {
            map.insert("status".into(), status.clone());
        }
    }
    Ok(())
}

fn check_namespace(desc: &ResourceDescriptor, url_namespace: &str, obj: &mut Value) -> Result<()> {
    let body_ns = meta::namespace(obj).to_string();
    let meta = meta::metadata_mut(obj);
    if !desc.namespaced {
        meta.remove("namespace");
        return Ok(());
    }
    if url_namespace.is_empty() {
        return Err(Error::bad_request(
            "a namespace must be given in the request path for a namespaced resource",
        ));
    }
    if !body_ns.is_empty() && body_ns != url_namespace {
        return Err(Error::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    meta.insert("namespace".into(), json!(url_namespace));
    Ok(())
}

/// Names must be DNS-1123 subdomains (namespaces: DNS-1123 labels), as kube-apiserver checks.
pub fn check_name(desc: &ResourceDescriptor, name: &str) -> Result<()> {
    let label_only = desc.plural == "namespaces" && desc.group.is_empty();
    let max = if label_only { 63 } else { 253 };
    let parts_ok = name.split('.').all(|part| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !part.starts_with('-')
            && !part.ends_with('-')
    });
    let ok = name.len() <= max && parts_ok && !(label_only && name.contains('.'));
    if ok {
        return Ok(());
    }
    let what = if label_only {
        "RFC 1123 label"
    } else {
        "RFC 1123 subdomain"
    };
    let message = format!(
        "Invalid value: \"{name}\": a lowercase {what} must consist of lower case alphanumeric \
         characters, '-' or '.', and must start and end with an alphanumeric character"
    );
    let cause = Cause::new("FieldValueInvalid", "metadata.name", message);
    Err(Error::invalid(
        &desc.kind,
        &desc.group,
        &desc.plural,
        name,
        vec![cause],
    ))
}

/// `generateName` plus five random characters from the alphabet kube-apiserver uses.
pub fn generated_name(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::rng();
    let suffix: String = (0..5)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    let max_prefix = 253 - 5;
    let prefix = if prefix.len() > max_prefix {
        &prefix[..max_prefix]
    } else {
        prefix
    };
    format!("{prefix}{suffix}")
}

/// Builds the object to store from an update of `stored` to `new`. Errors: 409 on a stale
/// resourceVersion, 422 when a resourceVersion is required but missing or when finalizers are
/// added to an object being deleted.
pub fn prepare_update(
    desc: &ResourceDescriptor,
    stored: &Value,
    mut new: Value,
    part: Part,
) -> Result<Value> {
    let name = meta::name(stored).to_string();
    check_precondition(desc, stored, &new, &name)?;

    let mut result = match part {
        Part::Main => {
            if desc.status_subresource {
                copy_field(stored, &mut new, "status");
            }
            new
        }
        Part::Status => {
            let mut merged = stored.clone();
            copy_field(&new, &mut merged, "status");
            if let Some(mf) = new.pointer("/metadata/managedFields") {
                meta::metadata_mut(&mut merged).insert("managedFields".into(), mf.clone());
            }
            merged
        }
    };
    meta::keep_server_fields(stored, &mut result);
    meta::drop_empty_collections(&mut result);
    if desc.tracks_generation {
        meta::bump_generation(stored, &mut result);
    }
    check_new_finalizers(desc, stored, &result)?;
    Ok(result)
}

fn check_precondition(
    desc: &ResourceDescriptor,
    stored: &Value,
    new: &Value,
    name: &str,
) -> Result<()> {
    let requested = meta::resource_version(new);
    if requested.is_empty() {
        if desc.schema.is_some() {
            let cause = Cause::new(
                "FieldValueInvalid",
                "metadata.resourceVersion",
                "Invalid value: 0x0: must be specified for an update",
            );
            return Err(Error::invalid(
                &desc.kind,
                &desc.group,
                &desc.plural,
                name,
                vec![cause],
            ));
        }
        return Ok(());
    }
    if requested != meta::resource_version(stored) {
        return Err(Error::stale(&desc.group, &desc.plural, name));
    }
    let new_uid = meta::uid(new);
    if !new_uid.is_empty() && new_uid != meta::uid(stored) {
        let message = format!(
            "Precondition failed: UID in precondition: {new_uid}, UID in object meta: {}",
            meta::uid(stored)
        );
        return Err(Error::conflict(&desc.group, &desc.plural, name, message));
    }
    Ok(())
}

fn copy_field(from: &Value, to: &mut Value, field: &str) {
    let Some(map) = to.as_object_mut() else {
        return;
    };
    match from.get(field) {
        Some(v) => map.insert(field.into(), v.clone()),
        None => map.remove(field),
    };
}

fn check_new_finalizers(desc: &ResourceDescriptor, stored: &Value, result: &Value) -> Result<()> {
    if !meta::is_deleting(stored) {
        return Ok(());
    }
    let old = meta::finalizers(stored);
    let added: Vec<String> = meta::finalizers(result)
        .into_iter()
        .filter(|f| !old.contains(f))
        .collect();
    if added.is_empty() {
        return Ok(());
    }
    let message = format!(
        "Forbidden: no new finalizers can be added if the object is being deleted, found new \
         finalizers {added:?}"
    );
    let cause = Cause::new("FieldValueForbidden", "metadata.finalizers", message);
    Err(Error::invalid(
        &desc.kind,
        &desc.group,
        &desc.plural,
        meta::name(stored),
        vec![cause],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::builtin_descriptors;

    fn desc(plural: &str) -> ResourceDescriptor {
        builtin_descriptors()
            .into_iter()
            .find(|d| d.plural == plural)
            .unwrap()
    }

    #[test]
    fn update_keeps_status_and_bumps_generation_only_for_spec_changes() {
        let d = desc("deployments");
        let stored = json!({
            "metadata": {"name": "a", "resourceVersion": "5", "generation": 3, "uid": "u"},
            "spec": {"replicas": 1}, "status": {"ready": 1}});
        let new = json!({"metadata": {"name": "a", "resourceVersion": "5", "labels": {"x": "y"}},
            "spec": {"replicas": 1}, "status": {"ready": 9}});
        let out = prepare_update(&d, &stored, new, Part::Main).unwrap();
        assert_eq!(out["status"]["ready"], 1);
        assert_eq!(out["metadata"]["generation"], 3);
        assert_eq!(out["metadata"]["uid"], "u");

        let new = json!({"metadata": {"name": "a"}, "spec": {"replicas": 2}});
        let out = prepare_update(&d, &stored, new, Part::Main).unwrap();
        assert_eq!(out["metadata"]["generation"], 4);
    }

    #[test]
    fn empty_metadata_collections_are_not_kept() {
        let d = desc("configmaps");
        let stored =
            json!({"metadata": {"name": "a", "resourceVersion": "5", "labels": {"x": "y"}}});
        let new = json!({"metadata": {"name": "a", "annotations": {}, "labels": {"x": "y"},
            "finalizers": [], "ownerReferences": null}});
        let out = prepare_update(&d, &stored, new, Part::Main).unwrap();
        assert_eq!(out["metadata"].get("annotations"), None);
        assert_eq!(out["metadata"].get("finalizers"), None);
        assert_eq!(out["metadata"].get("ownerReferences"), None);
        assert_eq!(out["metadata"]["labels"], json!({"x": "y"}));

        let mut created = json!({"metadata": {"name": "b", "labels": {}}});
        prepare_create(&d, "default", &mut created).unwrap();
        assert_eq!(created["metadata"].get("labels"), None);
    }

    #[test]
    fn stale_resource_version_conflicts() {
        let d = desc("configmaps");
        let stored = json!({"metadata": {"name": "a", "resourceVersion": "5"}});
        let new = json!({"metadata": {"name": "a", "resourceVersion": "4"}});
        let err = prepare_update(&d, &stored, new, Part::Main).unwrap_err();
        assert_eq!(err.code_and_reason(), (409, "Conflict"));
    }

    #[test]
    fn names_are_checked_like_dns_subdomains() {
        assert!(check_name(&desc("configmaps"), "a.b-c").is_ok());
        assert!(check_name(&desc("configmaps"), "Upper").is_err());
        assert!(check_name(&desc("namespaces"), "a.b").is_err());
        assert_eq!(generated_name("x-").len(), 7);
    }
}
