//! The walkthrough under faults: every service killed (SIGKILL) and restarted at a random
//! point, the gateway down for a while, ECS failing and throttling throughout. The end state
//! must be the clean run's: the right ECS policy on the right disk, one snapshot per firing and
//! per one-off disk, one ready VolumeSnapshot pair per finished snapshot, and after the
//! policies are deleted no ECS policy and no orphaned pair.
//!
//! The plan comes from a seed printed first; `WALKTHROUGH_FAULT_SEED=<seed>` replays it.
//!
//! The gateway outage lasts [`OUTAGE`]: controllers retry a failing object with exponential
//! backoff from one second (1, 2, 4, 8 s, with jitter), so 20 s makes each of them fail four or
//! five times in a row, long past the gateway client's connect timeout and any single retry,
//! which is what shows that they back off and stay up instead of exiting. A minute would only
//! add two more doublings, and as many seconds of waiting for the last, longest delay to run
//! out after the gateway is back, for about two more minutes of CI.

use std::time::Duration;

use ecs_sim::SnapshotKind;
use walkthrough::end_state::{self, Pairs};
use walkthrough::faults::FaultPlan;
use walkthrough::steps::{self, EXTRA_DISKS, FIXTURE_DISK, REACTION, SCHEDULED_DISK};
use walkthrough::{EnvOptions, Environment, WalkthroughError};

/// How long the gateway is down (see the module docs).
const OUTAGE: Duration = Duration::from_secs(20);
/// The whole scenario's limit; a clean run takes about a minute, this one about two.
const BUDGET: Duration = Duration::from_secs(240);
/// After a count first matches, how long to wait for a late duplicate before counting again.
const SETTLE: Duration = Duration::from_secs(4);

/// The steps after whose user action the plan may kill a service.
const SCHEDULED: usize = 0;
const FIRED: usize = 1;
const ONE_OFF: usize = 2;
const RESTORE: usize = 3;
const RETENTION: usize = 4;
const EDIT: usize = 5;
const DELETE: usize = 6;
const POINTS: usize = 7;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_walkthrough_ends_the_same_under_kills_outage_and_ecs_faults() {
    let plan = FaultPlan::from_env(POINTS).unwrap_or_else(|err| panic!("{err}"));
    eprintln!("{}", plan.describe());
    let dir = std::env::temp_dir().join(format!("walkthrough-faults-{}", std::process::id()));
    let options = EnvOptions {
        dir,
        clock_start: None,
        clock_rate: 0,
    };
    let mut env = Environment::start(options)
        .await
        .unwrap_or_else(|err| panic!("environment did not start: {err}"));

    let outcome = tokio::time::timeout(BUDGET, scenario(&mut env, &plan)).await;
    let failure = match outcome {
        Ok(Ok(())) => env.crashed().first().cloned(),
        Ok(Err(err)) => Some(err.to_string()),
        Err(_) => Some(format!("scenario took longer than {BUDGET:?}")),
    };
    if let Some(failure) = failure {
        env.dump_logs();
        env.shutdown().await;
        panic!(
            "seed {} (replay: {}={0}): {failure}",
            plan.seed,
            walkthrough::faults::SEED_ENV
        );
    }
    env.shutdown().await;
}

async fn scenario(env: &mut Environment, plan: &FaultPlan) -> Result<(), WalkthroughError> {
    env.inject_ecs_faults(plan).await?;
    install(env).await?;
    let clock_start = env.ecs.now().await?;

    env.kubectl
        .apply_file(&steps::fixture("vsp-scheduled.yaml"))?;
    env.run_kills(plan, SCHEDULED).await?;
    let policy = scheduled_policy_applied(env).await?;

    steps::advance_past_next_firing(env, &policy).await?;
    env.run_kills(plan, FIRED).await?;
    let first = first_scheduled_snapshot(env).await?;

    one_off_through_gateway_outage(env, plan).await?;
    restore(env, plan, &first).await?;

    steps::advance(env, 31 * 24 * 3600).await?;
    env.run_kills(plan, RETENTION).await?;
    steps::wait_ecs(env, "the first snapshot released", |s| {
        s.snapshots.iter().all(|x| x.snapshot.id != first)
    })
    .await?;

    edit(env, plan).await?;
    let pairs = check_counts(env, &policy, clock_start).await?;
    delete_policies(env, plan, &pairs).await
}

async fn install(env: &mut Environment) -> Result<(), WalkthroughError> {
    env.run_kubectl_apply("volume-snapshot-class.yaml")?;
    steps::seed_ecs(env).await?;
    for file in ["pv-static-disk.yaml", "pvc.yaml", "statefulset.yaml"] {
        env.run_kubectl_apply(file)?;
    }
    let mut volumes = vec![("data-scheduled".to_owned(), SCHEDULED_DISK, "nginx1")];
    for (i, disk) in EXTRA_DISKS.iter().enumerate() {
        volumes.push((format!("data-{i}"), disk, "nginx"));
    }
    for (name, disk, app) in &volumes {
        env.kubectl
            .apply_stdin(&steps::static_volume_yaml(name, disk, app))?;
    }
    for pvc in [
        "csi-pvc-snapshot-policy",
        "data-scheduled",
        "data-0",
        "data-1",
    ] {
        steps::wait_pvc_bound(env, pvc).await?;
    }
    Ok(())
}

