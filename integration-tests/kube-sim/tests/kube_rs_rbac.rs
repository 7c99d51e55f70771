//! RBAC enforcement (`Config::rbac`) seen through kube-rs: bindings grant exactly their
//! rules, refusals are the real 403 Status, and SelfSubjectAccessReviews agree.

mod common;

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use kube::api::{ListParams, ObjectMeta, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client};

async fn client_with_token(kubeconfig: &str, token: &str) -> Client {
    let yaml = kubeconfig.replace("admin-token", token);
    let kubeconfig = Kubeconfig::from_yaml(&yaml).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

fn config(rbac: bool) -> kube_sim::Config {
    let mut config = kube_sim::Config {
        bearer_token: Some("admin-token".into()),
        rbac,
        ..Default::default()
    };
    config.tokens.insert("alice-token".into(), "alice".into());
    config
}

async fn grant_configmap_reading(admin: &Client, namespace: &str) {
    let ns = Namespace {
        metadata: ObjectMeta {
            name: Some(namespace.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let pp = PostParams::default();
    Api::<Namespace>::all(admin.clone())
        .create(&pp, &ns)
        .await
        .unwrap();
    let role = Role {
        metadata: ObjectMeta {
            name: Some("cm-reader".into()),
            ..Default::default()
        },
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec!["".into()]),
            resources: Some(vec!["configmaps".into()]),
            verbs: vec!["get".into(), "list".into()],
            ..Default::default()
        }]),
    };
    Api::<Role>::namespaced(admin.clone(), namespace)
        .create(&pp, &role)
        .await
        .unwrap();
    let binding = RoleBinding {
        metadata: ObjectMeta {
            name: Some("alice-reads".into()),
            ..Default::default()
        },
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "Role".into(),
            name: "cm-reader".into(),
        },
        subjects: Some(vec![Subject {
            kind: "User".into(),
            name: "alice".into(),
            ..Default::default()
        }]),
    };
    let bindings = Api::<RoleBinding>::namespaced(admin.clone(), namespace);
    bindings.create(&pp, &binding).await.unwrap();
}

async fn can_i(client: &Client, verb: &str, namespace: &str) -> bool {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(verb.into()),
                resource: Some("configmaps".into()),
                namespace: Some(namespace.into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let api = Api::<SelfSubjectAccessReview>::all(client.clone());
    let answer = api.create(&PostParams::default(), &review).await.unwrap();
    answer.status.unwrap().allowed
}

#[tokio::test]
async fn role_bindings_grant_their_rules_and_nothing_else() {
    let (sim, admin) = common::start(config(true)).await;
    grant_configmap_reading(&admin, "team").await;
    let alice = client_with_token(&sim.kubeconfig, "alice-token").await;

    let team = Api::<ConfigMap>::namespaced(alice.clone(), "team");
    assert!(
        team.list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let cm = ConfigMap {
        metadata: ObjectMeta {
            name: Some("c".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let refused = team.create(&PostParams::default(), &cm).await.unwrap_err();
    let kube::Error::Api(status) = refused else {
        panic!("expected a Status, got {refused:?}")
    };
    assert_eq!((status.code, status.reason.as_str()), (403, "Forbidden"));
    assert_eq!(
        status.message,
        "configmaps is forbidden: User \"alice\" cannot create resource \"configmaps\" in API \
         group \"\" in the namespace \"team\""
    );
    let other = Api::<ConfigMap>::namespaced(alice.clone(), "default");
    assert!(other.list(&ListParams::default()).await.is_err());

    assert!(can_i(&alice, "list", "team").await);
    assert!(!can_i(&alice, "create", "team").await);
    assert!(!can_i(&alice, "list", "default").await);
    assert!(can_i(&admin, "create", "default").await);
    assert!(
        alice.apiserver_version().await.is_ok(),
        "discovery stays allowed"
    );
}

#[tokio::test]
async fn without_rbac_every_authenticated_request_is_allowed() {
    let (sim, _admin) = common::start(config(false)).await;
    let alice = client_with_token(&sim.kubeconfig, "alice-token").await;
    let cms = Api::<ConfigMap>::namespaced(alice, "default");
    assert!(cms.list(&ListParams::default()).await.is_ok());

    let (_open_sim, open) = common::start_default().await;
    assert!(
        can_i(&open, "delete", "default").await,
        "no authentication: admin"
    );
}

/// `GET DECISIONS_PATH` as `client`, parsed (or the API error).
async fn decisions(client: &Client) -> Result<Vec<kube_sim::AuthorizationDecision>, kube::Error> {
    let request = http::Request::get(kube_sim::DECISIONS_PATH)
        .body(Vec::new())
        .unwrap();
    client.request(request).await
}

#[tokio::test]
async fn decisions_are_recorded_per_user_and_served_to_the_admin_only() {
    let (sim, admin) = common::start(config(true)).await;
    grant_configmap_reading(&admin, "team").await;
    let alice = client_with_token(&sim.kubeconfig, "alice-token").await;
    let team = Api::<ConfigMap>::namespaced(alice.clone(), "team");
    team.list(&ListParams::default()).await.unwrap();
    team.get_opt("c").await.unwrap();
    assert!(team.delete("c", &Default::default()).await.is_err());

    let refused = decisions(&alice).await.unwrap_err();
    assert!(
        matches!(&refused, kube::Error::Api(s) if s.code == 403),
        "{refused:?}"
    );
    let served = decisions(&admin).await.unwrap();
    assert_eq!(served, sim.authorization_decisions());
    let of_alice: Vec<_> = served.iter().filter(|d| d.user == "alice").collect();
    let find = |verb: &str| {
        of_alice
            .iter()
            .find(|d| d.verb == verb && d.resource == "configmaps")
            .unwrap_or_else(|| panic!("no {verb} decision in {of_alice:?}"))
    };
    assert!(find("list").allowed && find("list").name.is_none());
    assert!(find("get").allowed);
    assert_eq!(find("get").name.as_deref(), Some("c"));
    assert_eq!(find("get").namespace, "team");
    assert!(!find("delete").allowed);
    let path = Some(kube_sim::DECISIONS_PATH);
    let asked = of_alice
        .iter()
        .find(|d| d.non_resource_url.as_deref() == path);
    assert!(asked.is_some_and(|d| !d.allowed), "{of_alice:?}");
    assert!(
        served
            .iter()
            .any(|d| d.user == "kube-sim-admin" && d.allowed)
    );
}
