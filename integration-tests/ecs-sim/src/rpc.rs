//! The ECS/STS front door: what happens to one RPC request, in ECS's order.
//!
//! # Flow
//! 1. Read parameters from the query string and a form body; find the action and version
//!    (parameters for signature v1, `x-acs-action`/`x-acs-version` headers for V3).
//! 2. Unknown version or action: ECS's `InvalidApi.NotFound` (404), no signature needed.
//! 3. Injected faults for the action (latency, 5xx, throttling, dropped connection).
//! 4. Signature, timestamp, nonce, AccessKey and STS token (skipped for `AssumeRoleWithOIDC`).
//! 5. Flow control (`Throttling.Api`, then `Throttling.User`).
//! 6. The action itself, under the world lock.
//!
//! Every request that names an action is counted under that action and its result code.

use std::sync::Arc;

use http::request::Parts;
use http::{Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Bytes;
use serde_json::{Map, Value};

use crate::actions::{self, Call, ECS_VERSION};
use crate::api_error::ApiError;
use crate::auth::SignedRequest;
use crate::counters::{DROPPED, SUCCESS};
use crate::faults::TerminalFault;
use crate::params::Params;
use crate::server::{DropConnection, HttpResponse};
use crate::sim::{Sim, lock};
use crate::sts::{self, STS_VERSION, Signing};

pub async fn handle(
    sim: &Arc<Sim>,
    parts: &Parts,
    body: &Bytes,
) -> Result<HttpResponse, DropConnection> {
    let query = decode_pairs(parts.uri.query().unwrap_or_default().as_bytes());
    let form = if is_form(parts) {
        decode_pairs(body)
    } else {
        Vec::new()
    };
    let request = SignedRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: &query,
        form: &form,
        headers: &parts.headers,
        body,
    };
    let params = Params::new(query.iter().chain(&form).cloned());
    let host = header_value(parts, "host")
        .unwrap_or("ecs.aliyuncs.com")
        .to_owned();
    let request_id = uuid::Uuid::new_v4().to_string().to_ascii_uppercase();

    let (action, version) = action_and_version(&request, &params);
    let outcome = match action.as_deref() {
        None => Err(ApiError::missing("Action")),
        Some(action) => process(sim, action, version.as_deref(), &request, &params, &host).await,
    };

    let counted_action = action.as_deref().unwrap_or("(none)");
    let code = match &outcome {
        Ok(Some(_)) => SUCCESS,
        Ok(None) => DROPPED,
        Err(error) => error.code.as_str(),
    };
    lock(&sim.counters).record(counted_action, code);

    match outcome {
        Ok(Some(body)) => Ok(success(body, &request_id)),
        Ok(None) => Err(DropConnection),
        Err(error) => {
            tracing::debug!(action = counted_action, code = %error.code, "ECS error answer");
            Ok(failure(&error, &request_id, &host))
        }
    }
}

/// Steps 2–6; `Ok(None)` means the connection is to be dropped.
async fn process(
    sim: &Arc<Sim>,
    action: &str,
    version: Option<&str>,
    request: &SignedRequest<'_>,
    params: &Params,
    host: &str,
) -> Result<Option<Value>, ApiError> {
    let product = resolve(action, version)?;
    let fault = lock(&sim.faults).decide(action);
    if !fault.delay.is_zero() {
        tokio::time::sleep(fault.delay).await;
    }
    match fault.terminal {
        Some(TerminalFault::Drop) => return Ok(None),
        Some(TerminalFault::Answer(error)) => return Err(error),
        None => {}
    }

    let principal = match product {
        Product::Sts(Signing::Anonymous) => None,
        _ => {
            let now = sim.now();
            Some(lock(&sim.auth).verify(request, now)?)
        }
    };
    lock(&sim.throttler).admit(action)?;
    check_format(params)?;

    let body = match (product, principal) {
        (Product::Ecs, _) => {
            let host_region = region_from_host(host);
            let call = Call {
                params,
                host_region: host_region.as_deref(),
            };
            actions::execute(&mut lock(&sim.world), action, &call)?
        }
        (Product::Sts(_), Some(principal)) => sts::get_caller_identity(&principal),
        (Product::Sts(_), None) => sts::assume_role_with_oidc(sim, params)?,
    };
    Ok(Some(body))
}

#[derive(Debug, Clone, Copy)]
enum Product {
    Ecs,
    Sts(Signing),
}

