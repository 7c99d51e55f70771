//! The crate's one error type, shaped after `metav1.Status` so that every failure a client can
//! cause reaches it as the same `reason`/`code` pair kube-apiserver would send.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One field-level problem inside an `Invalid` error (`details.causes[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// Machine reason such as `FieldValueRequired` or `FieldValueInvalid`.
    pub reason: String,
    /// Human text, without the field path.
    pub message: String,
    /// Dotted field path, e.g. `spec.source`.
    pub field: String,
}

impl Cause {
    pub fn new(reason: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            message: message.into(),
            field: field.into(),
        }
    }
}

/// Identifies the object an error is about (`details.group/kind/name`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subject {
    pub group: String,
    /// Plural resource name, which is what kube-apiserver puts in `details.kind`.
    pub resource: String,
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The object or collection does not exist (404 NotFound).
    #[error("{} \"{}\" not found", qualified(&.0.resource, &.0.group), .0.name)]
    NotFound(Subject),
    /// A create named an object that already exists (409 AlreadyExists).
    #[error("{} \"{}\" already exists", qualified(&.0.resource, &.0.group), .0.name)]
    AlreadyExists(Subject),
    /// A write carried a stale resourceVersion or failed a precondition (409 Conflict).
    #[error("Operation cannot be fulfilled on {} \"{}\": {message}",
        qualified(&subject.resource, &subject.group), subject.name)]
    Conflict {
        subject: Subject,
        message: String,
        causes: Vec<Cause>,
    },
    /// The object failed validation (422 Invalid); `causes` names each bad field.
    #[error("{kind} \"{}\" is invalid: {}", subject.name, join_causes(causes))]
    Invalid {
        kind: String,
        subject: Subject,
        causes: Vec<Cause>,
    },
    /// The request itself is malformed (400 BadRequest).
    #[error("{0}")]
    BadRequest(String),
    /// The verb is not served for this resource (405 MethodNotAllowed).
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The requested resourceVersion or continue token is older than the retained history.
    #[error("{0}")]
    Gone(String),
    /// The request carries no valid credentials (401 Unauthorized).
    #[error("Unauthorized")]
    Unauthorized,
    /// The request is refused for policy reasons (403 Forbidden).
    #[error("{0}")]
    Forbidden(String),
    /// RBAC refused the request (403 Forbidden); `reason` is the authorizer's sentence.
    #[error("{}", denied_message(subject, reason))]
    Denied { subject: Subject, reason: String },
    /// The URL names no resource this server serves (404 NotFound, no details).
    #[error("the server could not find the requested resource")]
    UnknownPath,
    /// The media type of the body is not accepted (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A resourceVersion newer than anything stored (504 Timeout, like the real server).
    #[error("Too large resource version: {requested}, current: {current}")]
    TooLargeResourceVersion { requested: u64, current: u64 },
    /// Server start-up failed: could not bind, or could not write the kubeconfig.
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

