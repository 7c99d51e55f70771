use serde_json::{Value, json};

use super::*;
use crate::resources::builtin_descriptors;

fn deployment_desc() -> ResourceDescriptor {
    builtin_descriptors()
        .into_iter()
        .find(|d| d.kind == "Deployment")
        .unwrap()
}

fn writer(manager: &str) -> Writer<'_> {
    Writer {
        manager,
        subresource: "",
    }
}

fn apply_as(live: &Value, applied: Value, manager: &str, force: bool) -> Result<Value> {
    let desc = deployment_desc();
    let merged = crate::patch::merge_for_apply(&desc, live, &applied)?;
    apply(&desc, live, &applied, merged, writer(manager), force)
}

fn entry<'a>(obj: &'a Value, manager: &str) -> Option<&'a Value> {
    let list = obj["metadata"]["managedFields"].as_array()?;
    list.iter().find(|e| e["manager"] == manager)
}

#[test]
fn applying_twice_changes_nothing() {
    let applied = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"replicas": 1}});
    let once = apply_as(&json!({}), applied.clone(), "a", false).unwrap();
    let twice = apply_as(&once, applied, "a", false).unwrap();
    assert_eq!(once, twice);
    assert_eq!(
        entry(&once, "a").unwrap()["fieldsV1"],
        json!({"f:spec": {"f:replicas": {}}})
    );
}

#[test]
fn managers_conflict_share_and_keep_each_others_fields() {
    let base = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}});
    let mut a = base.clone();
    a["spec"] = json!({"replicas": 1, "paused": false});
    let live = apply_as(&json!({}), a.clone(), "a", false).unwrap();

    let mut b = base.clone();
    b["spec"] = json!({"replicas": 3, "minReadySeconds": 5});
    let err = apply_as(&live, b.clone(), "b", false).unwrap_err();
    let status = err.to_status();
    assert_eq!(status["code"], 409);
    assert_eq!(status["details"]["causes"][0]["field"], ".spec.replicas");

    let live = apply_as(&live, b, "b", true).unwrap();
    assert_eq!(live["spec"]["replicas"], 3);
    assert!(
        entry(&live, "a").unwrap()["fieldsV1"]["f:spec"]
            .get("f:replicas")
            .is_none()
    );

    let mut a_again = base.clone();
    a_again["spec"] = json!({"paused": false});
    let live = apply_as(&live, a_again, "a", false).unwrap();
    assert_eq!(
        live["spec"]["minReadySeconds"], 5,
        "b's field survives a's apply"
    );

    let mut a_drop = base;
    a_drop["spec"] = json!({});
    let live = apply_as(&live, a_drop, "a", false).unwrap();
    assert!(
        live["spec"].get("paused").is_none(),
        "a field its only applier dropped is removed"
    );
    assert_eq!(live["spec"]["replicas"], 3);
}

#[test]
fn updates_take_ownership_of_changed_fields() {
    let desc = deployment_desc();
    let applied = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"replicas": 1}});
    let live = apply_as(&json!({}), applied, "a", false).unwrap();
    let mut updated = live.clone();
    updated["spec"]["replicas"] = json!(4);
    record_update(&desc, Some(&live), &mut updated, writer("kubectl-edit"));
    assert!(entry(&updated, "a").is_none(), "a lost its only field");
    assert_eq!(
        entry(&updated, "kubectl-edit").unwrap()["operation"],
        "Update"
    );
}

/// kube-lease-manager releases a Lease by patching `holderIdentity` to null, then another
/// holder takes it with a server-side apply: nobody may still own the removed field.
#[test]
fn fields_removed_by_a_patch_are_owned_by_nobody() {
    let desc = builtin_descriptors()
        .into_iter()
        .find(|d| d.kind == "Lease")
        .unwrap();
    let lease = |holder: &str| {
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "l", "namespace": "default"},
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": 10}})
    };
    let apply_lease = |live: &Value, applied: Value, manager: &str| {
        let merged = crate::patch::merge_for_apply(&desc, live, &applied)?;
        apply(&desc, live, &applied, merged, writer(manager), false)
    };
    let held = apply_lease(&json!({}), lease("a"), "a").unwrap();
    assert!(
        apply_lease(&held, lease("b"), "b").is_err(),
        "a still holds it"
    );

    let mut released = held.clone();
    released["spec"]
        .as_object_mut()
        .unwrap()
        .remove("holderIdentity");
    record_update(&desc, Some(&held), &mut released, writer("a"));
    let a = entry(&released, "a").unwrap();
    assert_eq!(
        a["fieldsV1"],
        json!({"f:spec": {"f:leaseDurationSeconds": {}}})
    );

    let taken = apply_lease(&released, lease("b"), "b").unwrap();
    assert_eq!(taken["spec"]["holderIdentity"], "b");
}

