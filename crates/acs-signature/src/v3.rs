//! Signature V3, `ACS3-HMAC-SHA256`.
//!
//! # Flow
//! 1. Canonical request: method, path, canonical query, one `name:value` line per signed header
//!    (lower-case names, trimmed values, sorted), a blank line, the signed header names joined by
//!    `;`, and the hex SHA-256 of the body.
//! 2. String to sign: `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request.
//! 3. Signature: hex HMAC-SHA256 keyed with the AccessKey secret as it is (no `&` suffix).
//! 4. `Authorization: ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<list>,Signature=<hex>`.
//!
//! # Caveats
//! The official SDKs sign every header they send; the documented minimum is `host` plus every
//! `x-acs-*` header. Verifiers must check the minimum themselves (see [`required_headers_signed`]).

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::encoding::canonical_query;

/// The algorithm name used in the string to sign and the `Authorization` header.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Hex SHA-256 of an empty payload, the value of `x-acs-content-sha256` for bodiless requests.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Why an `Authorization` header could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizationError {
    /// The header does not start with `ACS3-HMAC-SHA256 `.
    #[error("Authorization header does not use the {ALGORITHM} algorithm")]
    WrongAlgorithm,
    /// One of `Credential`, `SignedHeaders` or `Signature` is absent or empty.
    #[error("Authorization header lacks its {0} field")]
    MissingField(&'static str),
}

/// The three fields of a V3 `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    /// Lower-case header names in the order they were listed.
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    /// Parses `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`.
    pub fn parse(header: &str) -> Result<Self, AuthorizationError> {
        let rest = header
            .strip_prefix(ALGORITHM)
            .and_then(|rest| rest.strip_prefix(' '))
            .ok_or(AuthorizationError::WrongAlgorithm)?;

        let (mut credential, mut signed, mut signature) = (None, None, None);
        for field in rest.split(',') {
            let Some((name, value)) = field.trim().split_once('=') else {
                continue;
            };
            match name {
                "Credential" => credential = Some(value.to_owned()),
                "SignedHeaders" => signed = Some(value.to_owned()),
                "Signature" => signature = Some(value.to_owned()),
                _ => {}
            }
        }

        let non_empty = |field: Option<String>, name| {
            field
                .filter(|v| !v.is_empty())
                .ok_or(AuthorizationError::MissingField(name))
        };
        Ok(Self {
            access_key_id: non_empty(credential, "Credential")?,
            signed_headers: non_empty(signed, "SignedHeaders")?
                .split(';')
                .map(str::to_ascii_lowercase)
                .collect(),
            signature: non_empty(signature, "Signature")?,
        })
    }

    /// Renders the header value.
    pub fn to_header_value(&self) -> String {
        format!(
            "{ALGORITHM} Credential={},SignedHeaders={},Signature={}",
            self.access_key_id,
            self.signed_headers.join(";"),
            self.signature
        )
    }
}

/// The pieces of an HTTP request that V3 signs.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    pub method: &'a str,
    /// The URL path, `/` for RPC-style APIs.
    pub path: &'a str,
    /// Decoded query parameters.
    pub query: &'a [(&'a str, &'a str)],
    /// Headers to sign: names in any case, values as sent.
    pub headers: &'a [(&'a str, &'a str)],
    /// Hex SHA-256 of the body (see [`payload_hash`]).
    pub payload_sha256: &'a str,
}

/// Hex SHA-256 of a request body.
pub fn payload_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Builds the canonical request and the `;`-joined list of signed header names.
pub fn canonical_request(parts: &RequestParts<'_>) -> (String, String) {
    let mut headers: Vec<(String, &str)> = parts
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim()))
        .collect();
    headers.sort();

    let mut request = format!(
        "{}\n{}\n{}\n",
        parts.method.to_ascii_uppercase(),
        parts.path,
        canonical_query(parts.query.iter().copied())
    );
    for (name, value) in &headers {
        request.push_str(name);
        request.push(':');
        request.push_str(value);
        request.push('\n');
    }
    let signed: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
    let signed = signed.join(";");
    request.push('\n');
    request.push_str(&signed);
    request.push('\n');
    request.push_str(parts.payload_sha256);
    (request, signed)
}

/// Builds the string to sign from a canonical request.
pub fn string_to_sign(canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

/// Signs a string to sign; the result is the hex `Signature` field.
pub fn sign(access_key_secret: &str, string_to_sign: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(access_key_secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Signs a request and returns the complete `Authorization` value.
pub fn authorization(parts: &RequestParts<'_>, access_key_id: &str, secret: &str) -> Authorization {
    let (request, signed) = canonical_request(parts);
    Authorization {
        access_key_id: access_key_id.to_owned(),
        signed_headers: signed.split(';').map(str::to_owned).collect(),
        signature: sign(secret, &string_to_sign(&request)),
    }
}

/// Whether the signed header list covers what the service requires: `host` and every
/// `x-acs-*` header present on the request.
pub fn required_headers_signed<'a, I>(signed: &[String], present_header_names: I) -> bool
where
    I: IntoIterator<Item = &'a str>,
{
    let is_signed = |name: &str| signed.iter().any(|s| s.eq_ignore_ascii_case(name));
    is_signed("host")
        && present_header_names
            .into_iter()
            .all(|name| !name.to_ascii_lowercase().starts_with("x-acs-") || is_signed(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders_authorization() {
        let value = "ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host;x-acs-date,Signature=ab12";
        let parsed = Authorization::parse(value).unwrap();
        assert_eq!(parsed.access_key_id, "id");
        assert_eq!(parsed.signed_headers, ["host", "x-acs-date"]);
        assert_eq!(parsed.to_header_value(), value);
    }

    #[test]
    fn rejects_malformed_authorization() {
        assert_eq!(
            Authorization::parse("HMAC-SHA1 Credential=a"),
            Err(AuthorizationError::WrongAlgorithm)
        );
        assert_eq!(
            Authorization::parse("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host"),
            Err(AuthorizationError::MissingField("Signature"))
        );
    }

    #[test]
    fn unsigned_acs_header_is_detected() {
        let signed = vec!["host".to_owned(), "x-acs-date".to_owned()];
        assert!(required_headers_signed(
            &signed,
            ["host", "x-acs-date", "accept"]
        ));
        assert!(!required_headers_signed(
            &signed,
            ["host", "x-acs-date", "x-acs-action"]
        ));
        assert!(!required_headers_signed(&signed[1..], ["x-acs-date"]));
    }
}
