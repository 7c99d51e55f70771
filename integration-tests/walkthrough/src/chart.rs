//! The chart's deployment contract as files: runs `scripts/chart.py export` with
//! `walkthrough-values.yaml` and rewrites what only makes sense inside a cluster (mount paths,
//! Service DNS names, `0.0.0.0` listeners) for processes on one machine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::WalkthroughError;

const MOUNT_ROOT: &str = "/etc/storage-snapshot-manager/";

/// The components the chart deploys, by binary name.
pub const COMPONENTS: [&str; 4] = [
    "ecs-gateway",
    "policy-listener",
    "pvc-reconciler",
    "snapshot-reconciler",
];

/// What the chart gives each component.
#[derive(Debug, Clone)]
pub struct ChartExport {
    pub dir: PathBuf,
    /// Command line per component, as the chart renders it.
    pub args: BTreeMap<String, Vec<String>>,
    /// `(component, identity)` of every caller on the gateway's allow-list.
    pub callers: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct CallersFile {
    callers: Vec<Caller>,
}

#[derive(Deserialize)]
struct Caller {
    identity: String,
}

/// The repository root: `SSM_REPO_ROOT`, else two levels above this crate.
pub fn repo_root() -> PathBuf {
    match std::env::var_os("SSM_REPO_ROOT") {
        Some(root) => PathBuf::from(root),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."),
    }
}

/// Runs the export into `dir` and reads it back.
pub fn export(dir: &Path) -> Result<ChartExport, WalkthroughError> {
    let root = repo_root();
    let values = Path::new(env!("CARGO_MANIFEST_DIR")).join("walkthrough-values.yaml");
    let output = std::process::Command::new(root.join(".venv/bin/python"))
        .arg(root.join("scripts/chart.py"))
        .arg("export")
        .arg(dir)
        .arg(&values)
        .output()
        .map_err(WalkthroughError::io(
            "running .venv/bin/python (run `make setup`)",
        ))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        return Err(WalkthroughError::Chart(stderr));
    }

    let mut args = BTreeMap::new();
    for component in COMPONENTS {
        let path = dir.join(component).join("args.json");
        let text = std::fs::read_to_string(&path)
            .map_err(WalkthroughError::io(format!("read {path:?}")))?;
        let list: Vec<String> = serde_json::from_str(&text)
            .map_err(|err| WalkthroughError::Chart(format!("{path:?}: {err}")))?;
        args.insert(component.to_owned(), list);
    }
    let callers = read_callers(&dir.join("ecs-gateway/callers.yaml"))?;
    Ok(ChartExport {
        dir: dir.to_owned(),
        args,
        callers,
    })
}

/// Maps each allow-listed identity to its component (`<release>-<component>.<ns>...`).
fn read_callers(path: &Path) -> Result<Vec<(String, String)>, WalkthroughError> {
    let text =
        std::fs::read_to_string(path).map_err(WalkthroughError::io(format!("read {path:?}")))?;
    let file: CallersFile = serde_saphyr::from_str(&text)
        .map_err(|err| WalkthroughError::Chart(format!("{path:?}: {err}")))?;
    let mut callers = Vec::new();
    for caller in file.callers {
        let component = COMPONENTS
            .iter()
            .find(|c| caller.identity.contains(&format!("-{c}.")))
            .ok_or_else(|| {
                WalkthroughError::Chart(format!("{path:?}: no component for {}", caller.identity))
            })?;
        callers.push((component.to_string(), caller.identity));
    }
    Ok(callers)
}

/// Rewrites one chart argument for a local process of `component`: mounted files to the export
/// directory, listeners to the given loopback addresses, the gateway's Service to `localhost`.
pub fn localize(
    export_dir: &Path,
    component: &str,
    arg: &str,
    local: &LocalAddrs,
) -> Option<String> {
    let (flag, value) = arg.split_once('=').unwrap_or((arg, ""));
    let value = match flag {
        "--admin-addr" => local.admin.clone(),
        "--listen-addr" => local.gateway.clone(),
        "--gateway-endpoint" => format!("https://localhost:{}", local.gateway_port()),
        "--vpc-endpoint" => return None,
        _ => match value.strip_prefix(MOUNT_ROOT) {
            Some(rest) => mounted_file(export_dir, component, rest),
            None => return Some(arg.to_owned()),
        },
    };
    Some(format!("{flag}={value}"))
}

fn mounted_file(export_dir: &Path, component: &str, rest: &str) -> String {
    let path = match rest.split_once('/') {
        Some(("tls", file)) => export_dir.join(component).join(file),
        Some(("callers", file)) => export_dir.join("ecs-gateway").join(file),
        _ => export_dir.join("ecs-gateway").join(rest),
    };
    path.display().to_string()
}

/// Loopback addresses chosen for one component.
#[derive(Debug, Clone)]
pub struct LocalAddrs {
    pub admin: String,
    pub gateway: String,
}

impl LocalAddrs {
    fn gateway_port(&self) -> &str {
        self.gateway.rsplit(':').next().unwrap_or_default()
    }
}
