//! Character-level rules shared by the naming modules: validation of identifiers we receive and
//! shortening of names that must fit a limit without losing uniqueness.

use sha2::{Digest, Sha256};

use crate::DomainError;

/// Hex digest of `parts` joined by NUL, so that ("ab","c") and ("a","bc") never collide.
pub(crate) fn digest_hex(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update([0u8]);
        }
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// The first `max` characters of an ASCII string (all inputs here are validated ASCII).
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    &s[..s.len().min(max)]
}

/// A Kubernetes object name (DNS-1123 subdomain): lowercase alphanumerics, `-` and `.`, at most
/// 253 characters, starting and ending with an alphanumeric.
pub(crate) fn check_dns_subdomain(what: &'static str, value: &str) -> Result<(), DomainError> {
    const RULE: &str = "use 1 to 253 lowercase letters, digits, '-' or '.', starting and ending \
                        with a letter or digit";
    let ok = !value.is_empty()
        && value.len() <= 253
        && value.split('.').all(is_dns_label_like)
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    ok.then_some(())
        .ok_or_else(|| DomainError::identifier(what, value, RULE))
}

/// A namespace name (DNS-1123 label): like a subdomain segment, at most 63 characters.
pub(crate) fn check_dns_label(what: &'static str, value: &str) -> Result<(), DomainError> {
    const RULE: &str = "use 1 to 63 lowercase letters, digits or '-', starting and ending with a \
                        letter or digit";
    let ok = value.len() <= 63 && is_dns_label_like(value);
    ok.then_some(())
        .ok_or_else(|| DomainError::identifier(what, value, RULE))
}

/// An ECS resource ID such as `d-bp1...` or `s-uf6...`: the given prefix, then lowercase
/// alphanumerics, at most 48 characters in total (real IDs have about 22).
pub(crate) fn check_ecs_id(
    what: &'static str,
    value: &str,
    prefix: &str,
) -> Result<(), DomainError> {
    const RULE: &str = "expected an ECS ID: its type prefix (such as \"d-\" or \"s-\") followed by \
                        lowercase letters and digits, at most 48 characters";
    let rest = value.strip_prefix(prefix).unwrap_or("");
    let ok = !rest.is_empty()
        && value.len() <= 48
        && rest
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    ok.then_some(())
        .ok_or_else(|| DomainError::identifier(what, value, RULE))
}

fn is_dns_label_like(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    matches!((bytes.first(), bytes.last()), (Some(f), Some(l)) if alnum(f) && alnum(l))
        && bytes.iter().all(|b| alnum(b) || *b == b'-')
}

/// Whether `value` is a valid Kubernetes label value as is.
pub(crate) fn is_label_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    let alnum = |b: &u8| b.is_ascii_alphanumeric();
    value.is_empty()
        || (bytes.len() <= 63
            && alnum(&bytes[0])
            && alnum(&bytes[bytes.len() - 1])
            && bytes
                .iter()
                .all(|b| alnum(b) || matches!(b, b'-' | b'_' | b'.')))
}
