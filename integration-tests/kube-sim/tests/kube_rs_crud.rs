//! kube-rs `Api` against the simulator: CRUD, optimistic concurrency, selectors, pagination,
//! patches and finalizers.

mod common;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

fn config_map(name: &str, labels: &[(&str, &str)]) -> ConfigMap {
    let mut cm = ConfigMap::default();
    cm.metadata.name = Some(name.into());
    let labels: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    cm.metadata.labels = Some(labels);
    cm.data = Some(BTreeMap::from([("key".to_string(), "one".to_string())]));
    cm
}

fn status_code(err: kube::Error) -> (u16, String) {
    match err {
        kube::Error::Api(status) => (status.code, status.reason),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn create_get_replace_delete_round_trip() {
    let (_sim, client) = common::start_default().await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");

    let created = api
        .create(&PostParams::default(), &config_map("a", &[("app", "web")]))
        .await
        .unwrap();
    assert!(created.metadata.uid.is_some());
    assert!(created.metadata.creation_timestamp.is_some());
    let rv: u64 = created
        .metadata
        .resource_version
        .clone()
        .unwrap()
        .parse()
        .unwrap();

    let again = api
        .create(&PostParams::default(), &config_map("a", &[]))
        .await
        .unwrap_err();
    assert_eq!(status_code(again), (409, "AlreadyExists".into()));

    let mut changed = created.clone();
    changed.data = Some(BTreeMap::from([("key".to_string(), "two".to_string())]));
    let replaced = api
        .replace("a", &PostParams::default(), &changed)
        .await
        .unwrap();
    let new_rv: u64 = replaced
        .metadata
        .resource_version
        .clone()
        .unwrap()
        .parse()
        .unwrap();
    assert!(new_rv > rv);

    let stale = api
        .replace("a", &PostParams::default(), &changed)
        .await
        .unwrap_err();
    assert_eq!(status_code(stale), (409, "Conflict".into()));

    api.delete("a", &DeleteParams::default()).await.unwrap();
    let gone = api.get("a").await.unwrap_err();
    assert_eq!(status_code(gone), (404, "NotFound".into()));
}

#[tokio::test]
async fn label_selectors_and_pagination() {
    let (_sim, client) = common::start_default().await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    for (i, tier) in ["front", "back", "front", "db", "front"].iter().enumerate() {
        let cm = config_map(&format!("cm-{i}"), &[("tier", tier)]);
        api.create(&PostParams::default(), &cm).await.unwrap();
    }

    let fronts = api
        .list(&ListParams::default().labels("tier=front"))
        .await
        .unwrap();
    assert_eq!(fronts.items.len(), 3);
    let not_front = api
        .list(&ListParams::default().labels("tier notin (front)"))
        .await
        .unwrap();
    assert_eq!(not_front.items.len(), 2);
    let by_name = api
        .list(&ListParams::default().fields("metadata.name=cm-3"))
        .await
        .unwrap();
    assert_eq!(by_name.items.len(), 1);

    let first = api.list(&ListParams::default().limit(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.metadata.remaining_item_count, Some(3));
    let token = first.metadata.continue_.clone().expect("continue token");
    api.create(&PostParams::default(), &config_map("cm-9", &[]))
        .await
        .unwrap();
    let rest = api
        .list(&ListParams::default().limit(10).continue_token(&token))
        .await
        .unwrap();
    let names: Vec<String> = rest
        .items
        .iter()
        .map(|c| c.metadata.name.clone().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["cm-2", "cm-3", "cm-4"],
        "continued lists read the first page's snapshot"
    );
    assert_eq!(
        rest.metadata.resource_version,
        first.metadata.resource_version
    );
}

#[tokio::test]
async fn generate_name_and_patch_types() {
    let (_sim, client) = common::start_default().await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let mut cm = config_map("", &[]);
    cm.metadata.name = None;
    cm.metadata.generate_name = Some("gen-".into());
    let created = api.create(&PostParams::default(), &cm).await.unwrap();
    let name = created.metadata.name.unwrap();
    assert!(name.starts_with("gen-") && name.len() == 9, "{name}");

    let merge = Patch::Merge(json!({"data": {"added": "x", "key": null}}));
    let patched = api
        .patch(&name, &PatchParams::default(), &merge)
        .await
        .unwrap();
    assert_eq!(
        patched.data.unwrap(),
        BTreeMap::from([("added".to_string(), "x".to_string())])
    );

    let ops: json_patch::Patch =
        serde_json::from_value(json!([{"op": "add", "path": "/data/j", "value": "y"}])).unwrap();
    let patched = api
        .patch(&name, &PatchParams::default(), &Patch::<()>::Json(ops))
        .await
        .unwrap();
    assert_eq!(
        patched.data.unwrap().get("j").map(String::as_str),
        Some("y")
    );

    let strategic = Patch::Strategic(json!({"metadata": {"labels": {"s": "1"}}}));
    let patched = api
        .patch(&name, &PatchParams::default(), &strategic)
        .await
        .unwrap();
    assert_eq!(
        patched
            .metadata
            .labels
            .unwrap()
            .get("s")
            .map(String::as_str),
        Some("1")
    );

    let missing = api
        .patch("nope", &PatchParams::default(), &merge)
        .await
        .unwrap_err();
    assert_eq!(status_code(missing).0, 404);
}

#[tokio::test]
async fn finalizers_hold_deletion_until_removed() {
    let (_sim, client) = common::start_default().await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let mut cm = config_map("held", &[]);
    cm.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    api.create(&PostParams::default(), &cm).await.unwrap();

    api.delete("held", &DeleteParams::default()).await.unwrap();
    let deleting = api.get("held").await.unwrap();
    assert!(deleting.metadata.deletion_timestamp.is_some());

    let add =
        Patch::Merge(json!({"metadata": {"finalizers": ["example.com/hold", "example.com/more"]}}));
    let refused = api
        .patch("held", &PatchParams::default(), &add)
        .await
        .unwrap_err();
    assert_eq!(status_code(refused).0, 422);

    let clear = Patch::Merge(json!({"metadata": {"finalizers": null}}));
    api.patch("held", &PatchParams::default(), &clear)
        .await
        .unwrap();
    assert_eq!(status_code(api.get("held").await.unwrap_err()).0, 404);
}

#[tokio::test]
async fn namespace_deletion_removes_contents_and_blocks_new_ones() {
    let (_sim, client) = common::start_default().await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let mut ns = Namespace::default();
    ns.metadata.name = Some("doomed".into());
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "doomed");
    api.create(&PostParams::default(), &config_map("plain", &[]))
        .await
        .unwrap();
    let mut held = config_map("held", &[]);
    held.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    api.create(&PostParams::default(), &held).await.unwrap();

    namespaces
        .delete("doomed", &DeleteParams::default())
        .await
        .unwrap();
    let terminating = namespaces.get("doomed").await.unwrap();
    assert_eq!(
        terminating.status.unwrap().phase.as_deref(),
        Some("Terminating")
    );
    assert_eq!(status_code(api.get("plain").await.unwrap_err()).0, 404);
    let refused = api
        .create(&PostParams::default(), &config_map("new", &[]))
        .await
        .unwrap_err();
    assert_eq!(status_code(refused).0, 403);

    let clear = Patch::Merge(json!({"metadata": {"finalizers": null}}));
    api.patch("held", &PatchParams::default(), &clear)
        .await
        .unwrap();
    assert_eq!(
        status_code(namespaces.get("doomed").await.unwrap_err()).0,
        404
    );

    let elsewhere: Api<ConfigMap> = Api::namespaced(client, "missing-ns");
    let refused = elsewhere
        .create(&PostParams::default(), &config_map("x", &[]))
        .await
        .unwrap_err();
    assert_eq!(status_code(refused).0, 404);
}

#[tokio::test]
async fn racing_writers_get_exactly_one_success_per_version() {
    let (_sim, client) = common::start_default().await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    api.create(&PostParams::default(), &config_map("race", &[]))
        .await
        .unwrap();

    for round in 0..3 {
        let base = api.get("race").await.unwrap();
        let writers = (0..8).map(|i| {
            let api = api.clone();
            let mut mine = base.clone();
            mine.data = Some(BTreeMap::from([(
                "writer".to_string(),
                format!("{round}-{i}"),
            )]));
            tokio::spawn(async move { api.replace("race", &PostParams::default(), &mine).await })
        });
        let results = futures::future::join_all(writers).await;
        let outcomes: Vec<_> = results.into_iter().map(|r| r.expect("task")).collect();
        let wins = outcomes.iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "round {round}: {outcomes:?}");
        for loss in outcomes.into_iter().filter_map(Result::err) {
            assert_eq!(status_code(loss).1, "Conflict");
        }
    }
}

/// A client from the simulator's kubeconfig with the user's token replaced.
async fn client_with_token(sim: &kube_sim::SimHandle, token: Option<&str>) -> kube::Client {
    let mut kubeconfig = kube::config::Kubeconfig::from_yaml(&sim.kubeconfig).unwrap();
    for named in &mut kubeconfig.auth_infos {
        if let Some(info) = named.auth_info.as_mut() {
            info.token = token.map(|t| t.to_string().into());
        }
    }
    let options = kube::config::KubeConfigOptions::default();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

#[tokio::test]
async fn tls_and_bearer_tokens_are_required_when_configured() {
    let mut config = kube_sim::Config {
        tls: true,
        bearer_token: Some("s3cret".into()),
        ..Default::default()
    };
    config
        .tokens
        .insert("sa-token".into(), "system:serviceaccount:ops:ctrl".into());
    let (sim, client) = common::start(config).await;
    assert!(sim.url.starts_with("https://"));
    let namespaces: Api<Namespace> = Api::all(client);
    assert!(
        namespaces.get("default").await.is_ok(),
        "the kubeconfig's CA and token work"
    );

    let anonymous: Api<Namespace> = Api::all(client_with_token(&sim, None).await);
    let refused = anonymous.get("default").await.unwrap_err();
    assert_eq!(status_code(refused), (401, "Unauthorized".into()));

    let service_account: Api<Namespace> = Api::all(client_with_token(&sim, Some("sa-token")).await);
    assert!(service_account.get("default").await.is_ok());
}

#[tokio::test]
async fn dependents_go_with_their_owner_unless_orphaned() {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
    let (_sim, client) = common::start_default().await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let owner = api
        .create(&PostParams::default(), &config_map("owner", &[]))
        .await
        .unwrap();
    let reference = OwnerReference {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        name: "owner".into(),
        uid: owner.metadata.uid.clone().unwrap(),
        ..OwnerReference::default()
    };
    for name in ["dep1", "dep2"] {
        let mut dep = config_map(name, &[]);
        dep.metadata.owner_references = Some(vec![reference.clone()]);
        api.create(&PostParams::default(), &dep).await.unwrap();
    }

    let orphaning = DeleteParams {
        propagation_policy: Some(kube::api::PropagationPolicy::Orphan),
        ..DeleteParams::default()
    };
    let second = api
        .create(&PostParams::default(), &config_map("owner2", &[]))
        .await
        .unwrap();
    let mut ref2 = reference.clone();
    ref2.name = "owner2".into();
    ref2.uid = second.metadata.uid.clone().unwrap();
    let mut orphan = config_map("orphan", &[]);
    orphan.metadata.owner_references = Some(vec![ref2]);
    api.create(&PostParams::default(), &orphan).await.unwrap();
    api.delete("owner2", &orphaning).await.unwrap();
    let survivor = api.get("orphan").await.unwrap();
    assert!(
        survivor
            .metadata
            .owner_references
            .unwrap_or_default()
            .is_empty()
    );

    api.delete("owner", &DeleteParams::default()).await.unwrap();
    assert_eq!(status_code(api.get("dep1").await.unwrap_err()).0, 404);
    assert_eq!(status_code(api.get("dep2").await.unwrap_err()).0, 404);
}

#[tokio::test]
async fn exact_resource_version_reads_the_past() {
    use kube::api::VersionMatch;
    let (_sim, client) = common::start_default().await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let first = api
        .create(&PostParams::default(), &config_map("a", &[]))
        .await
        .unwrap();
    let rv = first.metadata.resource_version.unwrap();
    api.create(&PostParams::default(), &config_map("b", &[]))
        .await
        .unwrap();
    api.delete("a", &DeleteParams::default()).await.unwrap();

    let then = ListParams::default().at(&rv).matching(VersionMatch::Exact);
    let past = api.list(&then).await.unwrap();
    let names: Vec<String> = past
        .items
        .iter()
        .filter_map(|c| c.metadata.name.clone())
        .collect();
    assert_eq!(names, vec!["a"]);
    assert_eq!(past.metadata.resource_version.as_deref(), Some(rv.as_str()));
}

/// kube-runtime's `finalizer()` adds the first finalizer with a `test` of the missing list
/// against null, which kube-apiserver's JSON patch library lets pass.
#[tokio::test]
async fn json_patch_tests_a_missing_member_as_null() {
    let (_sim, client) = common::start_default().await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "fin"}})).unwrap();
    cms.create(&PostParams::default(), &cm).await.unwrap();

    let body = json!([
        {"op": "test", "path": "/metadata/finalizers", "value": null},
        {"op": "add", "path": "/metadata/finalizers", "value": ["example.com/cleanup"]},
    ]);
    let request = http::Request::patch("/api/v1/namespaces/default/configmaps/fin")
        .header("content-type", "application/json-patch+json")
        .body(serde_json::to_vec(&body).unwrap())
        .unwrap();
    let patched: ConfigMap = client.request(request).await.unwrap();
    let finalizers = patched.metadata.finalizers.unwrap();
    assert_eq!(finalizers, vec!["example.com/cleanup".to_string()]);

    let again = http::Request::patch("/api/v1/namespaces/default/configmaps/fin")
        .header("content-type", "application/json-patch+json")
        .body(serde_json::to_vec(&body).unwrap())
        .unwrap();
    let err = client.request::<ConfigMap>(again).await.unwrap_err();
    assert!(matches!(err, kube::Error::Api(s) if s.code == 422));
}

