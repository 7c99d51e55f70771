//! Writes the `VolumeSnapshotPolicy` CRD into the Helm chart (or to stdout with `--stdout`).
//!
//! Usage: `snapshot-crdgen [--stdout | --output PATH]`; the default output is the chart's
//! `crds/volumesnapshotpolicies.yaml` in this repository.

use std::{path::PathBuf, process::ExitCode};

use snapshot_k8s::crd::{CHART_CRD_PATH, volume_snapshot_policy_crd_yaml};

enum Output {
    Stdout,
    File(PathBuf),
}

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("snapshot-crdgen: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let yaml = volume_snapshot_policy_crd_yaml().map_err(|e| e.to_string())?;
    match parse(&args)? {
        Output::Stdout => print!("{yaml}"),
        Output::File(path) => {
            std::fs::write(&path, yaml)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(())
}

fn parse(args: &[String]) -> Result<Output, String> {
    let repo_root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    match args {
        [] => Ok(Output::File(repo_root.join(CHART_CRD_PATH))),
        [flag] if flag == "--stdout" => Ok(Output::Stdout),
        [flag, path] if flag == "--output" => Ok(Output::File(PathBuf::from(path))),
        _ => Err(format!(
            "unexpected arguments {args:?}; usage: snapshot-crdgen [--stdout | --output PATH]"
        )),
    }
}
