//! Request bodies: JSON, or YAML or protobuf when the client says so.

use serde_json::Value;

use crate::error::{Error, Result};

/// Decodes a body that must be a single object.
pub fn object(content_type: &str, bytes: &[u8]) -> Result<Value> {
    let value = decode(content_type, bytes)?;
    if !value.is_object() {
        return Err(Error::bad_request("the request body must be an object"));
    }
    Ok(value)
}

/// Decodes JSON, YAML for `application/yaml` and `application/apply-patch+yaml`, or protobuf
/// for the kinds `protobuf` knows.
pub fn decode(content_type: &str, bytes: &[u8]) -> Result<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::bad_request("the request body is empty"));
    }
    let media = content_type.split(';').next().unwrap_or("").trim();
    if media == super::protobuf::MEDIA_TYPE {
        return super::protobuf::decode(bytes);
    }
    if media.contains("protobuf") || media.contains("cbor") {
        return Err(Error::UnsupportedMediaType(format!(
            "the body of the request was in an unknown format - accepted media types include: \
             application/json, application/yaml, application/vnd.kubernetes.protobuf \
             (got \"{media}\")"
        )));
    }
    if media.ends_with("yaml") {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| Error::bad_request(format!("the YAML body is not UTF-8: {e}")))?;
        return serde_saphyr::from_str(text)
            .map_err(|e| Error::bad_request(format!("error decoding YAML: {e}")));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| Error::bad_request(format!("error decoding JSON: {e}")))
}