/// Exactly one ECS policy, with the schedule, on the selected disk only.
async fn scheduled_policy_applied(env: &Environment) -> Result<ecs_sim::Policy, WalkthroughError> {
    let state = steps::wait_ecs(env, "the ECS policy applied to the selected disk", |s| {
        s.policies.len() == 1
            && s.disks
                .iter()
                .any(|d| d.id == SCHEDULED_DISK && d.policy_ids == [s.policies[0].id.as_str()])
    })
    .await?;
    tokio::time::sleep(SETTLE).await;
    let again = env.ecs.state().await?;
    if again.policies.len() != 1 {
        return mismatch(format!("ECS policies after settling: {:?}", again.policies));
    }
    let policy = state.policies[0].clone();
    let expected = (vec![2, 10, 12, 16], vec![1, 2, 4, 5], 30);
    let actual = (
        policy.time_points.clone(),
        policy.repeat_weekdays.clone(),
        policy.retention_days,
    );
    if actual != expected {
        return mismatch(format!("ECS schedule {actual:?}, expected {expected:?}"));
    }
    unselected_disks_are_bare(&again, &[SCHEDULED_DISK])?;
    Ok(policy)
}

fn unselected_disks_are_bare(
    state: &ecs_sim::StateDump,
    selected: &[&str],
) -> Result<(), WalkthroughError> {
    let carrying: Vec<&str> = state
        .disks
        .iter()
        .filter(|d| !selected.contains(&d.id.as_str()) && !d.policy_ids.is_empty())
        .map(|d| d.id.as_str())
        .collect();
    if carrying.is_empty() {
        return Ok(());
    }
    mismatch(format!("unselected disks carry a policy: {carrying:?}"))
}

async fn first_scheduled_snapshot(env: &Environment) -> Result<String, WalkthroughError> {
    let state = env.ecs.state().await?;
    let taken = steps::snapshots_of(&state, SCHEDULED_DISK);
    let [only] = taken.as_slice() else {
        return mismatch(format!("one firing, snapshots {taken:?}"));
    };
    let id = only.snapshot.id.clone();
    steps::wait_ready_snapshots(env, std::slice::from_ref(&id)).await?;
    Ok(id)
}

/// The gateway goes down, the user applies the `repeatOnce` policy, nobody may exit while it
/// is down, and once it is back the one-off snapshots are taken exactly once.
async fn one_off_through_gateway_outage(
    env: &mut Environment,
    plan: &FaultPlan,
) -> Result<(), WalkthroughError> {
    eprintln!("fault: ecs-gateway down for {OUTAGE:?}");
    env.kill("ecs-gateway").await?;
    env.kubectl
        .apply_file(&steps::fixture("vsp-repeat-once.yaml"))?;
    let until = tokio::time::Instant::now() + OUTAGE;
    while tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Some(crash) = env.crashed().first() {
            return mismatch(format!(
                "a service exited while the gateway was down: {crash}"
            ));
        }
    }
    env.restart("ecs-gateway").await?;
    eprintln!("fault: ecs-gateway back");
    env.run_kills(plan, ONE_OFF).await?;

    let disks = one_off_disks();
    let manual = |s: &ecs_sim::StateDump, d: &str| end_state::count_of(s, d, SnapshotKind::User);
    steps::wait_ecs(env, "one-off snapshots of the three app=nginx disks", |s| {
        disks.iter().all(|d| manual(s, d) >= 1)
    })
    .await?;
    steps::advance(env, 120).await?;
    let state = env.ecs.state().await?;
    let ids: Vec<String> = disks
        .iter()
        .flat_map(|d| steps::snapshots_of(&state, d))
        .map(|s| s.snapshot.id.clone())
        .collect();
    steps::wait_ready_snapshots(env, &ids).await
}

fn one_off_disks() -> Vec<&'static str> {
    let mut disks = vec![FIXTURE_DISK];
    disks.extend(EXTRA_DISKS);
    disks
}

async fn restore(
    env: &mut Environment,
    plan: &FaultPlan,
    snapshot: &str,
) -> Result<(), WalkthroughError> {
    env.kubectl
        .apply_stdin(&steps::restore_pvc_yaml("restored", snapshot, "25Gi"))?;
    env.run_kills(plan, RESTORE).await?;
    steps::wait_pvc_bound(env, "restored").await?;
    Ok(())
}

