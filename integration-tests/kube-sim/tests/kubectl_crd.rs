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

const GADGET_CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Gadget, plural: gadgets}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              label: {type: string}
            x-kubernetes-validations:
            - rule: self.size <= 10
              message: size is too big
              messageExpression: "'size ' + string(self.size) + ' exceeds 10'"
            - rule: self.size >= 0
              message: size must not be negative
              messageExpression: "'size ' + self.label + ' is negative'"
            - rule: self.size != 7
              message: seven is reserved
              messageExpression: "'  '"
"#;

fn gadget(size: i64) -> String {
    format!(
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {{name: g}}\nspec: {{size: {size}}}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cel_message_expressions_explain_refusals() {
    for bin in KUBECTLS {
        let (_sim, k) = start(bin).await;
        k.ok(&["apply", "-f", "-"], Some(GADGET_CRD)).await;
        let crd = "crd/gadgets.example.com";
        k.ok(&["wait", "--for=condition=Established", crd], None)
            .await;

        let evaluated = k.fails(&["apply", "-f", "-"], Some(&gadget(12))).await;
        assert!(
            evaluated.contains("size 12 exceeds 10"),
            "{bin}: {evaluated}"
        );
        assert!(!evaluated.contains("too big"), "{bin}: {evaluated}");

        let runtime_error = k.fails(&["apply", "-f", "-"], Some(&gadget(-1))).await;
        assert!(
            runtime_error.contains("size must not be negative"),
            "{bin}: a messageExpression that fails falls back to message: {runtime_error}"
        );

        let blank = k.fails(&["apply", "-f", "-"], Some(&gadget(7))).await;
        assert!(
            blank.contains("seven is reserved"),
            "{bin}: a blank messageExpression result falls back to message: {blank}"
        );
        k.ok(&["apply", "-f", "-"], Some(&gadget(3))).await;
    }
}

/// A schema whose alternatives each require a nested field, like the product's
/// `status.ecsSchedule`/`status.repeatOnce`, and lists of each identity kind.
const SWITCH_CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: switches.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Switch, plural: switches}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              name: {type: string}
              scheduled:
                type: object
                required: [at]
                properties: {at: {type: string}}
              repeatOnce:
                type: object
                required: [count]
                properties: {count: {type: integer}}
              tags:
                type: array
                x-kubernetes-list-type: set
                items: {type: string}
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties: {name: {type: string}, port: {type: integer}}
"#;

async fn install_switch_crd(k: &Kubectl) {
    k.ok(&["apply", "-f", "-"], Some(SWITCH_CRD)).await;
    let crd = "crd/switches.example.com";
    k.ok(&["wait", "--for=condition=Established", crd], None)
        .await;
}

fn switch(spec: &str) -> String {
    format!("apiVersion: example.com/v1\nkind: Switch\nmetadata: {{name: s}}\nspec: {spec}\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_removes_the_alternative_it_stopped_applying() {
    for bin in KUBECTLS {
        let (_sim, k) = start(bin).await;
        install_switch_crd(&k).await;
        let ssa = ["apply", "--server-side", "-f", "-"];

        let scheduled = switch("{name: a, scheduled: {at: '02:00'}}");
        k.ok(&ssa, Some(&scheduled)).await;
        let once = switch("{name: a, repeatOnce: {count: 1}}");
        k.ok(&ssa, Some(&once)).await;
        let spec = k
            .ok(&["get", "switch", "s", "-o", "jsonpath={.spec}"], None)
            .await;
        let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
        assert_eq!(
            spec,
            serde_json::json!({"name": "a", "repeatOnce": {"count": 1}}),
            "{bin}: the emptied scheduled object goes with its field"
        );
        k.ok(&ssa, Some(&scheduled)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_set_and_map_list_items_are_refused() {
    for bin in KUBECTLS {
        let (_sim, k) = start(bin).await;
        install_switch_crd(&k).await;

        let tags = switch("{tags: [a, b, a]}");
        let refused = k.fails(&["apply", "-f", "-"], Some(&tags)).await;
        assert!(
            refused.contains(r#"spec.tags[2]: Duplicate value: "a""#),
            "{bin}: {refused}"
        );

        let ports = switch("{ports: [{name: x, port: 1}, {name: x, port: 2}]}");
        let refused = k.fails(&["create", "-f", "-"], Some(&ports)).await;
        assert!(
            refused
                .contains(r#"spec.ports[1]: Duplicate value: map[string]interface {}{"name":"x"}"#),
            "{bin}: {refused}"
        );
        k.ok(&["apply", "-f", "-"], Some(&switch("{tags: [a, b]}")))
            .await;
    }
}

/// An Event about the (cluster-scoped) policy, written as the product's controllers write them.
fn v1_event(uid: &str) -> String {
    format!(
        r#"{{"apiVersion": "events.k8s.io/v1", "kind": "Event",
  "metadata": {{"name": "nightly.1", "namespace": "default"}},
  "eventTime": "2026-01-01T00:00:00.000000Z", "type": "Normal", "reason": "Scheduled",
  "action": "Sync", "note": "policy in effect for 2 disks",
  "reportingController": "policy-listener", "reportingInstance": "policy-listener-0",
  "regarding": {{"apiVersion": "storage.alibabacloud.com/v1beta1",
    "kind": "VolumeSnapshotPolicy", "name": "nightly", "uid": "{uid}"}}}}"#
    )
}

const CORE_EVENT: &str = r#"{"apiVersion": "v1", "kind": "Event",
  "metadata": {"name": "nightly.2", "namespace": "default"},
  "type": "Warning", "reason": "Throttled", "message": "ECS asked to slow down", "count": 3,
  "source": {"component": "ecs-gateway"},
  "involvedObject": {"kind": "VolumeSnapshotPolicy", "name": "nightly"}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_either_group_are_one_collection() {
    for bin in KUBECTLS {
        let (_sim, k) = start(bin).await;
        install_policy_crd(&k).await;
        k.ok(&["apply", "-f", "-"], Some(POLICY)).await;
        let uid_path = "jsonpath={.metadata.uid}";
        let uid = k.ok(&["get", "vsp", "nightly", "-o", uid_path], None).await;
        k.ok(&["create", "-f", "-"], Some(&v1_event(&uid))).await;

        let described = k.ok(&["describe", "vsp", "nightly"], None).await;
        let events = described.split("Events:").nth(1).unwrap_or_default();
        assert!(
            events.contains("Scheduled") && events.contains("policy in effect for 2 disks"),
            "{bin}: an events.k8s.io Event shows in describe: {described}"
        );
        let core = k.ok(&["get", "events"], None).await;
        assert!(
            core.contains("policy in effect for 2 disks"),
            "{bin}: {core}"
        );

        k.ok(&["create", "-f", "-"], Some(CORE_EVENT)).await;
        let json = ["get", "events.v1.events.k8s.io", "nightly.2", "-o", "json"];
        let v1: serde_json::Value = serde_json::from_str(&k.ok(&json, None).await).unwrap();
        assert_eq!(v1["note"], "ECS asked to slow down", "{bin}: {v1}");
        assert_eq!(v1["regarding"]["name"], "nightly", "{bin}: {v1}");
        assert_eq!(v1["deprecatedCount"], 3, "{bin}: {v1}");
        assert_eq!(
            v1["deprecatedSource"]["component"], "ecs-gateway",
            "{bin}: {v1}"
        );
        assert!(v1.get("message").is_none(), "{bin}: {v1}");

        let selector = "--field-selector=regarding.name=nightly,reason=Throttled";
        let listed = k
            .ok(
                &["get", "events.v1.events.k8s.io", selector, "-o", "name"],
                None,
            )
            .await;
        assert_eq!(
            listed.trim(),
            "event.events.k8s.io/nightly.2",
            "{bin}: {listed}"
        );
    }
}