fn resolve(action: &str, version: Option<&str>) -> Result<Product, ApiError> {
    match version {
        None => Err(ApiError::missing("Version")),
        Some(ECS_VERSION) if actions::is_known(action) => Ok(Product::Ecs),
        Some(STS_VERSION) => sts::action_kind(action)
            .map(Product::Sts)
            .ok_or_else(|| actions::unknown_action(action)),
        Some(ECS_VERSION) => Err(actions::unknown_action(action)),
        Some(other) => {
            let message = format!("Specified api is not found: version {other} of {action}.");
            Err(ApiError::new(404, "InvalidApi.NotFound", message))
        }
    }
}

fn action_and_version(
    request: &SignedRequest<'_>,
    params: &Params,
) -> (Option<String>, Option<String>) {
    let header = |name| request.headers.get(name).and_then(|v| v.to_str().ok());
    if request.is_v3() || header("x-acs-action").is_some() {
        let action = header("x-acs-action").map(str::to_owned);
        return (action, header("x-acs-version").map(str::to_owned));
    }
    (
        params.text("Action").map(str::to_owned),
        params.text("Version").map(str::to_owned),
    )
}

/// JSON only: the official SDKs ask for it (`JSON` or `json`); XML is not simulated.
fn check_format(params: &Params) -> Result<(), ApiError> {
    match params.text("Format") {
        None => Ok(()),
        Some(format) if format.eq_ignore_ascii_case("json") => Ok(()),
        Some(format) => Err(ApiError::invalid(
            "Format",
            format_args!("{format:?} is not simulated; ecs-sim answers JSON only."),
        )),
    }
}

/// `ecs.<region>.aliyuncs.com` and `ecs-vpc.<region>.aliyuncs.com` name their region.
fn region_from_host(host: &str) -> Option<String> {
    let host = host.split(':').next()?;
    let rest = host
        .strip_prefix("ecs-vpc.")
        .or_else(|| host.strip_prefix("ecs."))?;
    let region = rest.strip_suffix(".aliyuncs.com")?;
    (!region.is_empty()).then(|| region.to_owned())
}

/// Answers an ECS/STS request whose body exceeds `limit` bytes in ECS's error shape, so SDKs
/// report a code and request ID instead of failing to parse a plain-text page. No action is
/// counted: the body was never read, so the action is unknown.
pub fn body_too_large(parts: &Parts, limit: usize) -> HttpResponse {
    let host = header_value(parts, "host").unwrap_or("ecs.aliyuncs.com");
    let request_id = uuid::Uuid::new_v4().to_string().to_ascii_uppercase();
    let message = format!(
        "The request body is larger than {limit} bytes; send the parameters in the query \
         string or a smaller form body."
    );
    let error = ApiError::new(413, "RequestEntityTooLarge", message);
    failure(&error, &request_id, host)
}

fn is_form(parts: &Parts) -> bool {
    header_value(parts, "content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
}

fn header_value<'p>(parts: &'p Parts, name: &str) -> Option<&'p str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

fn decode_pairs(input: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(input)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn success(body: Value, request_id: &str) -> HttpResponse {
    let mut object = match body {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    object.insert("RequestId".to_owned(), Value::String(request_id.to_owned()));
    json_response(StatusCode::OK, &Value::Object(object), request_id)
}

fn failure(error: &ApiError, request_id: &str, host: &str) -> HttpResponse {
    let body = serde_json::json!({
        "RequestId": request_id,
        "HostId": host,
        "Code": error.code,
        "Message": error.message,
        "Recommend": format!(
            "https://api.aliyun.com/troubleshoot?q={}&product=Ecs&requestId={request_id}",
            error.code
        ),
    });
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, &body, request_id)
}

fn json_response(status: StatusCode, body: &Value, request_id: &str) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json;charset=utf-8"),
    );
    if let Ok(value) = header::HeaderValue::from_str(request_id) {
        headers.insert("x-acs-request-id", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_come_from_regional_hosts_only() {
        assert_eq!(
            region_from_host("ecs.cn-beijing.aliyuncs.com"),
            Some("cn-beijing".into())
        );
        assert_eq!(
            region_from_host("ecs-vpc.cn-beijing.aliyuncs.com:443"),
            Some("cn-beijing".into())
        );
        assert_eq!(region_from_host("ecs.aliyuncs.com"), None);
        assert_eq!(region_from_host("127.0.0.1:8080"), None);
    }
}
