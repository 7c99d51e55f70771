//! kube-rs watches against the simulator: raw watch events, the runtime `watcher` with and
//! without bookmarks, recovery after 410 Gone, and a `Controller` reconciling.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube_sim::Config;
use serde_json::json;

fn config_map(name: &str) -> ConfigMap {
    let mut cm = ConfigMap::default();
    cm.metadata.name = Some(name.into());
    cm.data = Some(BTreeMap::from([("k".to_string(), "v".to_string())]));
    cm
}

fn secret(name: &str) -> Secret {
    let mut s = Secret::default();
    s.metadata.name = Some(name.into());
    s
}

const LIMIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn raw_watch_replays_history_and_streams_changes() {
    let (_sim, client) = common::start_default().await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let first = api
        .create(&PostParams::default(), &config_map("w1"))
        .await
        .unwrap();
    let rv = first.metadata.resource_version.unwrap();
    api.patch(
        "w1",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"k": "2"}})),
    )
    .await
    .unwrap();

    let params = WatchParams::default().timeout(5);
    let mut stream = api.watch(&params, &rv).await.unwrap().boxed();
    api.delete("w1", &Default::default()).await.unwrap();

    let mut kinds = Vec::new();
    while kinds.len() < 2 {
        match tokio::time::timeout(LIMIT, stream.try_next())
            .await
            .unwrap()
            .unwrap()
        {
            Some(WatchEvent::Modified(_)) => kinds.push("MODIFIED"),
            Some(WatchEvent::Deleted(_)) => kinds.push("DELETED"),
            other => panic!("unexpected event {other:?}"),
        }
    }
    assert_eq!(kinds, vec!["MODIFIED", "DELETED"]);
}

#[tokio::test]
async fn watch_from_a_compacted_version_gets_410_gone() {
    let (_sim, client) = common::start(Config {
        history_limit: 3,
        ..Config::default()
    })
    .await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    for i in 0..6 {
        api.create(&PostParams::default(), &config_map(&format!("c{i}")))
            .await
            .unwrap();
    }
    let mut stream = api
        .watch(&WatchParams::default(), "1")
        .await
        .unwrap()
        .boxed();
    match tokio::time::timeout(LIMIT, stream.try_next())
        .await
        .unwrap()
        .unwrap()
    {
        Some(WatchEvent::Error(status)) => {
            assert_eq!((status.code, status.reason.as_str()), (410, "Expired"))
        }
        other => panic!("expected a 410 error event, got {other:?}"),
    }
}

async fn wait_for_names(
    stream: &mut (impl futures::Stream<Item = Vec<String>> + Unpin),
    want: &[&str],
) {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let names = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("in time")
            .expect("stream open");
        if want.iter().all(|w| names.iter().any(|n| n == w)) {
            return;
        }
    }
}

/// Runs a reflector-like store over the watcher and yields the set of names after each event.
fn names_stream(
    api: Api<ConfigMap>,
    config: watcher::Config,
) -> impl futures::Stream<Item = Vec<String>> + Unpin {
    let (reader, writer) = kube::runtime::reflector::store();
    let stream = kube::runtime::reflector(writer, watcher(api, config))
        .filter_map(|event| async move { event.ok() })
        .map(move |_| {
            reader
                .state()
                .iter()
                .filter_map(|c| c.metadata.name.clone())
                .collect::<Vec<_>>()
        });
    Box::pin(stream)
}

#[tokio::test]
async fn watcher_follows_changes_with_and_without_bookmarks() {
    let config = Config {
        bookmark_interval: Duration::from_millis(200),
        ..Config::default()
    };
    let (_sim, client) = common::start(config).await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    api.create(&PostParams::default(), &config_map("before"))
        .await
        .unwrap();

    let mut with = names_stream(api.clone(), watcher::Config::default());
    let mut without = names_stream(api.clone(), watcher::Config::default().disable_bookmarks());
    let mut streaming = names_stream(api.clone(), watcher::Config::default().streaming_lists());
    wait_for_names(&mut with, &["before"]).await;
    wait_for_names(&mut without, &["before"]).await;
    wait_for_names(&mut streaming, &["before"]).await;

    api.create(&PostParams::default(), &config_map("after"))
        .await
        .unwrap();
    wait_for_names(&mut with, &["before", "after"]).await;
    wait_for_names(&mut without, &["before", "after"]).await;
    wait_for_names(&mut streaming, &["before", "after"]).await;
}

#[tokio::test]
async fn watcher_recovers_after_410_gone() {
    let (_sim, client) = common::start(Config {
        history_limit: 5,
        ..Config::default()
    })
    .await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let secrets: Api<Secret> = Api::namespaced(client, "default");
    api.create(&PostParams::default(), &config_map("first"))
        .await
        .unwrap();

    // Short server-side timeouts make the watcher re-watch from its last resourceVersion,
    // which the secret writes below push out of the retained history.
    let config = watcher::Config::default().timeout(1).disable_bookmarks();
    let mut names = names_stream(api.clone(), config);
    wait_for_names(&mut names, &["first"]).await;
    for i in 0..20 {
        secrets
            .create(&PostParams::default(), &secret(&format!("s{i}")))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    api.create(&PostParams::default(), &config_map("second"))
        .await
        .unwrap();
    wait_for_names(&mut names, &["first", "second"]).await;
}

#[derive(Debug, thiserror::Error)]
#[error(transparent)]
struct ReconcileError(#[from] kube::Error);

#[tokio::test]
async fn controller_reconciles_every_object() {
    let (_sim, client) = common::start_default().await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    for name in ["r1", "r2"] {
        api.create(&PostParams::default(), &config_map(name))
            .await
            .unwrap();
    }

    let reconcile = |cm: Arc<ConfigMap>, api: Arc<Api<ConfigMap>>| async move {
        let name = cm.metadata.name.clone().unwrap_or_default();
        let patch = Patch::Merge(json!({"metadata": {"labels": {"reconciled": "yes"}}}));
        api.patch(&name, &PatchParams::default(), &patch).await?;
        Ok::<_, ReconcileError>(Action::await_change())
    };
    let error_policy = |_: Arc<ConfigMap>, _: &ReconcileError, _: Arc<Api<ConfigMap>>| {
        Action::requeue(Duration::from_millis(100))
    };
    let controller = Controller::new(api.clone(), watcher::Config::default())
        .run(reconcile, error_policy, Arc::new(api.clone()))
        .for_each(|_| async {});
    let driver = tokio::spawn(controller);

    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let list = api.list(&Default::default()).await.unwrap();
        let done = list.items.iter().filter(|c| {
            c.metadata
                .labels
                .as_ref()
                .is_some_and(|l| l.contains_key("reconciled"))
        });
        if done.count() == 2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "controller did not reconcile both objects"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    driver.abort();
}

#[tokio::test]
async fn watches_end_after_timeout_seconds() {
    let (_sim, client) = common::start_default().await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let started = tokio::time::Instant::now();
    let mut stream = api
        .watch(&WatchParams::default().timeout(1), "0")
        .await
        .unwrap()
        .boxed();
    while let Some(event) = tokio::time::timeout(LIMIT, stream.try_next())
        .await
        .unwrap()
        .unwrap()
    {
        assert!(!matches!(event, WatchEvent::Error(_)), "{event:?}");
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
}
