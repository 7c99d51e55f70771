//! Request signing for Alibaba Cloud OpenAPI, shared by the ECS client (which signs) and the ECS
//! simulator (which verifies).
//!
//! Two schemes are implemented, both exactly as the official SDKs compute them:
//!
//! - [`rpc_v1`]: the classic RPC signature (`SignatureVersion=1.0`, HMAC-SHA1, base64), where the
//!   signature is itself a request parameter.
//! - [`v3`]: `ACS3-HMAC-SHA256`, the default of the newer SDKs, carried in the `Authorization`
//!   header over a canonical request of method, path, query, headers and payload hash.
//!
//! The crate is pure computation: no clock, no randomness, no I/O. Callers supply timestamps and
//! nonces, which is what makes the official SDK vectors in `tests/data/` reproducible here.
//!
//! Secrets pass through as `&str` and are never stored or formatted by this crate.

mod encoding;
pub mod rpc_v1;
pub mod v3;

pub use encoding::percent_encode;

/// Compares two signatures without leaking, through timing, how long their common prefix is.
///
/// A verifier that used `==` would let a caller discover a valid signature byte by byte.
pub fn signatures_match(expected: &str, presented: &str) -> bool {
    let (a, b) = (expected.as_bytes(), presented.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
