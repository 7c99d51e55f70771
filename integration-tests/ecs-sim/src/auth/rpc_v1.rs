//! RPC signature v1: the signature and all signing metadata are request parameters.

use jiff::Timestamp;

use super::{Checked, SignedRequest, check_timestamp, signature_mismatch, unknown_key};
use crate::api_error::ApiError;

pub(super) fn verify(
    request: &SignedRequest<'_>,
    secret_for: impl Fn(&str) -> Option<String>,
    wall_now: Timestamp,
    max_skew_seconds: u64,
) -> Result<Checked, ApiError> {
    let required = |name: &str| {
        request
            .param(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::missing(name))
    };
    let signature = request
        .param("Signature")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                400,
                "IncompleteSignature",
                "The request signature is missing.",
            )
        })?;
    let access_key_id = required("AccessKeyId")?;
    let nonce = required("SignatureNonce")?;
    check_method(request)?;
    check_timestamp(
        "Timestamp",
        required("Timestamp")?,
        wall_now,
        max_skew_seconds,
    )?;

    let secret = secret_for(access_key_id).ok_or_else(|| unknown_key(access_key_id))?;
    let all = request
        .query
        .iter()
        .chain(request.form)
        .map(|(k, v)| (k.as_str(), v.as_str()));
    let string_to_sign = acs_signature::rpc_v1::string_to_sign(request.method, all);
    let expected = acs_signature::rpc_v1::sign(&secret, &string_to_sign);
    if !acs_signature::signatures_match(&expected, signature) {
        return Err(signature_mismatch(&string_to_sign));
    }

    Ok(Checked {
        access_key_id: access_key_id.to_owned(),
        nonce: nonce.to_owned(),
        token: request.param("SecurityToken").map(str::to_owned),
    })
}

fn check_method(request: &SignedRequest<'_>) -> Result<(), ApiError> {
    let method = request.param("SignatureMethod").unwrap_or("HMAC-SHA1");
    if method != "HMAC-SHA1" {
        let message = format!("The signature method {method} is not supported; use HMAC-SHA1.");
        return Err(ApiError::new(400, "InvalidSignatureMethod", message));
    }
    let version = request.param("SignatureVersion").unwrap_or("1.0");
    if version != "1.0" {
        let message = format!("The signature version {version} is not supported; use 1.0.");
        return Err(ApiError::new(400, "InvalidSignatureVersion", message));
    }
    Ok(())
}
