//! PATCH bodies by media type: JSON patch (RFC 6902), JSON merge patch (RFC 7386), strategic
//! merge patch, and server-side apply.

mod apply;
mod json_ops;
mod strategic;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::fieldmanager::Writer;
use crate::query::Params;
use crate::resources::ResourceDescriptor;

pub use apply::applied_object;
#[cfg(test)]
pub use apply::merge_for_apply;
pub use strategic::list_kind;

const JSON_PATCH: &str = "application/json-patch+json";
const MERGE_PATCH: &str = "application/merge-patch+json";
const STRATEGIC: &str = "application/strategic-merge-patch+json";
pub const APPLY: &str = "application/apply-patch+yaml";

/// Media types accepted for PATCH, as listed in discovery-era error messages.
fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

pub fn is_apply(content_type: &str) -> bool {
    media_type(content_type) == APPLY
}

/// Applies a patch to `current` (already in the request's version) and returns the patched
/// object. Errors: 415 for an unknown media type, 400 for a malformed patch, 422 when a JSON
/// patch `test` operation fails or a path does not exist.
pub fn apply(
    desc: &ResourceDescriptor,
    current: &Value,
    content_type: &str,
    body: &[u8],
    params: &Params,
    writer: Writer,
) -> Result<Value> {
    let mut doc = current.clone();
    match media_type(content_type) {
        JSON_PATCH => {
            json_ops::patch(&mut doc, body).map_err(|e| {
                let text = match e {
                    json_ops::PatchError::Decode(e) => {
                        return Error::bad_request(format!("error decoding JSON patch: {e}"));
                    }
                    json_ops::PatchError::Apply(text) => text,
                };
                let cause = crate::error::Cause::new("FieldValueInvalid", "", text);
                Error::invalid(
                    &desc.kind,
                    &desc.group,
                    &desc.plural,
                    crate::meta::name(current),
                    vec![cause],
                )
            })?;
        }
        MERGE_PATCH => {
            let patch = parse_object(body)?;
            json_patch::merge(&mut doc, &patch);
        }
        STRATEGIC => {
            if desc.schema.is_some() {
                return Err(Error::UnsupportedMediaType(format!(
                    "the body of the request was in an unknown format - accepted media types \
                     include: {JSON_PATCH}, {MERGE_PATCH}, {APPLY}"
                )));
            }
            let patch = parse_object(body)?;
            doc = strategic::merge(&desc.kind, &doc, &patch)?;
        }
        APPLY => return apply::apply_existing(desc, current, body, params, writer),
        other => {
            return Err(Error::UnsupportedMediaType(format!(
                "the body of the request was in an unknown format - accepted media types include: \
                 {JSON_PATCH}, {MERGE_PATCH}, {STRATEGIC}, {APPLY} (got \"{other}\")"
            )));
        }
    }
    Ok(doc)
}

fn parse_object(body: &[u8]) -> Result<Value> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Error::bad_request(format!("error decoding patch: {e}")))?;
    if !value.is_object() {
        return Err(Error::bad_request("a merge patch must be a JSON object"));
    }
    Ok(value)
}
