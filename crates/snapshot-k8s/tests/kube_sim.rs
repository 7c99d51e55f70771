//! The generated CRD installed into the Kubernetes API simulator: the walkthrough policies are
//! created and read back as typed objects, the status subresource takes our status type, and the
//! original document's mis-indented forms are refused with causes that name the fields.

mod support;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{
    Api, Client, CustomResourceExt,
    api::{DynamicObject, Patch, PatchParams, PostParams},
    config::{KubeConfigOptions, Kubeconfig},
    core::{ApiResource, GroupVersionKind},
};
use serde_json::{Value, json};
use snapshot_k8s::vsp::{VolumeSnapshotPolicy, VolumeSnapshotPolicyStatus};
use support::{read_yaml, repo_root};

async fn client(sim: &kube_sim::SimHandle) -> Client {
    let kubeconfig = Kubeconfig::from_yaml(&sim.kubeconfig).unwrap();
    let options = KubeConfigOptions::default();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

fn fixture(name: &str) -> Value {
    read_yaml(
        &repo_root()
            .join("integration-tests/fixtures/walkthrough")
            .join(name),
    )
}

/// Applies `object` to the VSP endpoint with strict field validation, as `kubectl apply` does.
async fn apply(client: &Client, object: &Value) -> Result<DynamicObject, kube::Error> {
    let gvk = GroupVersionKind::gvk(
        "storage.alibabacloud.com",
        "v1beta1",
        "VolumeSnapshotPolicy",
    );
    let api: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(&gvk, "volumesnapshotpolicies"),
    );
    let name = object["metadata"]["name"].as_str().unwrap();
    let params = PatchParams::apply("walkthrough").validation_strict();
    api.patch(name, &params, &Patch::Apply(object)).await
}

#[tokio::test]
async fn crd_installs_and_judges_the_walkthrough_like_an_api_server() {
    let sim = kube_sim::spawn(kube_sim::Config::default()).await.unwrap();
    let client = client(&sim).await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &VolumeSnapshotPolicy::crd())
        .await
        .unwrap();

    for name in ["vsp-scheduled.yaml", "vsp-repeat-once.yaml"] {
        apply(&client, &fixture(name))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let policies: Api<VolumeSnapshotPolicy> = Api::all(client.clone());
    let scheduled = policies.get("volumesnapshotpolicy2").await.unwrap();
    assert_eq!(scheduled.spec.retention_days, Some(30));
    assert!(
        policies
            .get("volumesnapshotpolicy1")
            .await
            .unwrap()
            .spec
            .snapshot_schedule
            .is_repeat_once()
    );

    let status = VolumeSnapshotPolicyStatus {
        observed_generation: scheduled.metadata.generation,
        ecs_policy_id: Some("sp-bp1example".into()),
        selected_volumes: Some(1),
        ..VolumeSnapshotPolicyStatus::default()
    };
    let patch = json!({"apiVersion": "storage.alibabacloud.com/v1beta1",
                       "kind": "VolumeSnapshotPolicy", "status": status});
    let params = PatchParams::apply("policy-listener").force();
    policies
        .patch_status("volumesnapshotpolicy2", &params, &Patch::Apply(&patch))
        .await
        .unwrap();
    let read = policies.get_status("volumesnapshotpolicy2").await.unwrap();
    assert_eq!(read.status, Some(status));

    let mut misindented = fixture("seed-list-scheduled.yaml");
    let refused = apply(&client, &misindented)
        .await
        .expect_err("apiVersion v1 is refused");
    assert!(
        matches!(refused, kube::Error::Api(ref s) if s.code == 400 || s.code == 422),
        "{refused:?}"
    );

    misindented["apiVersion"] = json!("storage.alibabacloud.com/v1beta1");
    misindented.as_object_mut().unwrap().remove("items");
    let kube::Error::Api(status) = apply(&client, &misindented).await.unwrap_err() else {
        panic!("expected an API error");
    };
    assert!(matches!(status.code, 400 | 422), "{status:?}");
    let text = format!("{status:?}");
    assert!(
        text.contains("spec.pvcSelector.matchLabels."),
        "the cause names the field: {text}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn label_values_and_expression_keys_kubernetes_would_refuse_are_refused_at_create() {
    let sim = kube_sim::spawn(kube_sim::Config::default()).await.unwrap();
    let client = client(&sim).await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &VolumeSnapshotPolicy::crd())
        .await
        .unwrap();

    let policy = |name: &str, selector: Value| {
        json!({
            "apiVersion": "storage.alibabacloud.com/v1beta1",
            "kind": "VolumeSnapshotPolicy",
            "metadata": {"name": name},
            "spec": {
                "pvcSelector": selector,
                "snapshotSchedule": {"repeatWeekdays": ["1"], "timePoints": ["2"]},
            },
        })
    };
    let good = json!({
        "matchLabels": {"example.com/app": "web-1.a_b", "empty": ""},
        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["db"]}],
    });
    apply(&client, &policy("good", good)).await.unwrap();

    // A malformed matchLabels key passes the schema (see `PvcSelector::match_labels`): the
    // controllers' validity check reports it.
    let bad_key = json!({"matchLabels": {"bad key!": "v"}});
    apply(&client, &policy("bad-key", bad_key)).await.unwrap();

    let refused = [
        (
            "bad-value",
            json!({"matchLabels": {"app": "v@lue"}}),
            "matchLabels",
        ),
        (
            "bad-expr-value",
            json!({"matchExpressions": [{"key": "app", "operator": "In",
                                         "values": ["bad value!"]}]}),
            "matchExpressions",
        ),
        (
            "bad-expr-key",
            json!({"matchExpressions": [{"key": "bad key!", "operator": "Exists"}]}),
            "matchExpressions",
        ),
    ];
    for (name, selector, field) in refused {
        let kube::Error::Api(status) = apply(&client, &policy(name, selector)).await.unwrap_err()
        else {
            panic!("{name}: expected an API error");
        };
        assert!(matches!(status.code, 400 | 422), "{name}: {status:?}");
        let text = format!("{status:?}");
        assert!(
            text.contains(&format!("spec.pvcSelector.{field}")),
            "{name}: {text}"
        );
    }
    sim.shutdown().await;
}