/// Every update merges into its manager's `Update` entry; the status subresource and each
/// apiVersion get entries of their own, as kube-apiserver keys them.
#[test]
fn updates_merge_per_manager_subresource_and_version() {
    let desc = deployment_desc();
    let created = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "d"}, "spec": {"replicas": 1}});
    let mut live = created.clone();
    record_update(&desc, None, &mut live, writer("ctl"));

    let mut scaled = live.clone();
    scaled["spec"]["paused"] = json!(true);
    scaled["metadata"]["labels"] = json!({"tier": "web"});
    record_update(&desc, Some(&live), &mut scaled, writer("ctl"));
    let entries = scaled["metadata"]["managedFields"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(
        entries[0]["fieldsV1"],
        json!({"f:metadata": {"f:labels": {"f:tier": {}}},
               "f:spec": {"f:paused": {}, "f:replicas": {}}})
    );

    let mut status = scaled.clone();
    status["status"] = json!({"replicas": 1});
    let status_writer = Writer {
        manager: "ctl",
        subresource: "status",
    };
    record_update(&desc, Some(&scaled), &mut status, status_writer);
    let entries = status["metadata"]["managedFields"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[1]["subresource"], "status");
    assert_eq!(
        entries[1]["fieldsV1"],
        json!({"f:status": {"f:replicas": {}}})
    );

    let mut unchanged = status.clone();
    record_update(&desc, Some(&status), &mut unchanged, writer("other"));
    assert_eq!(
        unchanged, status,
        "a write that changes nothing records nothing"
    );
}

#[test]
fn an_update_by_another_manager_takes_fields_from_appliers() {
    let desc = deployment_desc();
    let applied = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"replicas": 1, "paused": false}});
    let live = apply_as(&json!({}), applied, "a", false).unwrap();
    let mut patched = live.clone();
    patched["spec"]["replicas"] = json!(2);
    record_update(&desc, Some(&live), &mut patched, writer("kubectl-patch"));
    assert_eq!(
        entry(&patched, "a").unwrap()["fieldsV1"],
        json!({"f:spec": {"f:paused": {}}})
    );
    assert_eq!(
        entry(&patched, "kubectl-patch").unwrap()["fieldsV1"],
        json!({"f:spec": {"f:replicas": {}}})
    );
}

#[test]
fn parents_emptied_by_an_apply_go_unless_someone_else_owns_them() {
    let base = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}});
    let mut full = base.clone();
    full["spec"] = json!({"replicas": 1, "strategy": {"rollingUpdate": {"maxSurge": 1}}});
    let mut short = base.clone();
    short["spec"] = json!({"replicas": 1});

    let live = apply_as(&json!({}), full.clone(), "a", false).unwrap();
    let after = apply_as(&live, short.clone(), "a", false).unwrap();
    assert_eq!(
        after["spec"],
        json!({"replicas": 1}),
        "strategy and rollingUpdate go"
    );
    assert_eq!(
        entry(&after, "a").unwrap()["fieldsV1"],
        json!({"f:spec": {"f:replicas": {}}})
    );

    let mut other = base.clone();
    other["spec"] = json!({"strategy": {"type": "RollingUpdate"}});
    let live = apply_as(&live, other, "b", false).unwrap();
    let after = apply_as(&live, short, "a", false).unwrap();
    assert_eq!(
        after["spec"]["strategy"],
        json!({"type": "RollingUpdate"}),
        "b's field keeps the parent; a's emptied rollingUpdate goes"
    );
}

#[test]
fn an_empty_object_the_applier_still_applies_stays() {
    let base = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}});
    let mut full = base.clone();
    full["spec"] = json!({"strategy": {"rollingUpdate": {"maxSurge": 1}}});
    let mut emptied = base.clone();
    emptied["spec"] = json!({"strategy": {"rollingUpdate": {}}});

    let live = apply_as(&json!({}), full, "a", false).unwrap();
    let after = apply_as(&live, emptied, "a", false).unwrap();
    assert_eq!(after["spec"], json!({"strategy": {"rollingUpdate": {}}}));
}
