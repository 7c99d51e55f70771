use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use serde_json::json;

use super::*;

fn pvc(phase: &str, volume: Option<&str>) -> PersistentVolumeClaim {
    serde_json::from_value(json!({
        "metadata": {"name": "data-web-0", "namespace": "shop", "uid": "u-1"},
        "spec": {"volumeName": volume},
        "status": {"phase": phase}
    }))
    .unwrap()
}

fn pv(name: &str, claim: (&str, &str), source: serde_json::Value) -> PersistentVolume {
    let mut spec = json!({"claimRef": {"namespace": claim.0, "name": claim.1, "uid": "u-1"}});
    spec.as_object_mut()
        .unwrap()
        .extend(source.as_object().unwrap().clone());
    serde_json::from_value(json!({"metadata": {"name": name}, "spec": spec})).unwrap()
}

fn csi(driver: &str, handle: &str) -> serde_json::Value {
    json!({"csi": {"driver": driver, "volumeHandle": handle}})
}

#[test]
fn a_bound_disk_pvc_resolves_to_its_volume_handle() {
    let pv = pv(
        "pv-1",
        ("shop", "data-web-0"),
        csi(DEFAULT_DISK_DRIVER, "d-bp1abc"),
    );
    let disk = resolve(
        &pvc("Bound", Some("pv-1")),
        Some(&pv),
        &DiskDrivers::default(),
    )
    .unwrap();
    assert_eq!(
        disk,
        ManagedDisk {
            disk_id: "d-bp1abc".into(),
            pv_name: "pv-1".into(),
            driver: DEFAULT_DISK_DRIVER.into(),
        }
    );
}

#[test]
fn every_unmanaged_case_has_its_reason() {
    let drivers = DiskDrivers::default();
    let bound = pvc("Bound", Some("pv-1"));
    let disk = csi(DEFAULT_DISK_DRIVER, "d-bp1abc");
    let cases = [
        (pvc("Pending", None), None, "Unbound"),
        (pvc("Pending", Some("pv-1")), None, "Unbound"),
        (bound.clone(), None, "PersistentVolumeMissing"),
        (
            bound.clone(),
            Some(pv("pv-2", ("shop", "data-web-0"), disk.clone())),
            "PersistentVolumeMissing",
        ),
        (
            bound.clone(),
            Some(pv("pv-1", ("shop", "other"), disk.clone())),
            "ClaimMismatch",
        ),
        (
            bound.clone(),
            Some(pv(
                "pv-1",
                ("shop", "data-web-0"),
                json!({"hostPath": {"path": "/x"}}),
            )),
            "NotCsi",
        ),
        (
            bound.clone(),
            Some(pv(
                "pv-1",
                ("shop", "data-web-0"),
                csi("nasplugin.csi.alibabacloud.com", "n-1"),
            )),
            "OtherDriver",
        ),
        (
            bound.clone(),
            Some(pv(
                "pv-1",
                ("shop", "data-web-0"),
                csi(DEFAULT_DISK_DRIVER, "<your-disk-id>"),
            )),
            "NotADisk",
        ),
    ];
    for (claim, volume, reason) in cases {
        let err = resolve(&claim, volume.as_ref(), &drivers).unwrap_err();
        assert_eq!(err.reason(), reason, "{err}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn the_driver_list_is_configurable() {
    let pv = pv(
        "pv-1",
        ("shop", "data-web-0"),
        csi("disk.example.com", "d-1"),
    );
    let claim = pvc("Bound", Some("pv-1"));
    assert!(resolve(&claim, Some(&pv), &DiskDrivers::default()).is_err());
    let drivers = DiskDrivers::new(["disk.example.com", DEFAULT_DISK_DRIVER]);
    assert_eq!(resolve(&claim, Some(&pv), &drivers).unwrap().disk_id, "d-1");
    assert_eq!(
        DiskDrivers::new(Vec::<String>::new()),
        DiskDrivers::default()
    );
}

#[test]
fn a_reused_name_with_another_uid_is_not_this_claim() {
    let mut volume = pv(
        "pv-1",
        ("shop", "data-web-0"),
        csi(DEFAULT_DISK_DRIVER, "d-1"),
    );
    volume
        .spec
        .as_mut()
        .unwrap()
        .claim_ref
        .as_mut()
        .unwrap()
        .uid = Some("u-old".into());
    let err = resolve(
        &pvc("Bound", Some("pv-1")),
        Some(&volume),
        &DiskDrivers::default(),
    );
    assert_eq!(err.unwrap_err().reason(), "ClaimMismatch");
}