/// kube-lease-manager's release (a merge patch nulling the holder) then another holder's
/// server-side apply: the released field belongs to nobody, so the apply does not conflict.
#[tokio::test]
async fn a_lease_released_by_patch_can_be_taken_by_another_applier() {
    use k8s_openapi::api::coordination::v1::Lease;

    let (_sim, client) = common::start_default().await;
    let leases: Api<Lease> = Api::namespaced(client, "default");
    let lease = |holder: &str| {
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "leader"},
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": 15}})
    };
    let ssa = |manager: &str| PatchParams::apply(manager);
    leases
        .patch("leader", &ssa("a"), &Patch::Apply(lease("a")))
        .await
        .unwrap();
    let held = leases
        .patch("leader", &ssa("b"), &Patch::Apply(lease("b")))
        .await;
    assert!(matches!(held, Err(kube::Error::Api(s)) if s.code == 409));

    let release = json!({"spec": {"holderIdentity": null}});
    let pp = PatchParams::default();
    leases
        .patch("leader", &pp, &Patch::Merge(release))
        .await
        .unwrap();
    let taken = leases
        .patch("leader", &ssa("b"), &Patch::Apply(lease("b")))
        .await
        .unwrap();
    assert_eq!(taken.spec.unwrap().holder_identity.as_deref(), Some("b"));
}

/// A field its only applier stops applying is removed; one another manager also owns stays.
#[tokio::test]
async fn apply_removes_fields_the_manager_stops_sending() {
    let (_sim, client) = common::start_default().await;
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    let cm = |data: serde_json::Value| {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owned"},
            "data": data})
    };
    let ssa = |manager: &str| PatchParams::apply(manager);
    let both = cm(json!({"x": "1", "y": "2", "z": "3"}));
    cms.patch("owned", &ssa("a"), &Patch::Apply(both))
        .await
        .unwrap();
    let shared = cm(json!({"z": "3"}));
    cms.patch("owned", &ssa("b"), &Patch::Apply(shared))
        .await
        .unwrap();

    let fewer = cm(json!({"x": "1"}));
    let after = cms
        .patch("owned", &ssa("a"), &Patch::Apply(fewer))
        .await
        .unwrap();
    let data = after.data.unwrap();
    let keys: Vec<&str> = data.keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["x", "z"]);
}
