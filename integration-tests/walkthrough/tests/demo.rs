//! The demo path itself, bounded: `ssm-demo --exit-after-walkthrough` runs the narrated
//! walkthrough, prints the final table and exits 0, leaving no process behind.

use std::process::Command;

#[test]
fn the_demo_runs_the_walkthrough_and_exits() {
    let dir = std::env::temp_dir().join(format!("walkthrough-demo-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_ssm-demo"))
        .arg("--dir")
        .arg(&dir)
        .arg("--exit-after-walkthrough")
        .output()
        .expect("ssm-demo starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "ssm-demo failed:\n{stdout}\n{stderr}"
    );

    for line in [
        "==> ECS policy sp-",
        "VolumeSnapshots ready in namespace default",
        "restored-data is Bound to",
        "ECS automatic snapshot policies",
        "volumesnapshotpolicy2",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    let table = stdout.split("Snapshots (ECS)").nth(1).unwrap_or_default();
    assert!(
        table.contains("default/s-"),
        "no imported copies in the table:\n{stdout}"
    );
}
