//! Server-side apply bodies: the applied configuration is merged into the live object with
//! strategic-merge rules for built-ins and map-merge/list-replace for custom resources, then
//! `fieldmanager` settles ownership, conflicts and removals.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::fieldmanager::Writer;
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
    writer: Writer,
) -> Result<Value> {
    let applied = applied_object(body, params)?;
    let merged = merge_for_apply(desc, current, &applied)?;
    crate::fieldmanager::apply(desc, current, &applied, merged, writer, params.force)
}

/// The applied configuration merged into the live object, before ownership is settled.
pub fn merge_for_apply(desc: &ResourceDescriptor, live: &Value, applied: &Value) -> Result<Value> {
    if desc.schema.is_some() {
        let mut doc = live.clone();
        merge_maps(&mut doc, applied);
        return Ok(doc);
    }
    super::strategic::merge(&desc.kind, live, applied)
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
