//! The instance metadata service's RAM-role endpoints (`/latest/...`), with the IMDSv2 token
//! handshake: `PUT /latest/api/token` returns a session token that later requests present in
//! `X-aliyun-ecs-metadata-token`. Requests without a token are accepted (IMDSv1); a wrong or
//! expired token is refused with 401, as the real service does.

use http::{HeaderMap, Method, StatusCode};
use jiff::SignedDuration;
use serde_json::json;

use crate::actions::render_time;
use crate::sim::{Sim, lock, random_text};

pub const TOKEN_TTL_HEADER: &str = "x-aliyun-ecs-metadata-token-ttl-seconds";
pub const TOKEN_HEADER: &str = "x-aliyun-ecs-metadata-token";
const CREDENTIALS_PATH: &str = "/latest/meta-data/ram/security-credentials/";

/// Answers one metadata request with a status and a text body.
pub fn handle(sim: &Sim, method: &Method, path: &str, headers: &HeaderMap) -> (StatusCode, String) {
    if path == "/latest/api/token" {
        return issue_token(sim, method, headers);
    }
    if method != Method::GET {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed".to_owned(),
        );
    }
    if let Err(refusal) = check_token(sim, headers) {
        return refusal;
    }

    let role = lock(&sim.credentials).ram_role_name.clone();
    match path {
        "/latest/meta-data/region-id" => {
            (StatusCode::OK, lock(&sim.world).default_region().to_owned())
        }
        CREDENTIALS_PATH => (StatusCode::OK, role),
        _ => match path.strip_prefix(CREDENTIALS_PATH) {
            Some(name) if name == role => (StatusCode::OK, role_credentials(sim, &role)),
            _ => (StatusCode::NOT_FOUND, "Not Found".to_owned()),
        },
    }
}

fn issue_token(sim: &Sim, method: &Method, headers: &HeaderMap) -> (StatusCode, String) {
    if method != Method::PUT {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            "use PUT for /latest/api/token".to_owned(),
        );
    }
    let ttl = headers
        .get(TOKEN_TTL_HEADER)
        .and_then(|v| v.to_str().ok()?.parse::<i64>().ok());
    let Some(ttl) = ttl.filter(|t| (1..=21600).contains(t)) else {
        let message = format!("{TOKEN_TTL_HEADER} must be 1..21600 seconds");
        return (StatusCode::BAD_REQUEST, message);
    };
    let token = random_text(44);
    let now = sim.now();
    let expiry = now
        .saturating_add(SignedDuration::from_secs(ttl))
        .unwrap_or(now);
    let mut tokens = lock(&sim.imds_tokens);
    tokens.retain(|_, at| *at > now);
    tokens.insert(token.clone(), expiry);
    (StatusCode::OK, token)
}

fn check_token(sim: &Sim, headers: &HeaderMap) -> Result<(), (StatusCode, String)> {
    let Some(token) = headers.get(TOKEN_HEADER) else {
        return Ok(());
    };
    let token = token.to_str().unwrap_or_default();
    let valid = lock(&sim.imds_tokens)
        .get(token)
        .is_some_and(|at| *at > sim.now());
    if valid {
        Ok(())
    } else {
        Err((StatusCode::UNAUTHORIZED, "Unauthorized".to_owned()))
    }
}

fn role_credentials(sim: &Sim, role: &str) -> String {
    let seconds = lock(&sim.credentials).metadata_credential_seconds;
    let role_arn = format!("acs:ram::1234567890:role/{role}");
    let duration = SignedDuration::from_secs(seconds.min(i64::MAX as u64) as i64);
    let credential = sim.issue_sts(&role_arn, duration);
    json!({
        "Code": "Success",
        "AccessKeyId": credential.access_key_id,
        "AccessKeySecret": credential.access_key_secret,
        "SecurityToken": credential.security_token,
        "Expiration": render_time(credential.expiration),
        "LastUpdated": render_time(sim.now()),
    })
    .to_string()
}