async fn edit(env: &mut Environment, plan: &FaultPlan) -> Result<(), WalkthroughError> {
    let edited = std::fs::read_to_string(steps::fixture("vsp-scheduled.yaml"))
        .map_err(|err| WalkthroughError::Unexpected {
            from: "vsp-scheduled.yaml".to_owned(),
            detail: err.to_string(),
        })?
        .replace(
            r#"timePoints: ["2", "10", "12", "16"]"#,
            r#"timePoints: ["3", "15"]"#,
        );
    env.kubectl.apply_stdin(&edited)?;
    env.run_kills(plan, EDIT).await?;
    steps::wait_ecs(env, "the ECS policy following the edit", |s| {
        s.policies.len() == 1 && s.policies[0].time_points == [3, 15]
    })
    .await?;
    Ok(())
}

/// The clean run's counts, once they hold and again after [`SETTLE`]: one ECS policy on one
/// disk, one auto snapshot per firing kept, one one-off snapshot per `app=nginx` disk, one
/// ready pair per finished snapshot.
async fn check_counts(
    env: &Environment,
    policy: &ecs_sim::Policy,
    clock_start: jiff::Timestamp,
) -> Result<Pairs, WalkthroughError> {
    let converged =
        walkthrough::process::wait_for("every snapshot imported once", REACTION, || async {
            let state = env.ecs.state().await.ok()?;
            end_state::imported_pairs(env, &state).await.ok()
        })
        .await;
    if converged.is_err() {
        let state = env.ecs.state().await?;
        end_state::imported_pairs(env, &state).await?;
    }
    tokio::time::sleep(SETTLE).await;

    let state = env.ecs.state().await?;
    let pairs = end_state::imported_pairs(env, &state).await?;
    if state.policies.len() != 1 {
        return mismatch(format!("ECS policies: {:?}", state.policies));
    }
    unselected_disks_are_bare(&state, &[SCHEDULED_DISK])?;
    for disk in one_off_disks() {
        let taken = end_state::count_of(&state, disk, SnapshotKind::User);
        if taken != 1 {
            return mismatch(format!("{disk}: {taken} one-off snapshots, expected 1"));
        }
    }
    let auto = end_state::count_of(&state, SCHEDULED_DISK, SnapshotKind::Auto);
    let now = env.ecs.now().await?;
    let expected = end_state::expected_auto_snapshots(policy, clock_start, now);
    if auto != expected || state.snapshots.len() != expected + 3 {
        let total = state.snapshots.len();
        let detail = format!("{auto} auto snapshots, {total} in all; expected {expected} + 3");
        return mismatch(detail);
    }
    eprintln!(
        "end state: 1 ECS policy, {expected} auto + 3 one-off snapshots, {} pairs",
        pairs.len()
    );
    Ok(pairs)
}

/// Both policies deleted: no ECS policy and no disk carrying one; every snapshot and its pair
/// stay (retention still applies), none orphaned.
async fn delete_policies(
    env: &mut Environment,
    plan: &FaultPlan,
    before: &Pairs,
) -> Result<(), WalkthroughError> {
    let args = [
        "delete",
        "vsp",
        "volumesnapshotpolicy1",
        "volumesnapshotpolicy2",
        "--wait=false",
    ];
    env.kubectl.run(&args, None)?;
    env.run_kills(plan, DELETE).await?;
    steps::wait_ecs(env, "the ECS policy deleted and cancelled", |s| {
        s.policies.is_empty() && s.disks.iter().all(|d| d.policy_ids.is_empty())
    })
    .await?;
    let kubectl = env.kubectl.clone();
    walkthrough::process::wait_for("both VSPs gone", REACTION, || async {
        let listed = kubectl.run(&["get", "vsp", "-o", "name"], None).ok()?;
        listed.trim().is_empty().then_some(())
    })
    .await?;

    tokio::time::sleep(SETTLE).await;
    let state = env.ecs.state().await?;
    if !state.policies.is_empty() {
        return mismatch(format!("ECS policies left: {:?}", state.policies));
    }
    let after = end_state::imported_pairs(env, &state).await?;
    if &after != before {
        return mismatch(format!(
            "pairs changed by the deletion: {before:?} -> {after:?}"
        ));
    }
    faults_were_hit(env).await
}

/// The harness's own check: ECS did answer with server errors and with throttling.
async fn faults_were_hit(env: &Environment) -> Result<(), WalkthroughError> {
    let counters = env.ecs.counters().await?;
    eprintln!("ECS calls by action and answer: {:?}", counters.calls);
    let answers = || counters.calls.values().flat_map(|codes| codes.iter());
    let count = |kind: &dyn Fn(&str) -> bool| -> u64 {
        answers()
            .filter(|(code, _)| kind(code))
            .map(|(_, n)| n)
            .sum()
    };
    let throttled = count(&|code| code.starts_with("Throttling"));
    let injected = ["ServiceUnavailable", "InternalError", ecs_sim::DROPPED];
    let failed = count(&|code| injected.contains(&code));
    if throttled == 0 || failed == 0 {
        let detail =
            format!("{throttled} throttled and {failed} failed calls: faults not injected");
        return mismatch(detail);
    }
    Ok(())
}

fn mismatch<T>(detail: String) -> Result<T, WalkthroughError> {
    Err(WalkthroughError::Mismatch(detail))
}
