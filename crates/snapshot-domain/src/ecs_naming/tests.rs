use super::*;

const UID: &str = "3f2b9c1e-8d4a-4c55-9f0e-2a7d1b6c4e90";

fn owner(cluster: &str, name: &str) -> PolicyOwner {
    PolicyOwner::new(ClusterId::new(cluster).unwrap(), name, UID).unwrap()
}

/// ECS's rules for names of policies (no dots) and snapshots (dots allowed, no `auto` prefix).
fn assert_valid_ecs_name(name: &str) {
    assert!(
        (2..=128).contains(&name.len()),
        "{name} has {} chars",
        name.len()
    );
    assert!(
        name.as_bytes()[0].is_ascii_alphabetic(),
        "{name} must start with a letter"
    );
    assert!(!name.to_ascii_lowercase().starts_with("auto"), "{name}");
    assert!(
        name.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-')),
        "{name} has a forbidden character"
    );
}

#[test]
fn policy_names_are_valid_readable_and_distinct_per_cluster() {
    let a = owner("c0123456789abcdef0123456789abcdef", "nightly.backup");
    let b = owner("c-other", "nightly.backup");
    let name = a.ecs_policy_name();
    assert!(
        name.starts_with("ssm-c0123456789abcdef0123456789abcdef-nightly_backup-"),
        "{name}"
    );
    assert_valid_ecs_name(&name);
    assert_ne!(name, b.ecs_policy_name());
    assert_eq!(
        name,
        a.clone().ecs_policy_name(),
        "deterministic across restarts"
    );
}

#[test]
fn longest_inputs_still_fit_every_ecs_name() {
    let long_cluster = "c".repeat(40);
    let long_name = format!("{}.{}", "a".repeat(200), "b".repeat(52));
    let o = owner(&long_cluster, &long_name);
    let disk = format!("d-{}", "x".repeat(46));
    assert_valid_ecs_name(&o.ecs_policy_name());
    assert_valid_ecs_name(&o.snapshot_name(&disk, i64::MAX).unwrap());
    assert_valid_ecs_name(&o.group_name("i-bp1abc", i64::MIN).unwrap());
}

#[test]
fn tags_identify_the_owner_and_respect_ecs_reservations() {
    let o = owner("c1", "nightly");
    let tags = o.tags();
    for tag in &tags {
        assert!(
            !tag.key.starts_with("aliyun") && !tag.key.starts_with("acs:"),
            "{tag:?}"
        );
        assert!(
            (1..=128).contains(&tag.key.len()) && tag.value.len() <= 128,
            "{tag:?}"
        );
    }
    assert!(o.owns(&tags));
    let tagged = TaggedOwner::from_tags(&tags).unwrap();
    assert!(tagged.is_in(&ClusterId::new("c1").unwrap()));
    assert!(!tagged.is_in(&ClusterId::new("c2").unwrap()));
    assert!(
        !owner("c2", "nightly").owns(&tags),
        "another cluster's policy is not ours"
    );
    assert_eq!(
        TaggedOwner::from_tags(&tags[..1]),
        None,
        "a cluster tag alone names no owner"
    );
}

#[test]
fn client_tokens_are_deterministic_bounded_and_distinct() {
    let o = owner("c1", "once");
    let t = o.snapshot_client_token("d-bp1abc", 3).unwrap();
    assert_eq!(t.len(), 64);
    assert!(t.is_ascii());
    assert_eq!(t, o.snapshot_client_token("d-bp1abc", 3).unwrap());
    assert_ne!(t, o.snapshot_client_token("d-bp1abc", 4).unwrap());
    assert_ne!(t, o.snapshot_client_token("d-bp1abd", 3).unwrap());
    assert_ne!(
        t,
        owner("c2", "once")
            .snapshot_client_token("d-bp1abc", 3)
            .unwrap()
    );

    let g1 = o.group_client_token("i-bp1", &["d-2", "d-1"], 1).unwrap();
    let g2 = o
        .group_client_token("i-bp1", &["d-1", "d-2", "d-1"], 1)
        .unwrap();
    assert_eq!(g1, g2, "the disk set matters, not its order");
    assert_ne!(g1, o.group_client_token("i-bp1", &["d-1"], 1).unwrap());
}

#[test]
fn bad_identifiers_are_refused_with_the_field_named() {
    let err = ClusterId::new("Cluster_1").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cluster ID \"Cluster_1\" is invalid"),
        "{err}"
    );
    assert!(ClusterId::new("").is_err());
    assert!(ClusterId::new(&"c".repeat(41)).is_err());

    let c = ClusterId::new("c1").unwrap();
    assert!(PolicyOwner::new(c.clone(), "Nightly", UID).is_err());
    assert!(PolicyOwner::new(c.clone(), "nightly", "").is_err());
    assert!(PolicyOwner::new(c.clone(), "nightly", "uid with space").is_err());

    let o = owner("c1", "nightly");
    let err = o.snapshot_name("s-123", 1).unwrap_err();
    assert!(
        err.to_string().starts_with("disk ID \"s-123\" is invalid"),
        "{err}"
    );
    assert!(o.snapshot_client_token("d-", 1).is_err());
    assert!(o.group_client_token("i-1", &["D-1"], 1).is_err());
}
