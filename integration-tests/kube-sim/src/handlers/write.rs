//! create, update (PUT) and patch, for the main resource and the status subresource.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::{Request, body, json_response, namespaces};
use crate::error::{Error, Result};
use crate::lifecycle::{self, Part};
use crate::meta;
use crate::resources::ResourceDescriptor;
use crate::server::App;
use crate::store::State;
use crate::{aggregation, auth, crd, fieldmanager, patch, validation};

pub fn create(app: &Arc<App>, req: &Request) -> Result<Response> {
    if req.path.subresource.is_some() {
        return Err(Error::MethodNotAllowed(
            "create is not supported on subresources".into(),
        ));
    }
    let obj = body::object(req.header("content-type"), &req.body)?;
    create_object(app, req, obj, false)
}

/// Who owns the fields a write changes: `fieldManager`, else the client's user-agent name.
fn manager(req: &Request) -> String {
    if !req.params.field_manager.is_empty() {
        return req.params.field_manager.clone();
    }
    let agent = req
        .header("user-agent")
        .split('/')
        .next()
        .unwrap_or("")
        .trim();
    if agent.is_empty() {
        "unknown".into()
    } else {
        agent.to_string()
    }
}

fn writer<'a>(req: &'a Request, manager: &'a str) -> fieldmanager::Writer<'a> {
    fieldmanager::Writer {
        manager,
        subresource: req.path.subresource.as_deref().unwrap_or_default(),
    }
}

/// Creates `obj` (a create body, or the object of an apply to a missing name).
fn create_object(app: &Arc<App>, req: &Request, mut obj: Value, applied: bool) -> Result<Response> {
    lifecycle::check_type(&req.desc, &mut obj)?;
    if req.desc.plural == "selfsubjectaccessreviews" {
        let review = crate::rbac::self_subject_access_review(&app.store.lock(), &req.user, obj)?;
        return Ok(json_response(StatusCode::CREATED, &review));
    }
    if req.desc.plural == "tokenreviews" {
        return Ok(json_response(
            StatusCode::CREATED,
            &auth::review_token(&app.config, &app.issued, obj),
        ));
    }
    lifecycle::prepare_create(&req.desc, &req.path.namespace, &mut obj)?;
    crate::defaults::apply(&req.desc, &mut obj);
    let sent = obj.clone();
    validation::admit(&req.desc, &mut obj, req.params.field_validation, None)?;
    let manager = manager(req);
    if applied {
        let empty = serde_json::json!({});
        obj = fieldmanager::apply(
            &req.desc,
            &empty,
            &sent,
            obj,
            writer(req, &manager),
            req.params.force,
        )?;
    } else {
        fieldmanager::record_update(&req.desc, None, &mut obj, writer(req, &manager));
    }
    if crd::is_crd(&req.desc) {
        crd::admit(&mut obj)?;
    }
    namespaces::prepare_create(&req.desc, &mut obj);

    let mut state = app.store.lock();
    namespaces::check_accepts_writes(&state, &req.desc, &req.path.namespace)?;
    resolve_name(&state, &req.desc, &mut obj)?;
    if req.params.dry_run {
        return Ok(json_response(
            StatusCode::CREATED,
            &super::present(&req.desc, obj),
        ));
    }
    let obj = to_storage(&state, &req.desc, obj);
    let stored = state.insert(&req.desc.key(), obj);
    after_write(&mut state, &req.desc, &stored);
    Ok(json_response(
        StatusCode::CREATED,
        &super::present(&req.desc, stored),
    ))
}

/// Picks a free name for `generateName`, or fails with AlreadyExists for a taken name.
fn resolve_name(state: &State, desc: &ResourceDescriptor, obj: &mut Value) -> Result<()> {
    let namespace = meta::namespace(obj).to_string();
    let taken = |name: &str| state.get(&desc.key(), &namespace, name).is_some();
    let name = meta::name(obj).to_string();
    if !name.is_empty() {
        if taken(&name) {
            return Err(Error::already_exists(&desc.group, &desc.plural, &name));
        }
        return Ok(());
    }
    let prefix = obj
        .pointer("/metadata/generateName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    for _ in 0..8 {
        let candidate = lifecycle::generated_name(&prefix);
        if !taken(&candidate) {
            lifecycle::check_name(desc, &candidate)?;
            meta::metadata_mut(obj).insert("name".into(), Value::String(candidate));
            return Ok(());
        }
    }
    Err(Error::already_exists(&desc.group, &desc.plural, &prefix))
}

pub fn update(app: &Arc<App>, req: &Request) -> Result<Response> {
    let mut new = body::object(req.header("content-type"), &req.body)?;
    lifecycle::check_type(&req.desc, &mut new)?;
    check_identity(req, &new)?;
    let mut state = app.store.lock();
    let stored = stored_object(&state, req)?;
    let result = finish_update(&mut state, req, &stored, new, false)?;
    Ok(json_response(
        StatusCode::OK,
        &super::present(&req.desc, result),
    ))
}

