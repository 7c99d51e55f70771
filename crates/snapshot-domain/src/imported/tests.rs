use super::*;
use crate::naming_rules::{check_dns_subdomain, is_label_value};

fn origin() -> SnapshotOrigin {
    let created = "2026-12-03T02:00:07Z".parse().unwrap();
    SnapshotOrigin::new("s-uf6221abc", "d-bp1xyz", created).unwrap()
}

#[test]
fn names_are_the_snapshot_id_and_one_content_per_namespace() {
    let o = origin();
    assert_eq!(o.volume_snapshot_name(), "s-uf6221abc");
    assert_eq!(o.content_name("default").unwrap(), "s-uf6221abc.default");
    assert_ne!(
        o.content_name("team-a").unwrap(),
        o.content_name("team-b").unwrap()
    );
    check_dns_subdomain("content", &o.content_name(&"n".repeat(63)).unwrap()).unwrap();
    let err = o.content_name("Team_A").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("namespace \"Team_A\" is invalid"),
        "{err}"
    );
}

#[test]
fn labels_answer_snapshots_of_pvc_and_of_policy() {
    let o = origin()
        .with_source_pvc("shop", "data-web-0")
        .unwrap()
        .with_policy("nightly")
        .unwrap();
    let labels = o.labels();
    assert_eq!(labels[LABEL_SNAPSHOT_TIME], "20261203T020007Z");
    assert_eq!(labels[LABEL_PVC_NAME], "data-web-0");
    assert_eq!(labels[LABEL_PVC_NAMESPACE], "shop");
    assert_eq!(labels[LABEL_POLICY], "nightly");
    assert_eq!(labels[LABEL_DISK_ID], "d-bp1xyz");
    assert_eq!(labels[LABEL_MANAGED_BY], MANAGED_BY);
    for (k, v) in &labels {
        assert!(is_label_value(v), "{k}={v}");
    }

    let selector = selector_for_pvc("shop", "data-web-0");
    for term in selector.split(',') {
        let (k, v) = term.split_once('=').unwrap();
        assert_eq!(labels[k], v, "selector term {term} matches");
    }
    assert!(
        selector_for_policy("nightly")
            .ends_with(",storage.alibabacloud.com/snapshot-policy=nightly")
    );
    assert_eq!(o.annotations()[ANNOTATION_SOURCE_PVC], "shop/data-web-0");
    assert_eq!(
        o.annotations()[ANNOTATION_CREATED_AT],
        "2026-12-03T02:00:07Z"
    );
}

#[test]
fn long_names_become_distinct_valid_label_values() {
    let a = format!("{}-a", "x".repeat(100));
    let b = format!("{}-b", "x".repeat(100));
    let (la, lb) = (label_value(&a), label_value(&b));
    assert!(is_label_value(&la) && is_label_value(&lb), "{la} {lb}");
    assert_eq!(la.len(), 63);
    assert_ne!(la, lb);
    assert_eq!(label_value("short.name"), "short.name");
    assert!(is_label_value(&label_value("...")));
    assert!(is_label_value(&label_value("a/b")));
}

#[test]
fn foreign_ids_are_refused() {
    let created = "2026-12-03T02:00:07Z".parse().unwrap();
    assert!(SnapshotOrigin::new("S-UPPER", "d-1", created).is_err());
    assert!(SnapshotOrigin::new("s-1", "disk-1", created).is_err());
    assert!(origin().with_source_pvc("ns", "Bad Name").is_err());
}