fn qualified(resource: &str, group: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

fn join_causes(causes: &[Cause]) -> String {
    let parts: Vec<String> = causes
        .iter()
        .map(|c| {
            if c.field.is_empty() {
                c.message.clone()
            } else {
                format!("{}: {}", c.field, c.message)
            }
        })
        .collect();
    if parts.len() == 1 {
        parts[0].clone()
    } else {
        format!("[{}]", parts.join(", "))
    }
}

impl Error {
    pub fn not_found(group: &str, resource: &str, name: &str) -> Self {
        Error::NotFound(Subject {
            group: group.into(),
            resource: resource.into(),
            name: name.into(),
        })
    }

    pub fn already_exists(group: &str, resource: &str, name: &str) -> Self {
        let subject = Subject {
            group: group.into(),
            resource: resource.into(),
            name: name.into(),
        };
        Error::AlreadyExists(subject)
    }

    pub fn conflict(group: &str, resource: &str, name: &str, message: impl Into<String>) -> Self {
        let subject = Subject {
            group: group.into(),
            resource: resource.into(),
            name: name.into(),
        };
        Error::Conflict {
            subject,
            message: message.into(),
            causes: Vec::new(),
        }
    }

    /// The standard message for a stale resourceVersion on update.
    pub fn stale(group: &str, resource: &str, name: &str) -> Self {
        let text = "the object has been modified; please apply your changes to the latest version \
                    and try again";
        Self::conflict(group, resource, name, text)
    }

    pub fn invalid(
        kind: &str,
        group: &str,
        resource: &str,
        name: &str,
        causes: Vec<Cause>,
    ) -> Self {
        let subject = Subject {
            group: group.into(),
            resource: resource.into(),
            name: name.into(),
        };
        Error::Invalid {
            kind: kind.into(),
            subject,
            causes,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::BadRequest(message.into())
    }

    /// HTTP status code and `Status.reason`.
    pub fn code_and_reason(&self) -> (u16, &'static str) {
        match self {
            Error::NotFound(_) | Error::UnknownPath => (404, "NotFound"),
            Error::AlreadyExists(_) => (409, "AlreadyExists"),
            Error::Conflict { .. } => (409, "Conflict"),
            Error::Invalid { .. } => (422, "Invalid"),
            Error::BadRequest(_) => (400, "BadRequest"),
            Error::MethodNotAllowed(_) => (405, "MethodNotAllowed"),
            Error::Gone(_) => (410, "Expired"),
            Error::Forbidden(_) | Error::Denied { .. } => (403, "Forbidden"),
            Error::Unauthorized => (401, "Unauthorized"),
            Error::UnsupportedMediaType(_) => (415, "UnsupportedMediaType"),
            Error::TooLargeResourceVersion { .. } => (504, "Timeout"),
            Error::Io { .. } => (500, "InternalError"),
        }
    }

    /// The `metav1.Status` object kube-apiserver would send for this error.
    pub fn to_status(&self) -> Value {
        let (code, reason) = self.code_and_reason();
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.to_string(),
            "reason": reason,
            "code": code,
        });
        if let Some(details) = self.details() {
            status["details"] = details;
        }
        status
    }

    fn details(&self) -> Option<Value> {
        match self {
            Error::NotFound(s) | Error::AlreadyExists(s) => Some(subject_details(s)),
            Error::Conflict {
                subject, causes, ..
            } => {
                let mut d = subject_details(subject);
                if !causes.is_empty() {
                    d["causes"] = causes_json(causes);
                }
                Some(d)
            }
            Error::Invalid {
                subject, causes, ..
            } => {
                let mut d = subject_details(subject);
                d["kind"] = Value::String(self.invalid_kind().to_string());
                d["causes"] = causes_json(causes);
                Some(d)
            }
            Error::Denied { subject, .. } => Some(denied_details(subject)),
            Error::TooLargeResourceVersion { .. } => Some(json!({
                "causes": [
                    {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
                ],
                "retryAfterSeconds": 1
            })),
            _ => None,
        }
    }

    fn invalid_kind(&self) -> &str {
        match self {
            Error::Invalid { kind, .. } => kind,
            _ => "",
        }
    }
}

fn causes_json(causes: &[Cause]) -> Value {
    let each = |c: &Cause| json!({"reason": c.reason, "message": c.message, "field": c.field});
    causes.iter().map(each).collect()
}

/// kube-apiserver's `NewForbidden` wording: `RESOURCE[.GROUP] ["NAME"] is forbidden: ...`,
/// or `forbidden: ...` for non-resource URLs.
fn denied_message(subject: &Subject, reason: &str) -> String {
    if subject.resource.is_empty() {
        return format!("forbidden: {reason}");
    }
    let resource = qualified(&subject.resource, &subject.group);
    if subject.name.is_empty() {
        format!("{resource} is forbidden: {reason}")
    } else {
        format!("{resource} {:?} is forbidden: {reason}", subject.name)
    }
}

fn denied_details(s: &Subject) -> Value {
    let mut d = json!({"group": s.group, "kind": s.resource});
    if !s.name.is_empty() {
        d["name"] = Value::String(s.name.clone());
    }
    d
}

fn subject_details(s: &Subject) -> Value {
    let mut d = json!({"name": s.name, "kind": s.resource});
    if !s.group.is_empty() {
        d["group"] = Value::String(s.group.clone());
    }
    d
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (code, _) = self.code_and_reason();
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(self.to_status())).into_response()
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