pub fn patch(app: &Arc<App>, req: &Request) -> Result<Response> {
    let content_type = req.header("content-type").to_string();
    let mut state = app.store.lock();
    let Some(stored) = state
        .get(&req.desc.key(), &req.path.namespace, name(req))
        .cloned()
    else {
        drop(state);
        if !patch::is_apply(&content_type) || req.path.subresource.is_some() {
            return Err(Error::not_found(
                &req.desc.group,
                &req.desc.plural,
                name(req),
            ));
        }
        let obj = patch::applied_object(&req.body, &req.params)?;
        check_identity(req, &obj)?;
        return create_object(app, req, obj, true);
    };
    let current = super::present(&req.desc, stored.clone());
    let manager = manager(req);
    let mut new = patch::apply(
        &req.desc,
        &current,
        &content_type,
        &req.body,
        &req.params,
        writer(req, &manager),
    )?;
    lifecycle::check_type(&req.desc, &mut new)?;
    check_identity(req, &new)?;
    let applied = patch::is_apply(&content_type);
    let result = finish_update(&mut state, req, &stored, new, applied)?;
    Ok(json_response(
        StatusCode::OK,
        &super::present(&req.desc, result),
    ))
}

/// The shared tail of update and patch: server rules, validation, ownership (`applied` when
/// a server-side apply already recorded it), then commit.
pub(super) fn finish_update(
    state: &mut State,
    req: &Request,
    stored: &Value,
    new: Value,
    applied: bool,
) -> Result<Value> {
    let part = Part::from_subresource(&req.desc, req.path.subresource.as_deref())?;
    // `stored` has the stored shape; compare and record ownership in that shape.
    let new = match crate::events::is_events_view(&req.desc) {
        true => crate::events::to_core(new),
        false => new,
    };
    let mut result = lifecycle::prepare_update(&req.desc, stored, new, part)?;
    crate::defaults::apply(&req.desc, &mut result);
    validation::admit(
        &req.desc,
        &mut result,
        req.params.field_validation,
        Some(stored),
    )?;
    if applied {
        fieldmanager::forget_removed_fields(&mut result);
    } else {
        let manager = manager(req);
        fieldmanager::record_update(&req.desc, Some(stored), &mut result, writer(req, &manager));
    }
    if crd::is_crd(&req.desc) && part == Part::Main {
        crd::admit(&mut result)?;
    }
    let result = to_storage(state, &req.desc, result);
    Ok(commit_update(
        state,
        &req.desc,
        stored,
        result,
        req.params.dry_run,
    ))
}

fn check_identity(req: &Request, new: &Value) -> Result<()> {
    let body_name = meta::name(new);
    if !body_name.is_empty() && body_name != name(req) {
        return Err(Error::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({})",
            name(req)
        )));
    }
    let body_ns = meta::namespace(new);
    if req.desc.namespaced && !body_ns.is_empty() && body_ns != req.path.namespace {
        return Err(Error::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(())
}

fn name(req: &Request) -> &str {
    req.path.name.as_deref().unwrap_or_default()
}

fn stored_object(state: &State, req: &Request) -> Result<Value> {
    let found = state
        .get(&req.desc.key(), &req.path.namespace, name(req))
        .cloned();
    found.ok_or_else(|| Error::not_found(&req.desc.group, &req.desc.plural, name(req)))
}

/// Stores an update, skipping no-op writes and completing a deletion once the last finalizer
/// is gone. Returns the object as stored (or as it would be, for dry runs).
pub(super) fn commit_update(
    state: &mut State,
    desc: &ResourceDescriptor,
    stored: &Value,
    result: Value,
    dry_run: bool,
) -> Value {
    if meta::same_content(stored, &result) {
        return stored.clone();
    }
    if dry_run {
        return result;
    }
    // Namespaces finish deleting through `namespaces::reconcile`, once they are empty.
    if meta::is_deleting(&result)
        && meta::finalizers(&result).is_empty()
        && !namespaces::is_namespaces(desc)
    {
        let removed = state.remove(&desc.key(), meta::namespace(&result), meta::name(&result));
        let last = removed.unwrap_or(result);
        after_remove(state, desc, &last);
        return last;
    }
    let out = state.replace(&desc.key(), result);
    after_write(state, desc, &out);
    out
}

/// Objects are stored in the storage version; with no conversion webhooks only `apiVersion`
/// differs between versions, except for the events.k8s.io view of core Events.
pub(super) fn to_storage(state: &State, desc: &ResourceDescriptor, mut obj: Value) -> Value {
    if crate::events::is_events_view(desc) {
        obj = crate::events::to_core(obj);
    }
    if let Some(storage) = state.registry.storage(&desc.key()) {
        obj["apiVersion"] = Value::String(storage.api_version());
    }
    obj
}

pub(super) fn after_write(state: &mut State, desc: &ResourceDescriptor, _obj: &Value) {
    if crd::is_crd(desc) {
        crd::refresh_registry(state);
    }
    if aggregation::is_cluster_roles(desc) {
        aggregation::reconcile(state);
    }
}

pub(super) fn after_remove(state: &mut State, desc: &ResourceDescriptor, obj: &Value) {
    if crd::is_crd(desc) {
        crd::drop_resources(state, obj);
    }
    if aggregation::is_cluster_roles(desc) {
        aggregation::reconcile(state);
    }
    crate::gc::collect(state, meta::uid(obj));
    if desc.namespaced {
        namespaces::reconcile(state, meta::namespace(obj));
    }
}
