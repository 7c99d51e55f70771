//! kube-rs with custom resources: a kube-derive CRD installed through the API, status
//! subresource isolation, generation, server-side apply of status, schema validation, and the
//! event Recorder (events.k8s.io/v1).

mod common;

use std::time::Duration;

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::Event as K8sEvent;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::wait::{await_condition, conditions};
use kube::{CustomResource, CustomResourceExt, Resource};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(CustomResource, Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[kube(group = "example.com", version = "v1", kind = "Widget", namespaced)]
#[kube(status = "WidgetStatus", shortname = "wd")]
#[kube(printcolumn = r#"{"name":"Size","type":"integer","jsonPath":".spec.size"}"#)]
pub struct WidgetSpec {
    #[schemars(range(min = 1, max = 10))]
    size: i32,
    zone: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
pub struct WidgetStatus {
    ready: bool,
}

async fn install(client: &kube::Client) -> Api<Widget> {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &Widget::crd())
        .await
        .unwrap();
    let established = await_condition(
        crds,
        "widgets.example.com",
        conditions::is_crd_established(),
    );
    tokio::time::timeout(Duration::from_secs(10), established)
        .await
        .unwrap()
        .unwrap();
    Api::namespaced(client.clone(), "default")
}

fn widget(name: &str, size: i32) -> Widget {
    Widget::new(name, WidgetSpec { size, zone: None })
}

#[tokio::test]
async fn custom_resources_keep_status_and_generation_apart() {
    let (_sim, client) = common::start_default().await;
    let widgets = install(&client).await;

    let mut w = widget("w1", 2);
    w.status = Some(WidgetStatus { ready: true });
    let created = widgets.create(&PostParams::default(), &w).await.unwrap();
    assert!(
        created.status.is_none(),
        "create ignores status when the subresource exists"
    );
    assert_eq!(created.metadata.generation, Some(1));

    let status = Patch::Apply(
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "status": {"ready": true}}),
    );
    let params = PatchParams::apply("widget-controller").force();
    let after_status = widgets.patch_status("w1", &params, &status).await.unwrap();
    assert_eq!(after_status.status.as_ref().map(|s| s.ready), Some(true));
    assert_eq!(
        after_status.metadata.generation,
        Some(1),
        "status writes keep the generation"
    );

    let spec = Patch::Merge(json!({"spec": {"size": 3}, "status": {"ready": false}}));
    let after_spec = widgets
        .patch("w1", &PatchParams::default(), &spec)
        .await
        .unwrap();
    assert_eq!(after_spec.metadata.generation, Some(2));
    assert_eq!(
        after_spec.status.map(|s| s.ready),
        Some(true),
        "spec writes keep the status"
    );

    let bad = widgets
        .create(&PostParams::default(), &widget("w2", 50))
        .await
        .unwrap_err();
    let kube::Error::Api(status) = bad else {
        panic!("expected an API error")
    };
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));
    let details = status.details.expect("details");
    assert_eq!(details.causes[0].field, "spec.size");

    let listed = widgets.list(&ListParams::default()).await.unwrap();
    assert_eq!(listed.items.len(), 1);
}

#[tokio::test]
async fn recorder_creates_then_patches_event_series() {
    let (_sim, client) = common::start_default().await;
    let widgets = install(&client).await;
    let w = widgets
        .create(&PostParams::default(), &widget("w1", 2))
        .await
        .unwrap();
    let reference: ObjectReference = w.object_ref(&());

    let recorder = Recorder::new(client.clone(), Reporter::from("widget-controller"));
    let event = Event {
        type_: EventType::Normal,
        reason: "Resized".into(),
        note: Some("size is 2".into()),
        action: "Resize".into(),
        secondary: None,
    };
    recorder.publish(&event, &reference).await.unwrap();
    recorder.publish(&event, &reference).await.unwrap();

    let events: Api<K8sEvent> = Api::namespaced(client.clone(), "default");
    let list = events.list(&ListParams::default()).await.unwrap();
    assert_eq!(list.items.len(), 1);
    let series = list.items[0]
        .series
        .as_ref()
        .expect("the repeat became a series");
    assert_eq!(series.count, 2);
    assert_eq!(
        list.items[0]
            .regarding
            .as_ref()
            .and_then(|r| r.name.as_deref()),
        Some("w1")
    );

    let core: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(client, "default");
    let about_w1 =
        ListParams::default().fields("involvedObject.name=w1,involvedObject.kind=Widget");
    let core_list = core.list(&about_w1).await.unwrap();
    assert_eq!(
        core_list.items.len(),
        1,
        "the core view lists the same Event"
    );
    let seen = &core_list.items[0];
    assert_eq!(seen.message.as_deref(), Some("size is 2"));
    assert_eq!(
        seen.reporting_component.as_deref(),
        Some("widget-controller")
    );
    assert_eq!(seen.series.as_ref().and_then(|s| s.count), Some(2));
}

