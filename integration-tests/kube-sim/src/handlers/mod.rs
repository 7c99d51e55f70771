//! Resource requests: resolve the descriptor, check the verb, and hand over to the read,
//! write, delete or watch handler.

mod body;
mod delete;
mod namespaces;
mod read;
mod write;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::path::ResourcePath;
use crate::query::Params;
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
    method: Method,
    path: ResourcePath,
    query: HashMap<String, String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match route(app, method, path, query, headers, body).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn route(
    app: Arc<App>,
    method: Method,
    path: ResourcePath,
    query: HashMap<String, String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let params = Params::parse(&query)?;
    let desc = {
        let state = app.store.lock();
        state
            .registry
            .find(&path.group, &path.version, &path.plural)
            .cloned()
    };
    let desc = desc.ok_or(Error::UnknownPath)?;
    let verb = verb(&method, &path, &params)?;
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
    };
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

/// The Kubernetes verb of a request, as RBAC would name it.
fn verb(method: &Method, path: &ResourcePath, params: &Params) -> Result<&'static str> {
    let named = path.name.is_some();
    let verb = match (method.as_str(), named) {
        ("GET", _) if params.watch || path.watch_prefix => "watch",
        ("GET", false) => "list",
        ("GET", true) => "get",
        ("POST", false) => "create",
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

/// An object as served in the request's version (stored objects carry the storage version).
pub fn present(desc: &ResourceDescriptor, mut obj: Value) -> Value {
    obj["apiVersion"] = Value::String(desc.api_version());
    obj["kind"] = Value::String(desc.kind.clone());
    obj
}
