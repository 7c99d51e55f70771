//! Status writes by server-side apply, under a named field manager, only when something this
//! controller owns changed.
//!
//! # Why SSA with owned fields
//! Two controllers write parts of one status (policy-listener the schedule and ECS policy,
//! pvc-reconciler the applied-volume counts and conflicts). With server-side apply each owns
//! its fields and never erases the other's. The comparison before writing covers only the
//! top-level status fields the caller names as its own, so another manager's fields never make
//! a write look necessary, and an unchanged status costs no API call.
//!
//! # Caveats
//! `force` is set: this controller is the only legitimate writer of the fields it names, and a
//! conflict (e.g. after a field manager rename) must not block status forever.

use std::fmt::Debug;

use kube::{
    Api, Resource,
    api::{Patch, PatchParams},
    core::object::HasStatus,
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value, json};
use tracing::debug;

use crate::SupportError;

/// Whether [`apply_status`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusWrite {
    /// The owned fields already had these values; no request was made.
    Unchanged,
    /// The status was applied.
    Applied,
}

/// Applies `desired` as `object`'s status under `field_manager` unless every field named in
/// `owned` already has the desired value.
///
/// `owned` lists the top-level status fields (JSON names) this manager sets; a field in `owned`
/// that `desired` leaves out is removed from the status by the apply.
///
/// # Errors
/// [`SupportError::StatusWrite`] when the API server refuses the patch,
/// [`SupportError::StatusEncode`] when `desired` cannot be serialized.
pub async fn apply_status<K>(
    api: &Api<K>,
    object: &K,
    field_manager: &str,
    owned: &[&str],
    desired: &K::Status,
) -> Result<StatusWrite, SupportError>
where
    K: Resource<DynamicType = ()> + HasStatus + Clone + DeserializeOwned + Debug,
    K::Status: Serialize,
{
    let name = object.meta().name.clone().unwrap_or_default();
    let kind = K::kind(&()).into_owned();
    let encode = |source| SupportError::StatusEncode {
        kind: kind.clone(),
        name: name.clone(),
        source,
    };
    let desired = serde_json::to_value(desired).map_err(encode)?;
    let current = match object.status() {
        Some(status) => serde_json::to_value(status).map_err(encode)?,
        None => Value::Null,
    };
    if owned_fields_equal(&current, &desired, owned) {
        debug!(name, "status unchanged");
        return Ok(StatusWrite::Unchanged);
    }

    let body = json!({
        "apiVersion": K::api_version(&()),
        "kind": kind,
        "status": only_owned(&desired, owned),
    });
    let params = PatchParams::apply(field_manager).force();
    api.patch_status(&name, &params, &Patch::Apply(&body))
        .await
        .map_err(|source| SupportError::StatusWrite { kind, name, source })?;
    Ok(StatusWrite::Applied)
}

/// Whether `current` and `desired` agree on every field in `owned` (absent and `null` equal).
pub fn owned_fields_equal(current: &Value, desired: &Value, owned: &[&str]) -> bool {
    owned.iter().all(|field| {
        let get = |v: &Value| v.get(field).filter(|x| !x.is_null()).cloned();
        get(current) == get(desired)
    })
}

fn only_owned(desired: &Value, owned: &[&str]) -> Value {
    let mut out = Map::new();
    for field in owned {
        if let Some(value) = desired.get(field).filter(|v| !v.is_null()) {
            out.insert((*field).to_owned(), value.clone());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owned_fields_count_and_are_sent() {
        let current = json!({"ready": true, "applied": 3, "policyId": "sp-1"});
        let desired = json!({"ready": true, "policyId": "sp-1", "applied": null});
        assert!(owned_fields_equal(
            &current,
            &desired,
            &["ready", "policyId"]
        ));
        assert!(!owned_fields_equal(
            &current,
            &desired,
            &["ready", "applied"]
        ));
        assert!(!owned_fields_equal(&Value::Null, &desired, &["ready"]));
        assert!(owned_fields_equal(&Value::Null, &json!({}), &["ready"]));

        let sent = only_owned(
            &json!({"ready": true, "other": 1, "gone": null}),
            &["ready", "gone"],
        );
        assert_eq!(sent, json!({"ready": true}));
    }
}
