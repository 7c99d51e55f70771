//! What the watch caches cost the API server: one LIST and one WATCH per kind when the
//! reconciler starts leading, then no LIST at all, however many passes run (each pass reads
//! the class with one GET). Measured by counting the requests of the reconciler's own client.

mod common;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{CLASS, DRIVER, Harness};
use jiff::Timestamp;
use kube::{
    Client,
    client::ClientBuilder,
    config::{KubeConfigOptions, Kubeconfig},
};
use prometheus_client::registry::Registry;
use snapshot_k8s::upstream::DeletionPolicy;
use snapshot_reconciler::{
    apply::Executor,
    controller::{Reconciler, Settings},
    events::Events,
    metrics::Metrics,
};

/// `(method, path, query)` of every request.
type Requests = Arc<Mutex<Vec<(String, String, String)>>>;

async fn counting_client(h: &Harness, requests: &Requests) -> Client {
    let kubeconfig = Kubeconfig::from_yaml(&h.sim.kubeconfig).unwrap();
    let options = KubeConfigOptions::default();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .unwrap();
    let requests = requests.clone();
    let layer = tower::util::MapRequestLayer::new(move |request: http::Request<_>| {
        let uri = request.uri();
        let entry = (
            request.method().to_string(),
            uri.path().to_owned(),
            uri.query().unwrap_or_default().to_owned(),
        );
        requests.lock().unwrap().push(entry);
        request
    });
    ClientBuilder::try_from(config)
        .unwrap()
        .with_layer(&layer)
        .build()
}

/// `(LISTs, WATCHes, class GETs)` so far.
fn counts(requests: &Requests) -> (usize, usize, usize) {
    let requests = requests.lock().unwrap();
    let gets = requests.iter().filter(|(m, _, _)| m == "GET");
    let watch = |q: &str| q.split('&').any(|p| p == "watch=true" || p == "watch=1");
    let is_class = |p: &str| p.ends_with(&format!("/volumesnapshotclasses/{CLASS}"));
    let (mut lists, mut watches, mut classes) = (0, 0, 0);
    for (_, path, query) in gets {
        if watch(query) {
            watches += 1;
        } else if is_class(path) {
            classes += 1;
        } else {
            lists += 1;
        }
    }
    (lists, watches, classes)
}

#[tokio::test]
async fn passes_read_the_caches_and_list_each_kind_once() {
    let h = Harness::start().await;
    h.namespace("shop").await;
    h.bound_pvc("shop", "data-0", "web", "d-1").await;
    h.policy("nightly", "web", &[]).await;
    h.ecs.put("s-1", "d-1", "accomplished", Timestamp::now());

    let requests = Requests::default();
    let client = counting_client(&h, &requests).await;
    let metrics = Metrics::register(&mut Registry::default());
    let executor = Executor::new(client.clone(), metrics.clone(), Events::disabled());
    let settings = Settings {
        snapshot_class: CLASS.to_owned(),
        default_deletion_policy: DeletionPolicy::Delete,
        csi_drivers: vec![DRIVER.to_owned()],
        default_zone: snapshot_domain::schedule::ScheduleZone::named("Asia/Shanghai").unwrap(),
        poll_interval: Duration::from_millis(50),
        full_resync_interval: Duration::from_secs(3600),
    };
    let mut reconciler = Reconciler::new(client, h.ecs.clone(), settings, executor, metrics);

    reconciler.pass(true).await.unwrap();
    assert_eq!(h.managed_snapshots().await, ["shop/s-1"]);
    let (lists, watches, classes) = counts(&requests);
    assert_eq!((lists, classes), (5, 1), "{:?}", requests.lock().unwrap());
    assert!(watches <= 5, "{watches} watches for 5 kinds");

    for i in 0..20 {
        h.ecs.put(
            &format!("s-{}", i + 2),
            "d-1",
            "accomplished",
            Timestamp::now(),
        );
        reconciler.pass(i % 5 == 0).await.unwrap();
    }
    assert_eq!(h.managed_snapshots().await.len(), 21);
    let (lists, watches, classes) = counts(&requests);
    assert_eq!(lists, 5, "no LIST after the caches filled");
    assert_eq!(watches, 5, "one WATCH per kind, kept open");
    assert_eq!(classes, 21, "one class GET per pass");
}
