use serde_json::json;

use super::*;

fn vsp(
    name: &str,
    created: &str,
    selector: serde_json::Value,
    ecs_id: Option<&str>,
) -> VolumeSnapshotPolicy {
    serde_json::from_value(json!({
        "apiVersion": "storage.alibabacloud.com/v1beta1",
        "kind": "VolumeSnapshotPolicy",
        "metadata": {"name": name, "uid": format!("uid-{name}"), "creationTimestamp": created},
        "spec": {
            "pvcSelector": selector,
            "snapshotSchedule": {"repeatWeekdays": ["1"], "timePoints": ["2"]},
        },
        "status": {"ecsPolicyId": ecs_id},
    }))
    .unwrap()
}

fn pvc(name: &str, labels: serde_json::Value, bound: bool) -> PersistentVolumeClaim {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "default", "labels": labels},
        "spec": {"volumeName": format!("pv-{name}")},
        "status": {"phase": if bound { "Bound" } else { "Pending" }},
    }))
    .unwrap()
}

fn pv(name: &str, driver: &str, handle: &str) -> PersistentVolume {
    serde_json::from_value(json!({
        "metadata": {"name": format!("pv-{name}")},
        "spec": {
            "csi": {"driver": driver, "volumeHandle": handle},
            "claimRef": {"namespace": "default", "name": name},
        },
    }))
    .unwrap()
}

const DISK: &str = "diskplugin.csi.alibabacloud.com";

fn compute_all(
    vsps: &[VolumeSnapshotPolicy],
    pvcs: &[PersistentVolumeClaim],
    pvs: &[PersistentVolume],
) -> Desired {
    let pvs: BTreeMap<String, &PersistentVolume> = pvs.iter().map(|p| (p.name_any(), p)).collect();
    let zone = ScheduleZone::named("Asia/Shanghai").unwrap();
    let now = "2026-12-03T00:00:00Z".parse().unwrap();
    compute(vsps, pvcs, &pvs, &DiskDrivers::default(), &zone, now)
}

#[test]
fn the_older_policy_wins_whatever_the_order_and_the_loser_is_named() {
    let web = json!({"matchLabels": {"app": "web"}});
    let tier = json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["db"]}]});
    let mut vsps = vec![
        vsp("nightly", "2026-12-01T10:00:00Z", web, Some("sp-nightly")),
        vsp("hourly", "2026-12-01T09:00:00Z", tier, Some("sp-hourly")),
    ];
    let pvcs = [
        pvc("db-0", json!({"app": "web", "tier": "db"}), true),
        pvc("web-0", json!({"app": "web"}), true),
    ];
    let pvs = [pv("db-0", DISK, "d-db0"), pv("web-0", DISK, "d-web0")];

    for _ in 0..2 {
        let desired = compute_all(&vsps, &pvcs, &pvs);
        let db = &desired.disks["d-db0"];
        assert_eq!(db.want, Want::Policy("sp-hourly".into()));
        assert_eq!(
            (db.winner.as_deref(), db.losers.clone()),
            (Some("hourly"), vec!["nightly".to_string()])
        );
        assert_eq!(db.pvc.to_string(), "default/db-0");
        assert_eq!(
            desired.disks["d-web0"].want,
            Want::Policy("sp-nightly".into())
        );
        assert!(desired.our_policy_ids.contains("sp-hourly"));
        vsps.reverse();
    }
}

#[test]
fn a_winner_without_an_ecs_policy_holds_its_disks_pending() {
    let web = json!({"matchLabels": {"app": "web"}});
    let vsps = [
        vsp("old", "2026-12-01T09:00:00Z", web.clone(), None),
        vsp("new", "2026-12-01T10:00:00Z", web, Some("sp-new")),
    ];
    let desired = compute_all(
        &vsps,
        &[pvc("web-0", json!({"app": "web"}), true)],
        &[pv("web-0", DISK, "d-1")],
    );
    assert_eq!(desired.disks["d-1"].want, Want::Pending);
    assert_eq!(desired.disks["d-1"].losers, ["new"]);
}

#[test]
fn unmanaged_pvcs_are_counted_and_unselected_disks_want_nothing() {
    let once: VolumeSnapshotPolicy = {
        let mut v = vsp(
            "once",
            "2026-12-01T08:00:00Z",
            json!({"matchLabels": {"app": "web"}}),
            None,
        );
        v.spec.snapshot_schedule.repeat_once = Some(true);
        v.spec.snapshot_schedule.repeat_weekdays = None;
        v.spec.snapshot_schedule.time_points = None;
        v
    };
    let pvcs = [
        pvc("web-0", json!({"app": "web"}), true),
        pvc("pending", json!({"app": "web"}), false),
        pvc("nfs", json!({"app": "web"}), true),
        pvc("nopv", json!({"app": "web"}), true),
    ];
    let pvs = [
        pv("web-0", DISK, "d-1"),
        pv("nfs", "nfs.csi.k8s.io", "share"),
    ];
    let desired = compute_all(&[once], &pvcs, &pvs);

    assert_eq!(
        desired.disks["d-1"].want,
        Want::Nothing,
        "repeatOnce never competes"
    );
    assert!(desired.claimants.is_empty());
    let unmanaged: Vec<(&str, usize)> = desired.unmanaged.iter().map(|(r, n)| (*r, *n)).collect();
    assert_eq!(
        unmanaged,
        [
            ("OtherDriver", 1),
            ("PersistentVolumeMissing", 1),
            ("Unbound", 1)
        ]
    );
}

#[test]
fn a_policy_policy_listener_refuses_claims_no_disk_however_old() {
    let blk = json!({"matchLabels": {"app": "blk"}});
    let mut kolkata = vsp("t-k-invalid", "2026-12-01T09:00:00Z", blk.clone(), None);
    kolkata.spec.time_zone = Some("Asia/Kolkata".into());
    let mut split = vsp("t-s-invalid", "2026-12-01T09:00:00Z", blk.clone(), None);
    split.spec.time_zone = Some("UTC".into());
    split.spec.snapshot_schedule.time_points = Some(vec!["3".into(), "20".into()]);
    let mut bad_selector = vsp("t-b-invalid", "2026-12-01T09:00:00Z", blk.clone(), None);
    let key = ("bad key!".to_string(), "blk".to_string());
    bad_selector.spec.pvc_selector.match_labels = Some([key].into());
    let valid = vsp("t-v-valid", "2026-12-01T10:00:00Z", blk, Some("sp-valid"));

    for invalid in [kolkata, split, bad_selector] {
        let name = invalid.metadata.name.clone().unwrap();
        let desired = compute_all(
            &[invalid, valid.clone()],
            &[pvc("blk-0", json!({"app": "blk", "bad key!": "blk"}), true)],
            &[pv("blk-0", DISK, "d-1")],
        );
        let disk = &desired.disks["d-1"];
        assert_eq!(disk.want, Want::Policy("sp-valid".into()), "{name}");
        assert_eq!(disk.winner.as_deref(), Some("t-v-valid"), "{name}");
        assert!(disk.losers.is_empty(), "{name}: {:?}", disk.losers);
        assert!(!desired.claimants.contains_key(&name), "{name}");
    }
}
