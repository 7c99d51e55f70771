//! The walkthrough, end to end, on the simulators with every service as its own process.
//!
//! One environment runs the whole story in order, as a user would live it; each step asserts
//! on the cluster (through kubectl) and on ECS (through the ECS simulator's admin API). Steps
//! that need pvc-reconciler (policy applied to disks, scheduled snapshots, retention) run only
//! when its binary is built; without it the test checks that nothing else applied the policy.

use std::time::Duration;

use kube::api::{DynamicObject, Patch, PatchParams};
use serde_json::json;
use walkthrough::standins::{DISK_DRIVER, vs_resource, vsc_resource};
use walkthrough::steps::{self, EXTRA_DISKS, FIXTURE_DISK, SCHEDULED_DISK};
use walkthrough::{EnvOptions, Environment, WalkthroughError};

async fn start(name: &str) -> Environment {
    let dir = std::env::temp_dir().join(format!("walkthrough-{name}-{}", std::process::id()));
    let options = EnvOptions {
        dir,
        clock_start: None,
        clock_rate: 0,
    };
    match Environment::start(options).await {
        Ok(env) => env,
        Err(err) => panic!("environment did not start: {err}"),
    }
}

/// Runs `scenario`; on failure prints every service's log before failing the test.
async fn run<F>(name: &str, scenario: F)
where
    F: AsyncFnOnce(&mut Environment) -> Result<(), WalkthroughError>,
{
    let mut env = start(name).await;
    let outcome = tokio::time::timeout(Duration::from_secs(240), scenario(&mut env)).await;
    let failure = match outcome {
        Ok(Ok(())) => match env.check_alive() {
            // Each service ran on its own ServiceAccount: the chart's RBAC must have let it
            // do its work (sufficient) and granted nothing it did not use (minimal).
            Ok(()) => env.verify_rbac().await.err().map(|e| e.to_string()),
            Err(err) => Some(err.to_string()),
        },
        Ok(Err(err)) => Some(err.to_string()),
        Err(_) => Some("scenario took longer than 240s".to_owned()),
    };
    if let Some(failure) = failure {
        env.dump_logs();
        env.shutdown().await;
        panic!("{failure}");
    }
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_walkthrough_on_the_simulators() {
    run("main", async |env| {
        install_and_bind(env).await?;
        seed_manifest_is_refused(env)?;
        scheduled_policy(env).await?;
        let once = repeat_once(env).await?;
        restore(env, &once).await?;
        edit_and_delete(env).await
    })
    .await;
}

async fn install_and_bind(env: &mut Environment) -> Result<(), WalkthroughError> {
    env.kubectl
        .apply_file(&steps::fixture("volume-snapshot-class.yaml"))?;
    let class = env
        .kubectl
        .get_json(&["volumesnapshotclass", "default-snapclass"])?;
    assert_eq!(class["driver"], "diskplugin.csi.alibabacloud.com");

    steps::seed_ecs(env).await?;
    for file in ["pv-static-disk.yaml", "pvc.yaml", "statefulset.yaml"] {
        let out = env.run_kubectl_apply(file)?;
        assert!(out.contains("created"), "{file}: {out}");
    }
    let volume = steps::wait_pvc_bound(env, "csi-pvc-snapshot-policy").await?;
    assert_eq!(volume, "csi-pv-snapshot-policy");

    env.kubectl.apply_stdin(&steps::static_volume_yaml(
        "data-scheduled",
        SCHEDULED_DISK,
        "nginx1",
    ))?;
    for (i, disk) in EXTRA_DISKS.iter().enumerate() {
        env.kubectl.apply_stdin(&steps::static_volume_yaml(
            &format!("data-{i}"),
            disk,
            "nginx",
        ))?;
    }
    steps::wait_pvc_bound(env, "data-scheduled").await?;
    steps::wait_pvc_bound(env, "data-0").await?;
    steps::wait_pvc_bound(env, "data-1").await?;
    Ok(())
}

fn seed_manifest_is_refused(env: &mut Environment) -> Result<(), WalkthroughError> {
    let refused = env
        .kubectl
        .apply_file(&steps::fixture("seed-list-scheduled.yaml"));
    let Err(WalkthroughError::Kubectl { stderr, .. }) = refused else {
        panic!("the mis-indented seed manifest was accepted: {refused:?}");
    };
    assert!(
        stderr.to_lowercase().contains("kind"),
        "unclear refusal: {stderr}"
    );
    let listed = env.kubectl.run(&["get", "vsp", "-o", "name"], None)?;
    assert_eq!(
        listed.trim(),
        "",
        "nothing may be created from the refused manifest"
    );
    Ok(())
}

async fn scheduled_policy(env: &mut Environment) -> Result<(), WalkthroughError> {
    env.kubectl
        .apply_file(&steps::fixture("vsp-scheduled.yaml"))?;
    let state = steps::wait_ecs(env, "the ECS policy of volumesnapshotpolicy2", |s| {
        s.policies.len() == 1
    })
    .await?;
    let policy = state.policies[0].clone();
    assert_eq!(
        policy.time_points,
        vec![2, 10, 12, 16],
        "Asia/Shanghai hours are ECS hours"
    );
    assert_eq!(policy.repeat_weekdays, vec![1, 2, 4, 5]);
    assert_eq!(policy.retention_days, 30);

    if env.missing.iter().any(|m| m == "pvc-reconciler") {
        eprintln!("pvc-reconciler not built: skipping apply/fire/retention steps");
        let disk = state.disks.iter().find(|d| d.id == SCHEDULED_DISK);
        assert!(
            disk.is_some_and(|d| d.policy_ids.is_empty()),
            "only pvc-reconciler applies"
        );
        return Ok(());
    }
    scheduled_snapshots(env, &policy).await
}

/// Needs pvc-reconciler: the policy on the disk, a firing at 02:00, retention after 30 days.
async fn scheduled_snapshots(
    env: &mut Environment,
    policy: &ecs_sim::Policy,
) -> Result<(), WalkthroughError> {
    steps::wait_ecs(env, "the policy applied to the selected disk", |s| {
        s.disks
            .iter()
            .any(|d| d.id == SCHEDULED_DISK && d.policy_ids == [policy.id.as_str()])
    })
    .await?;
    let unselected = env.ecs.state().await?;
    assert!(
        unselected
            .disks
            .iter()
            .filter(|d| d.id != SCHEDULED_DISK)
            .all(|d| d.policy_ids.is_empty())
    );
    let fired = steps::advance_past_next_firing(env, policy).await?;
    let state = env.ecs.state().await?;
    let taken = steps::snapshots_of(&state, SCHEDULED_DISK);
    assert_eq!(taken.len(), 1, "one firing at {fired}: {taken:?}");
    assert_eq!(taken[0].snapshot.kind, ecs_sim::SnapshotKind::Auto);
    let id = taken[0].snapshot.id.clone();
    steps::wait_ready_snapshots(env, std::slice::from_ref(&id)).await?;

    steps::advance(env, 31 * 24 * 3600).await?;
    let gone = steps::wait_ecs(env, "the first snapshot released", |s| {
        s.snapshots.iter().all(|x| x.snapshot.id != id)
    });
    gone.await?;
    let kubectl = env.kubectl.clone();
    walkthrough::process::wait_for("its VolumeSnapshot removed", steps::REACTION, || async {
        kubectl
            .get_json(&["volumesnapshot", &id, "-n", "default"])
            .is_err()
            .then_some(())
    })
    .await
}

async fn repeat_once(env: &mut Environment) -> Result<Vec<String>, WalkthroughError> {
    env.kubectl
        .apply_file(&steps::fixture("vsp-repeat-once.yaml"))?;
    let mut disks = vec![FIXTURE_DISK];
    disks.extend(EXTRA_DISKS);
    let manual = |s: &ecs_sim::StateDump, d: &str| {
        steps::snapshots_of(s, d)
            .iter()
            .filter(|x| x.snapshot.kind == ecs_sim::SnapshotKind::User)
            .count()
    };
    steps::wait_ecs(env, "one-off snapshots of the three app=nginx disks", |s| {
        disks.iter().all(|d| manual(s, d) == 1)
    })
    .await?;
    steps::advance(env, 120).await?;

    let state = env.ecs.state().await?;
    let ids: Vec<String> = disks
        .iter()
        .flat_map(|d| steps::snapshots_of(&state, d))
        .map(|s| s.snapshot.id.clone())
        .collect();
    steps::wait_ready_snapshots(env, &ids).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let state = env.ecs.state().await?;
    for disk in &disks {
        assert_eq!(
            manual(&state, disk),
            1,
            "{disk}: exactly one one-off snapshot"
        );
    }
    assert!(
        steps::snapshots_of(&state, SCHEDULED_DISK)
            .iter()
            .all(|s| s.snapshot.kind != ecs_sim::SnapshotKind::User)
    );
    Ok(ids)
}

async fn restore(env: &mut Environment, snapshots: &[String]) -> Result<(), WalkthroughError> {
    let source = &snapshots[0];
    env.kubectl
        .apply_stdin(&steps::restore_pvc_yaml("too-small", source, "20Gi"))?;
    env.kubectl
        .apply_stdin(&steps::restore_pvc_yaml("no-such", "s-missing", "40Gi"))?;
    env.kubectl
        .apply_stdin(&steps::restore_pvc_yaml("restored", source, "25Gi"))?;
    let volume = steps::wait_pvc_bound(env, "restored").await?;
    let pv = env.kubectl.get_json(&["pv", &volume])?;
    let disk = pv["spec"]["csi"]["volumeHandle"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let state = env.ecs.state().await?;
    assert!(
        state.disks.iter().any(|d| d.id == disk && d.size_gib == 25),
        "{disk} in ECS"
    );

    restore_refusals(env).await
}

/// What the CSI provisioner refuses, each shown as it shows it: a `ProvisioningFailed` Event
/// on the PVC, which stays `Pending`.
async fn restore_refusals(env: &mut Environment) -> Result<(), WalkthroughError> {
    let foreign = steps::pre_provisioned_yaml("foreign", "nasplugin.csi.example.com", "nas-1");
    env.kubectl.apply_stdin(&foreign)?;
    ready_as_its_driver_would(env, "foreign").await?;
    let unready = steps::pre_provisioned_yaml("unready", DISK_DRIVER, "s-notinecs");
    env.kubectl.apply_stdin(&unready)?;
    env.kubectl
        .apply_stdin(&steps::restore_pvc_yaml("other-driver", "foreign", "40Gi"))?;
    env.kubectl
        .apply_stdin(&steps::restore_pvc_yaml("not-ready", "unready", "40Gi"))?;

    let refusals = [
        ("too-small", "less than the size"),
        ("no-such", "not found"),
        ("other-driver", "nasplugin.csi.example.com is not"),
        ("not-ready", "not ready to use"),
    ];
    let kubectl = env.kubectl.clone();
    walkthrough::process::wait_for("refusal events", steps::REACTION, || async {
        let list = kubectl.get_json(&["events", "-n", "default"]).ok()?;
        let items = list["items"].as_array()?;
        let shown = |(pvc, text): &(&str, &str)| {
            items.iter().any(|e| {
                e["involvedObject"]["name"] == *pvc
                    && e["reason"] == "ProvisioningFailed"
                    && e["type"] == "Warning"
                    && e["message"].as_str().is_some_and(|m| m.contains(text))
            })
        };
        refusals.iter().all(shown).then_some(())
    })
    .await?;
    for (refused, _) in refusals {
        let pvc = env.kubectl.get_json(&["pvc", refused, "-n", "default"])?;
        assert_eq!(pvc["status"]["phase"], "Pending", "{refused} stays pending");
        assert!(
            pvc["spec"]["volumeName"].is_null(),
            "{refused} has no volume"
        );
    }
    Ok(())
}

/// The status another driver's snapshotter would give its pre-provisioned pair: bound, ready.
async fn ready_as_its_driver_would(env: &Environment, name: &str) -> Result<(), WalkthroughError> {
    let size = 25u64 << 30;
    let content = json!({"status": {"snapshotHandle": "nas-1", "readyToUse": true,
        "restoreSize": size}});
    let contents = kube::Api::<DynamicObject>::all_with(env.kube.clone(), &vsc_resource());
    contents
        .patch_status(name, &PatchParams::default(), &Patch::Merge(content))
        .await?;
    let snapshot = json!({"status": {"boundVolumeSnapshotContentName": name,
        "readyToUse": true, "restoreSize": "25Gi"}});
    let snapshots =
        kube::Api::<DynamicObject>::namespaced_with(env.kube.clone(), "default", &vs_resource());
    snapshots
        .patch_status(name, &PatchParams::default(), &Patch::Merge(snapshot))
        .await?;
    Ok(())
}

async fn edit_and_delete(env: &mut Environment) -> Result<(), WalkthroughError> {
    let edited = std::fs::read_to_string(steps::fixture("vsp-scheduled.yaml"))
        .expect("fixture")
        .replace(
            r#"timePoints: ["2", "10", "12", "16"]"#,
            r#"timePoints: ["3", "15"]"#,
        );
    env.kubectl.apply_stdin(&edited)?;
    steps::wait_ecs(env, "the ECS policy following the edit", |s| {
        s.policies.len() == 1 && s.policies[0].time_points == [3, 15]
    })
    .await?;

    let before = env.ecs.state().await?;
    env.kubectl.run(
        &["delete", "vsp", "volumesnapshotpolicy2", "--wait=false"],
        None,
    )?;
    let after = steps::wait_ecs(env, "the ECS policy deleted", |s| s.policies.is_empty()).await?;
    assert_eq!(
        after.snapshots.len(),
        before.snapshots.len(),
        "snapshots are kept"
    );
    assert_eq!(after.disks.len(), before.disks.len(), "disks are kept");
    let kubectl = env.kubectl.clone();
    walkthrough::process::wait_for("the VSP gone", steps::REACTION, || async {
        kubectl
            .get_json(&["vsp", "volumesnapshotpolicy2"])
            .is_err()
            .then_some(())
    })
    .await
}
