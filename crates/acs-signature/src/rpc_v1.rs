//! RPC signature version 1.0 (`SignatureMethod=HMAC-SHA1`).
//!
//! # Flow
//! 1. Every parameter that is sent (query string and form body alike), except `Signature`, is
//!    percent-encoded and sorted into the canonicalized query string.
//! 2. The string to sign is `METHOD&%2F&` followed by that string percent-encoded once more.
//! 3. The signature is base64(HMAC-SHA1(secret + "&", string to sign)).
//!
//! The verifier side uses the same functions: it rebuilds the string to sign from what arrived and
//! compares with [`crate::signatures_match`].

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};

use crate::encoding::{canonical_query, percent_encode};

/// The name of the parameter that carries the signature; it is never part of what is signed.
pub const SIGNATURE_PARAM: &str = "Signature";

/// Builds the canonicalized query string from every parameter except `Signature`.
pub fn canonicalized_query<'a, I>(params: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    canonical_query(
        params
            .into_iter()
            .filter(|(name, _)| *name != SIGNATURE_PARAM),
    )
}

/// Builds the string to sign for an HTTP method (`GET` or `POST`) and the request's parameters.
pub fn string_to_sign<'a, I>(method: &str, params: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let canonical = canonicalized_query(params);
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode("/"),
        percent_encode(&canonical)
    )
}

/// Signs a string to sign with an AccessKey secret; the result is the base64 `Signature` value.
pub fn sign(access_key_secret: &str, string_to_sign: &str) -> String {
    let key = format!("{access_key_secret}&");
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Computes the `Signature` parameter for a request in one step.
pub fn signature<'a, I>(method: &str, params: I, access_key_secret: &str) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    sign(access_key_secret, &string_to_sign(method, params))
}
