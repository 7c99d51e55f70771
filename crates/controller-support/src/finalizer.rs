//! A finalizer around a controller's apply and cleanup, like kube-runtime's `finalizer`, but
//! adding the finalizer with a JSON patch guarded by the object's `resourceVersion` instead of
//! a `test` of a possibly absent `/metadata/finalizers` (which not every API implementation
//! accepts for a missing field).
//!
//! # Flow
//! - Not being deleted, finalizer missing: add it, return `await_change` (the write triggers
//!   the next reconcile, which applies).
//! - Not being deleted, finalizer present: `apply`.
//! - Being deleted, finalizer present: `cleanup`, then remove the finalizer (guarded by a
//!   `test` of the entry at its index, so a concurrent change of the list is never clobbered).
//! - Being deleted, finalizer gone: nothing (another finalizer holds the object).
//!
//! # Errors
//! [`FinalizerError::Apply`] / [`FinalizerError::Cleanup`] carry the controller's error;
//! [`FinalizerError::Patch`] a refused finalizer patch (a conflict is retried by the caller's
//! backoff like any other error).

use std::{fmt::Debug, future::Future, sync::Arc};

use kube::{
    Api, Resource, ResourceExt,
    api::{Patch, PatchParams},
    runtime::controller::Action,
};
use serde::de::DeserializeOwned;
use serde_json::json;

/// Why a reconcile behind a finalizer failed.
#[derive(Debug, thiserror::Error)]
pub enum FinalizerError<E: std::error::Error + 'static> {
    #[error("apply failed: {0}")]
    Apply(#[source] E),
    #[error("cleanup failed: {0}")]
    Cleanup(#[source] E),
    /// The JSON patch could not be built (a bug: its operations are fixed).
    #[error("cannot build the finalizer patch: {0}")]
    BuildPatch(#[source] serde_json::Error),
    #[error("cannot update finalizer {finalizer}: {source}")]
    Patch {
        finalizer: String,
        #[source]
        source: kube::Error,
    },
}

/// Runs `apply` or `cleanup` for `object` with `finalizer` kept in step (see the module flow).
pub async fn with_finalizer<K, E, FA, FC, RA, RC>(
    api: &Api<K>,
    finalizer: &str,
    object: Arc<K>,
    apply: FA,
    cleanup: FC,
) -> Result<Action, FinalizerError<E>>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
    E: std::error::Error + 'static,
    FA: FnOnce(Arc<K>) -> RA,
    FC: FnOnce(Arc<K>) -> RC,
    RA: Future<Output = Result<Action, E>>,
    RC: Future<Output = Result<Action, E>>,
{
    let position = object.finalizers().iter().position(|f| f == finalizer);
    let deleting = object.meta().deletion_timestamp.is_some();
    let patch_error = |source| FinalizerError::Patch {
        finalizer: finalizer.to_owned(),
        source,
    };

    match (deleting, position) {
        (false, Some(_)) => apply(object).await.map_err(FinalizerError::Apply),
        (false, None) => {
            let patch =
                add_patch(object.as_ref(), finalizer).map_err(FinalizerError::BuildPatch)?;
            api.patch(
                &object.name_any(),
                &PatchParams::default(),
                &Patch::Json::<()>(patch),
            )
            .await
            .map_err(patch_error)?;
            Ok(Action::await_change())
        }
        (true, Some(index)) => {
            let name = object.name_any();
            let action = cleanup(object).await.map_err(FinalizerError::Cleanup)?;
            let patch = remove_patch(index, finalizer).map_err(FinalizerError::BuildPatch)?;
            api.patch(&name, &PatchParams::default(), &Patch::Json::<()>(patch))
                .await
                .map_err(patch_error)?;
            Ok(action)
        }
        (true, None) => Ok(Action::await_change()),
    }
}

fn add_patch<K: Resource>(
    object: &K,
    finalizer: &str,
) -> Result<json_patch::Patch, serde_json::Error> {
    let version = object.meta().resource_version.clone().unwrap_or_default();
    let add = if object.meta().finalizers.is_some() {
        json!({"op": "add", "path": "/metadata/finalizers/-", "value": finalizer})
    } else {
        json!({"op": "add", "path": "/metadata/finalizers", "value": [finalizer]})
    };
    let ops = json!([
        {"op": "test", "path": "/metadata/resourceVersion", "value": version},
        add,
    ]);
    serde_json::from_value(ops)
}

fn remove_patch(index: usize, finalizer: &str) -> Result<json_patch::Patch, serde_json::Error> {
    let path = format!("/metadata/finalizers/{index}");
    serde_json::from_value(json!([
        {"op": "test", "path": path, "value": finalizer},
        {"op": "remove", "path": path},
    ]))
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::ConfigMap;

    use super::*;

    #[test]
    fn patches_guard_what_they_change() {
        let mut cm = ConfigMap::default();
        cm.metadata.resource_version = Some("42".into());
        let add = serde_json::to_value(add_patch(&cm, "example.com/x").unwrap()).unwrap();
        assert_eq!(add[0]["value"], "42");
        assert_eq!(add[1]["path"], "/metadata/finalizers");

        cm.metadata.finalizers = Some(vec!["other".into()]);
        let add = serde_json::to_value(add_patch(&cm, "example.com/x").unwrap()).unwrap();
        assert_eq!(add[1]["path"], "/metadata/finalizers/-");

        let remove = serde_json::to_value(remove_patch(1, "example.com/x").unwrap()).unwrap();
        assert_eq!(remove[0]["op"], "test");
        assert_eq!(remove[1]["path"], "/metadata/finalizers/1");
    }
}
