//! Signature V3 (`ACS3-HMAC-SHA256`): signing metadata travels in `x-acs-*` headers and the
//! `Authorization` header.

use acs_signature::v3::{self, Authorization, RequestParts};
use jiff::Timestamp;

use super::{Checked, SignedRequest, check_timestamp, signature_mismatch, unknown_key};
use crate::api_error::ApiError;

pub(super) fn verify(
    request: &SignedRequest<'_>,
    secret_for: impl Fn(&str) -> Option<String>,
    wall_now: Timestamp,
    max_skew_seconds: u64,
) -> Result<Checked, ApiError> {
    let authorization = request.header("authorization").unwrap_or_default();
    let authorization = Authorization::parse(authorization)
        .map_err(|err| ApiError::new(400, "IncompleteSignature", err.to_string()))?;
    let header = |name: &str| {
        request
            .header(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::missing(name))
    };
    let nonce = header("x-acs-signature-nonce")?;
    check_timestamp(
        "x-acs-date",
        header("x-acs-date")?,
        wall_now,
        max_skew_seconds,
    )?;
    check_payload_hash(request, header("x-acs-content-sha256")?)?;
    check_coverage(request, &authorization)?;

    let id = &authorization.access_key_id;
    let secret = secret_for(id).ok_or_else(|| unknown_key(id))?;
    let string_to_sign = server_string_to_sign(request, &authorization)?;
    let expected = v3::sign(&secret, &string_to_sign);
    if !acs_signature::signatures_match(&expected, &authorization.signature) {
        return Err(signature_mismatch(&string_to_sign.replace('\n', "\\n")));
    }

    Ok(Checked {
        access_key_id: id.clone(),
        nonce: nonce.to_owned(),
        token: request.header("x-acs-security-token").map(str::to_owned),
    })
}

fn check_payload_hash(request: &SignedRequest<'_>, claimed: &str) -> Result<(), ApiError> {
    let actual = v3::payload_hash(request.body);
    if !claimed.eq_ignore_ascii_case(&actual) {
        let message = format!("x-acs-content-sha256 {claimed} does not match the body ({actual}).");
        return Err(ApiError::new(400, "SignatureDoesNotMatch", message));
    }
    Ok(())
}

fn check_coverage(request: &SignedRequest<'_>, auth: &Authorization) -> Result<(), ApiError> {
    let names = request.headers.keys().map(|name| name.as_str());
    if v3::required_headers_signed(&auth.signed_headers, names) {
        return Ok(());
    }
    let message = "SignedHeaders must include host and every x-acs-* header that is sent.";
    Err(ApiError::new(400, "IncompleteSignature", message))
}

fn server_string_to_sign(
    request: &SignedRequest<'_>,
    auth: &Authorization,
) -> Result<String, ApiError> {
    let mut headers = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let values: Vec<&str> = request
            .headers
            .get_all(name.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            let message = format!("The signed header {name} is not present in the request.");
            return Err(ApiError::new(400, "SignatureDoesNotMatch", message));
        }
        headers.push((name.as_str(), values.join(",")));
    }
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let query: Vec<(&str, &str)> = request
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();

    let payload = v3::payload_hash(request.body);
    let parts = RequestParts {
        method: request.method,
        path: request.path,
        query: &query,
        headers: &headers,
        payload_sha256: &payload,
    };
    let (canonical, _) = v3::canonical_request(&parts);
    Ok(v3::string_to_sign(&canonical))
}
