//! `events::EventPublisher` against kube-sim: repeats of one note grow one Event's series, a
//! different note about the same object and reason is a new Event.

mod support;

use controller_support::events::EventPublisher;
use k8s_openapi::api::{core::v1::ConfigMap, events::v1::Event};
use kube::{Api, api::PostParams};
use support::Sim;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_different_note_is_a_new_event_and_a_repeat_grows_its_series() {
    let sim = Sim::start().await;
    let client = sim.client().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut map = ConfigMap::default();
    map.metadata.name = Some("web-0".into());
    let map = maps.create(&PostParams::default(), &map).await.unwrap();
    let events = EventPublisher::new(client.clone(), "pvc-reconciler", None);

    let old = "disk d-1 now carries ECS policy sp-1 of VolumeSnapshotPolicy a".to_owned();
    let new = "disk d-1 now carries ECS policy sp-2 of VolumeSnapshotPolicy b".to_owned();
    for note in [
        old.clone(),
        old.clone(),
        new.clone(),
        new.clone(),
        new.clone(),
    ] {
        assert!(
            events
                .normal(&map, "PolicyApplied", "ApplyPolicy", note)
                .await
        );
    }

    let list = Api::<Event>::namespaced(client, "default")
        .list(&Default::default())
        .await
        .unwrap();
    let mut seen: Vec<(String, i32)> = list
        .items
        .into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("web-0"))
        .map(|e| (e.note.unwrap_or_default(), e.series.map_or(1, |s| s.count)))
        .collect();
    seen.sort();
    assert_eq!(seen, [(old, 2), (new, 3)]);
    sim.stop().await;
}
