//! Server-side apply, simplified: the applied configuration is merged into the live object
//! with strategic-merge rules for built-ins and map-merge/list-replace for custom resources.
//! Field ownership (`managedFields`) is not tracked, so fields a manager stops applying are
//! kept rather than removed; the README lists this gap.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::query::Params;
use crate::resources::ResourceDescriptor;

/// Parses and checks an apply body: it must be an object naming apiVersion and kind, and the
/// request must carry a field manager.
pub fn applied_object(body: &[u8], params: &Params) -> Result<Value> {
    if params.field_manager.is_empty() {
        return Err(Error::bad_request(
            "PATCH requests of type application/apply-patch+yaml must have a field manager: \
             set the fieldManager query parameter",
        ));
    }
    let obj = crate::handlers::decode_object(super::APPLY, body)?;
    for field in ["apiVersion", "kind"] {
        if obj
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
        {
            return Err(Error::bad_request(format!(
                "invalid object type: {field} must be set in an apply body"
            )));
        }
    }
    Ok(obj)
}

pub fn apply_existing(
    desc: &ResourceDescriptor,
    current: &Value,
    body: &[u8],
    params: &Params,
) -> Result<Value> {
    let applied = applied_object(body, params)?;
    if desc.schema.is_some() {
        let mut doc = current.clone();
        merge_maps(&mut doc, &applied);
        return Ok(doc);
    }
    super::strategic::merge(&desc.kind, current, &applied)
}

/// Recursive map merge where lists and scalars from `applied` replace the live value.
fn merge_maps(live: &mut Value, applied: &Value) {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) => {
            for (k, v) in a {
                match l.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => {
                        merge_maps(existing, v)
                    }
                    _ => {
                        l.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (l, a) => *l = a.clone(),
    }
}
