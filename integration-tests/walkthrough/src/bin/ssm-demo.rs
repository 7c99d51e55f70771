//! `ssm-demo`: the walkthrough on the simulators for a person. Starts every service as its own
//! process, applies the sample manifests, moves the ECS clock, narrates, prints a table of
//! policies and snapshots, then stays up for exploring with kubectl until Ctrl-C.

use std::path::PathBuf;

use clap::Parser;
use walkthrough::steps::{self, EXTRA_DISKS, FIXTURE_DISK, SCHEDULED_DISK};
use walkthrough::{EnvOptions, Environment, WalkthroughError};

/// Runs the storage-snapshot-manager walkthrough locally.
#[derive(Debug, Parser)]
#[command(name = "ssm-demo", version)]
struct Args {
    /// Directory for logs, certificates and the kubeconfig.
    #[arg(long, default_value = "target/ssm-demo")]
    dir: PathBuf,
    /// Stop after the walkthrough instead of staying up (for CI).
    #[arg(long)]
    exit_after_walkthrough: bool,
}

fn say(line: &str) {
    println!("==> {line}");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Args {
        dir,
        exit_after_walkthrough,
    } = Args::parse();
    let dir = std::path::absolute(&dir)?;
    say("starting kube-sim, ecs-sim, ecs-gateway (mTLS), the controllers and the stand-ins");
    let options = EnvOptions {
        dir: dir.clone(),
        clock_start: None,
        clock_rate: 0,
    };
    let env = Environment::start(options).await?;
    for missing in &env.missing {
        say(&format!(
            "{missing} is not built yet: its steps are skipped"
        ));
    }

    let outcome = tokio::select! {
        outcome = walkthrough(&env) => outcome,
        _ = stop_signal() => {
            say("interrupted: stopping every process");
            env.shutdown().await;
            std::process::exit(130);
        }
    };
    if let Err(err) = outcome {
        eprintln!("walkthrough failed: {err}");
        env.dump_logs();
        env.shutdown().await;
        std::process::exit(1);
    }
    println!("\n{}", steps::summary_table(&env).await?);
    if exit_after_walkthrough {
        env.shutdown().await;
        return Ok(());
    }
    explore(&env);
    stop_signal().await?;
    say("stopping every process");
    env.shutdown().await;
    Ok(())
}

async fn walkthrough(env: &Environment) -> Result<(), WalkthroughError> {
    say("installing the snapshot class default-snapclass");
    env.run_kubectl_apply("volume-snapshot-class.yaml")?;
    say("ECS: one instance, four 25 GiB disks; cluster: static PVs, PVCs and the StatefulSet");
    steps::seed_ecs(env).await?;
    for file in ["pv-static-disk.yaml", "pvc.yaml", "statefulset.yaml"] {
        env.run_kubectl_apply(file)?;
    }
    let scheduled = steps::static_volume_yaml("data-scheduled", SCHEDULED_DISK, "nginx1");
    env.kubectl.apply_stdin(&scheduled)?;
    for (i, disk) in EXTRA_DISKS.iter().enumerate() {
        env.kubectl.apply_stdin(&steps::static_volume_yaml(
            &format!("data-{i}"),
            disk,
            "nginx",
        ))?;
    }
    for pvc in [
        "csi-pvc-snapshot-policy",
        "data-scheduled",
        "data-0",
        "data-1",
    ] {
        steps::wait_pvc_bound(env, pvc).await?;
    }

    say("applying the scheduled policy (weekdays 1,2,4,5 at 2,10,12,16 h Asia/Shanghai, 30 days)");
    env.run_kubectl_apply("vsp-scheduled.yaml")?;
    let state = steps::wait_ecs(env, "the ECS policy", |s| !s.policies.is_empty()).await?;
    say(&format!("ECS policy {} created", state.policies[0].id));
    if !env.missing.iter().any(|m| m == "pvc-reconciler") {
        scheduled_firing(env, &state.policies[0]).await?;
    }

    say("applying the one-off policy over the three app=nginx disks");
    env.run_kubectl_apply("vsp-repeat-once.yaml")?;
    let disks = [FIXTURE_DISK, EXTRA_DISKS[0], EXTRA_DISKS[1]];
    let state = steps::wait_ecs(env, "one-off snapshots", |s| {
        disks.iter().all(|d| !steps::snapshots_of(s, d).is_empty())
    })
    .await?;
    say("moving the ECS clock 2 minutes so the snapshots finish");
    steps::advance(env, 120).await?;
    let ids: Vec<String> = disks
        .iter()
        .flat_map(|d| steps::snapshots_of(&state, d))
        .map(|s| s.snapshot.id.clone())
        .collect();
    steps::wait_ready_snapshots(env, &ids).await?;
    say(&format!(
        "{} VolumeSnapshots ready in namespace default",
        ids.len()
    ));

    say(&format!(
        "restoring PVC restored-data from VolumeSnapshot {}",
        ids[0]
    ));
    env.kubectl
        .apply_stdin(&steps::restore_pvc_yaml("restored-data", &ids[0], "25Gi"))?;
    let pv = steps::wait_pvc_bound(env, "restored-data").await?;
    say(&format!("restored-data is Bound to {pv}"));
    Ok(())
}

async fn scheduled_firing(
    env: &Environment,
    policy: &ecs_sim::Policy,
) -> Result<(), WalkthroughError> {
    let id = policy.id.as_str();
    steps::wait_ecs(env, "the policy on the disk", |s| {
        s.disks
            .iter()
            .any(|d| d.id == SCHEDULED_DISK && d.policy_ids.iter().any(|p| p == id))
    })
    .await?;
    let fired = steps::advance_past_next_firing(env, policy).await?;
    say(&format!(
        "policy applied to {SCHEDULED_DISK}; ECS clock moved past {fired}"
    ));
    let state = env.ecs.state().await?;
    let ids: Vec<String> = steps::snapshots_of(&state, SCHEDULED_DISK)
        .iter()
        .map(|s| s.snapshot.id.clone())
        .collect();
    steps::wait_ready_snapshots(env, &ids).await?;
    say(&format!(
        "automatic snapshot {} is a ready VolumeSnapshot",
        ids.join(", ")
    ));
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn stop_signal() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = term.recv() => Ok(()),
    }
}

fn explore(env: &Environment) {
    let kubeconfig = env.kubeconfig.display();
    println!(
        "The environment stays up until Ctrl-C. Logs: {}",
        env.dir.display()
    );
    println!("  export KUBECONFIG={kubeconfig}");
    println!("  kubectl --kubeconfig {kubeconfig} get vsp,volumesnapshot -A");
    println!("  kubectl --kubeconfig {kubeconfig} get volumesnapshotcontent,pvc,pv");
    println!("  kubectl --kubeconfig {kubeconfig} describe vsp volumesnapshotpolicy2");
    println!("  curl -s {}/_sim/state   # the ECS side", env.ecs_url);
    println!(
        "  curl -s -XPOST {}/_sim/clock/advance -d '{{\"seconds\": 28800}}'   # move ECS time",
        env.ecs_url
    );
}
