//! delete and deletecollection: preconditions, finalizers with `deletionTimestamp`, and
//! namespace termination.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::write::{after_remove, commit_update};
use super::{Request, body, json_response, namespaces};
use crate::error::{Error, Result};
use crate::meta;
use crate::resources::ResourceDescriptor;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::server::App;
use crate::store::State;

/// The parts of `DeleteOptions` this server honours.
#[derive(Debug, Default)]
struct Options {
    uid: String,
    resource_version: String,
    dry_run: bool,
    /// `propagationPolicy: Orphan` (body) or `propagationPolicy=Orphan` (query).
    orphan: bool,
}

fn options(req: &Request) -> Result<Options> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Options {
            dry_run: req.params.dry_run,
            orphan: req.params.propagation_policy == "Orphan",
            ..Options::default()
        });
    }
    let opts = body::object(req.header("content-type"), &req.body)?;
    let text = |p: &str| {
        opts.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let body_dry_run = opts["dryRun"]
        .as_array()
        .is_some_and(|a| a.iter().any(|v| v == "All"));
    Ok(Options {
        uid: text("/preconditions/uid"),
        resource_version: text("/preconditions/resourceVersion"),
        dry_run: req.params.dry_run || body_dry_run,
        orphan: req.params.propagation_policy == "Orphan" || text("/propagationPolicy") == "Orphan",
    })
}

pub fn delete(app: &Arc<App>, req: &Request) -> Result<Response> {
    if req.path.subresource.is_some() {
        return Err(Error::MethodNotAllowed(
            "delete is not supported on subresources".into(),
        ));
    }
    let opts = options(req)?;
    let name = req.path.name.as_deref().unwrap_or_default();
    let mut state = app.store.lock();
    let stored = state
        .get(&req.desc.key(), &req.path.namespace, name)
        .cloned();
    let stored = stored.ok_or_else(|| Error::not_found(&req.desc.group, &req.desc.plural, name))?;
    check_preconditions(&req.desc, &stored, &opts)?;
    if opts.orphan && !opts.dry_run {
        crate::gc::orphan(&mut state, meta::uid(&stored));
    }
    let result = delete_object(&mut state, &req.desc, stored, opts.dry_run);
    Ok(json_response(
        StatusCode::OK,
        &super::present(&req.desc, result),
    ))
}

fn check_preconditions(desc: &ResourceDescriptor, stored: &Value, opts: &Options) -> Result<()> {
    let name = meta::name(stored);
    if !opts.uid.is_empty() && opts.uid != meta::uid(stored) {
        let message = format!(
            "Precondition failed: UID in precondition: {}, UID in object meta: {}",
            opts.uid,
            meta::uid(stored)
        );
        return Err(Error::conflict(&desc.group, &desc.plural, name, message));
    }
    if !opts.resource_version.is_empty() && opts.resource_version != meta::resource_version(stored)
    {
        let message = format!(
            "Precondition failed: ResourceVersion in precondition: {}, \
             ResourceVersion in object meta: {}",
            opts.resource_version,
            meta::resource_version(stored)
        );
        return Err(Error::conflict(&desc.group, &desc.plural, name, message));
    }
    Ok(())
}

/// Deletes one object: immediately when it has no finalizers, otherwise by setting
/// `deletionTimestamp` and leaving removal to whoever owns the finalizers.
pub(super) fn delete_object(
    state: &mut State,
    desc: &ResourceDescriptor,
    stored: Value,
    dry_run: bool,
) -> Value {
    let is_namespace = namespaces::is_namespaces(desc);
    if meta::finalizers(&stored).is_empty() && !is_namespace {
        if dry_run {
            return stored;
        }
        let removed = state.remove(&desc.key(), meta::namespace(&stored), meta::name(&stored));
        let last = removed.unwrap_or(stored);
        after_remove(state, desc, &last);
        return last;
    }
    if meta::is_deleting(&stored) {
        return stored;
    }
    let mut marked = stored.clone();
    let meta = meta::metadata_mut(&mut marked);
    meta.insert("deletionTimestamp".into(), json!(meta::now_timestamp()));
    meta.insert("deletionGracePeriodSeconds".into(), json!(0));
    if is_namespace {
        marked["status"]["phase"] = json!("Terminating");
    }
    let result = commit_update(state, desc, &stored, marked, dry_run);
    if is_namespace && !dry_run {
        namespaces::reconcile(state, meta::name(&result));
        return state
            .get(&desc.key(), "", meta::name(&result))
            .cloned()
            .unwrap_or(result);
    }
    result
}

pub fn delete_collection(app: &Arc<App>, req: &Request) -> Result<Response> {
    let opts = options(req)?;
    let labels = LabelSelector::parse(&req.params.label_selector)?;
    let fields = FieldSelector::for_resource(&req.params.field_selector, &req.desc)?;
    let mut state = app.store.lock();
    let targets: Vec<Value> = state
        .collection(&req.desc.key())
        .into_iter()
        .flat_map(|c| c.values())
        .filter(|v| req.path.namespace.is_empty() || meta::namespace(v) == req.path.namespace)
        .filter(|v| labels.matches(v) && fields.matches(v))
        .cloned()
        .collect();
    let items: Vec<Value> = targets
        .into_iter()
        .map(|obj| {
            super::present(
                &req.desc,
                delete_object(&mut state, &req.desc, obj, opts.dry_run),
            )
        })
        .collect();
    let list = json!({
        "kind": format!("{}List", req.desc.kind),
        "apiVersion": req.desc.api_version(),
        "metadata": {"resourceVersion": state.current_rv().to_string()},
        "items": items,
    });
    Ok(json_response(StatusCode::OK, &list))
}