#[tokio::test]
async fn state_file_keeps_objects_and_crds_between_runs() {
    let dir = std::env::temp_dir().join(format!("kube-sim-state-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let state_file = dir.join("state.json");
    let config = || kube_sim::Config {
        state_file: Some(state_file.clone()),
        ..Default::default()
    };

    let (sim, client) = common::start(config()).await;
    let widgets = install(&client).await;
    let created = widgets
        .create(&PostParams::default(), &widget("kept", 4))
        .await
        .unwrap();
    let rv: u64 = created.metadata.resource_version.unwrap().parse().unwrap();
    sim.shutdown().await;

    let (_sim, client) = common::start(config()).await;
    let widgets: Api<Widget> = Api::namespaced(client.clone(), "default");
    let kept = widgets.get("kept").await.unwrap();
    assert_eq!(kept.spec.size, 4);
    let next = widgets
        .create(&PostParams::default(), &widget("new", 1))
        .await
        .unwrap();
    let next_rv: u64 = next.metadata.resource_version.unwrap().parse().unwrap();
    assert!(next_rv > rv, "the resourceVersion counter continues");
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client);
    assert!(namespaces.get("kube-system").await.is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Like the product's VolumeSnapshotPolicy: `scheduled` and `repeatOnce` each require a field.
const SWITCH_CRD: &str = r#"{"apiVersion": "apiextensions.k8s.io/v1",
  "kind": "CustomResourceDefinition", "metadata": {"name": "switches.example.com"},
  "spec": {"group": "example.com", "scope": "Namespaced",
    "names": {"kind": "Switch", "plural": "switches"},
    "versions": [{"name": "v1", "served": true, "storage": true,
      "subresources": {"status": {}},
      "schema": {"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
          "scheduled": {"type": "object", "required": ["at"],
            "properties": {"at": {"type": "string"}}},
          "repeatOnce": {"type": "object", "required": ["count"],
            "properties": {"count": {"type": "integer"}}}}},
        "status": {"type": "object", "properties": {
          "a": {"type": "integer"},
          "s": {"type": "object", "required": ["x"],
            "properties": {"x": {"type": "integer"}}}}}}}}}]}}"#;

#[tokio::test]
async fn apply_removes_parents_it_emptied_in_spec_and_status() {
    use kube::api::DynamicObject;
    use kube::discovery::ApiResource;

    let (_sim, client) = common::start_default().await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let crd: CustomResourceDefinition = serde_json::from_str(SWITCH_CRD).unwrap();
    crds.create(&PostParams::default(), &crd).await.unwrap();
    let established = await_condition(
        crds,
        "switches.example.com",
        conditions::is_crd_established(),
    );
    tokio::time::timeout(Duration::from_secs(10), established)
        .await
        .unwrap()
        .unwrap();
    let gvk = kube::api::GroupVersionKind::gvk("example.com", "v1", "Switch");
    let resource = ApiResource::from_gvk_with_plural(&gvk, "switches");
    let switches: Api<DynamicObject> = Api::namespaced_with(client, "default", &resource);
    let params = PatchParams::apply("switch-controller");
    let body = |rest: serde_json::Value| {
        let mut doc = json!({"apiVersion": "example.com/v1", "kind": "Switch",
            "metadata": {"name": "s"}});
        doc.as_object_mut()
            .unwrap()
            .extend(rest.as_object().unwrap().clone());
        Patch::Apply(doc)
    };

    let scheduled = body(json!({"spec": {"scheduled": {"at": "02:00"}}}));
    switches.patch("s", &params, &scheduled).await.unwrap();
    let once = body(json!({"spec": {"repeatOnce": {"count": 1}}}));
    let after = switches.patch("s", &params, &once).await.unwrap();
    assert_eq!(after.data["spec"], json!({"repeatOnce": {"count": 1}}));

    let full = body(json!({"status": {"a": 1, "s": {"x": 1}}}));
    switches.patch_status("s", &params, &full).await.unwrap();
    let short = body(json!({"status": {"a": 1}}));
    let after = switches.patch_status("s", &params, &short).await.unwrap();
    assert_eq!(
        after.data["status"],
        json!({"a": 1}),
        "the emptied s goes too"
    );
    let again = switches.patch_status("s", &params, &full).await.unwrap();
    assert_eq!(again.data["status"], json!({"a": 1, "s": {"x": 1}}));
}
