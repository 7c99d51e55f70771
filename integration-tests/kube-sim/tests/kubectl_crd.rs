//! The real kubectl binaries against custom resources: the product's VolumeSnapshotPolicy
//! printer columns (a JSONPath filter) and CEL validation messages.

mod kubectl_support;

use kubectl_support::{KUBECTLS, Kubectl, start};

const VSP_CRD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../charts/storage-snapshot-manager/crds/volumesnapshotpolicies.yaml"
);

const POLICY: &str = r#"
apiVersion: storage.alibabacloud.com/v1beta1
kind: VolumeSnapshotPolicy
metadata: {name: nightly}
spec:
  pvcSelector: {matchLabels: {backup: nightly}}
  retentionDays: 7
  snapshotSchedule: {repeatWeekdays: ["1"], timePoints: ["2"]}
"#;

const STATUS: &str = r#"{"status": {"schedule": "Mon @ 02", "conditions": [
  {"type": "Synced", "status": "False", "reason": "Pending", "message": "waiting",
   "lastTransitionTime": "2026-01-01T00:00:00Z"},
  {"type": "Ready", "status": "True", "reason": "Applied", "message": "in effect",
   "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}"#;

/// The cell under `header` in the row of `name`, read by the header's column offset.
fn cell<'a>(table: &'a str, header: &str, name: &str) -> &'a str {
    let mut lines = table.lines();
    let head = lines.next().expect("a header line");
    let at = head
        .find(header)
        .unwrap_or_else(|| panic!("no {header} in {table}"));
    let row = lines
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no row {name} in {table}"));
    row[at..].split_whitespace().next().unwrap_or_default()
}

async fn install_policy_crd(k: &Kubectl) {
    k.ok(&["apply", "-f", VSP_CRD], None).await;
    let crd = "crd/volumesnapshotpolicies.storage.alibabacloud.com";
    k.ok(&["wait", "--for=condition=Established", crd], None)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_ready_column_reads_the_ready_condition() {
    for bin in KUBECTLS {
        let (_sim, k) = start(bin).await;
        install_policy_crd(&k).await;
        k.ok(&["apply", "-f", "-"], Some(POLICY)).await;

        let before = k.ok(&["get", "vsp"], None).await;
        assert_eq!(
            cell(&before, "READY", "nightly"),
            "<none>",
            "{bin}: {before}"
        );

        let status = [
            "patch",
            "vsp",
            "nightly",
            "--subresource=status",
            "--type=merge",
        ];
        k.ok(&[&status[..], &["-p", STATUS]].concat(), None).await;
        let after = k.ok(&["get", "vsp"], None).await;
        assert_eq!(cell(&after, "READY", "nightly"), "True", "{bin}: {after}");
        assert_eq!(cell(&after, "SCHEDULE", "nightly"), "Mon", "{bin}: {after}");
        assert_eq!(cell(&after, "RETENTION", "nightly"), "7", "{bin}: {after}");
    }
}
