//! Resource requests: resolve the descriptor, check the verb, and hand over to the read,
//! write, delete or watch handler.

mod body;
mod delete;
mod namespaces;
mod protobuf;
mod read;
mod write;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::auth::User;
use crate::error::{Error, Result};
use crate::path::ResourcePath;
use crate::query::Params;
use crate::rbac::{RequestAttributes, ResourceRequest};
use crate::resources::ResourceDescriptor;
use crate::server::App;

pub use body::object as decode_object;
pub use namespaces::seed_namespaces;

/// Everything a handler needs about one resource request.
pub struct Request {
    pub path: ResourcePath,
    pub desc: ResourceDescriptor,
    pub params: Params,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The authenticated requester.
    pub user: User,
}

impl Request {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub async fn handle(
    app: Arc<App>,
    user: User,
    method: Method,
    path: ResourcePath,
    query: HashMap<String, String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match route(app, user, method, path, query, headers, body).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn route(
    app: Arc<App>,
    user: User,
    method: Method,
    path: ResourcePath,
    query: HashMap<String, String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let params = Params::parse(&query)?;
    let verb = verb(&method, &path, &params)?;
    if app.config.rbac {
        let request = rbac_request(&path, &params, verb);
        crate::rbac::authorize(&app.store.lock(), &app.decisions, &user, &request)?;
    }
    let desc = {
        let state = app.store.lock();
        state
            .registry
            .find(&path.group, &path.version, &path.plural)
            .cloned()
    };
    let desc = desc.ok_or(Error::UnknownPath)?;
    if !desc.allows(verb) {
        return Err(Error::MethodNotAllowed(format!(
            "{verb} is not supported on resources of kind \"{}.{}\"",
            desc.plural, desc.group
        )));
    }
    let req = Request {
        path,
        desc,
        params,
        headers,
        body,
        user,
    };
    if req.path.subresource.as_deref() == Some("token") {
        return service_account_token(&app, &req);
    }
    match verb {
        "watch" => Ok(crate::watch::serve(app, req)),
        "list" => read::list(&app, &req),
        "get" => read::get(&app, &req),
        "create" => write::create(&app, &req),
        "update" => write::update(&app, &req),
        "patch" => write::patch(&app, &req),
        "delete" => delete::delete(&app, &req),
        _ => delete::delete_collection(&app, &req),
    }
}

/// The TokenRequest subresource of an existing ServiceAccount.
fn service_account_token(app: &App, req: &Request) -> Result<Response> {
    let (ns, plural) = (&req.path.namespace, &req.desc.plural);
    let name = req.path.name.as_deref().unwrap_or("");
    if !req.desc.group.is_empty() || plural != "serviceaccounts" {
        return Err(Error::UnknownPath);
    }
    if app.store.lock().get(&req.desc.key(), ns, name).is_none() {
        return Err(Error::not_found("", plural, name));
    }
    let body = if req.body.is_empty() {
        serde_json::json!({})
    } else {
        body::decode(req.header("content-type"), &req.body)?
    };
    let answer = crate::sa_tokens::token_request(&app.issued, ns, name, body)?;
    tracing::info!(namespace = %ns, service_account = name, "service account token issued");
    Ok(json_response(StatusCode::CREATED, &answer))
}

/// RBAC attributes of a resource request. As in kube-apiserver, a namespace is its own
/// namespace, and a list or watch whose field selector names one object names it.
fn rbac_request(path: &ResourcePath, params: &Params, verb: &str) -> RequestAttributes {
    let mut namespace = path.namespace.clone();
    if path.group.is_empty() && path.plural == "namespaces" {
        namespace = path.name.clone().unwrap_or_default();
    }
    let selected = || {
        let mut terms = params.field_selector.split(',');
        let value = |t: &str| t.trim().strip_prefix("metadata.name=").map(str::to_string);
        terms.find_map(|t| value(t).map(|v| v.trim_start_matches('=').to_string()))
    };
    let name = match (&path.name, verb) {
        (Some(name), _) => Some(name.clone()),
        (None, "list" | "watch") => selected(),
        _ => None,
    };
    RequestAttributes::Resource(ResourceRequest {
        verb: verb.into(),
        group: path.group.clone(),
        resource: path.plural.clone(),
        subresource: path.subresource.clone(),
        namespace,
        name,
    })
}

/// The Kubernetes verb of a request, as RBAC would name it.
fn verb(method: &Method, path: &ResourcePath, params: &Params) -> Result<&'static str> {
    let named = path.name.is_some();
    let verb = match (method.as_str(), named) {
        ("GET", _) if params.watch || path.watch_prefix => "watch",
        ("GET", false) => "list",
        ("GET", true) => "get",
        ("POST", false) => "create",
        ("POST", true) if path.subresource.as_deref() == Some("token") => "create",
        ("PUT", true) => "update",
        ("PATCH", true) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        (m, _) => {
            return Err(Error::MethodNotAllowed(format!(
                "the server does not allow this method on the requested resource: {m}"
            )));
        }
    };
    Ok(verb)
}

/// A JSON response with the given status code.
pub fn json_response(code: StatusCode, value: &Value) -> Response {
    (code, axum::Json(value)).into_response()
}

/// An object as served in the request's version (stored objects carry the storage version;
/// the events.k8s.io view renames the stored core Event's fields).
pub fn present(desc: &ResourceDescriptor, mut obj: Value) -> Value {
    if crate::events::is_events_view(desc) {
        obj = crate::events::from_core(obj);
    }
    obj["apiVersion"] = Value::String(desc.api_version());
    obj["kind"] = Value::String(desc.kind.clone());
    obj
}
