//! ServiceAccount tokens through kube-rs: TokenRequest, the `SimHandle` helpers, TokenReview,
//! and RBAC granting the account what its bindings say.

mod common;

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenReview, TokenReviewSpec};
use k8s_openapi::api::core::v1::{ConfigMap, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject};
use kube::api::{ListParams, ObjectMeta, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client};

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        ..Default::default()
    }
}

async fn client_from(kubeconfig: &str) -> Client {
    let kubeconfig = Kubeconfig::from_yaml(kubeconfig).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

async fn request_token(client: &Client, namespace: &str, name: &str) -> kube::Result<TokenRequest> {
    let url = format!("/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token");
    let body = br#"{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}}"#;
    let request = http::Request::post(url)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .unwrap();
    client.request(request).await
}

/// Lets every ServiceAccount of `namespace` list ConfigMaps anywhere.
async fn grant_listing(admin: &Client, namespace: &str) {
    let pp = PostParams::default();
    let role = ClusterRole {
        metadata: meta("cm-lister"),
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec!["".into()]),
            resources: Some(vec!["configmaps".into()]),
            verbs: vec!["list".into()],
            ..Default::default()
        }]),
        ..Default::default()
    };
    Api::<ClusterRole>::all(admin.clone())
        .create(&pp, &role)
        .await
        .unwrap();
    let binding = ClusterRoleBinding {
        metadata: meta("sa-list"),
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "ClusterRole".into(),
            name: "cm-lister".into(),
        },
        subjects: Some(vec![Subject {
            kind: "Group".into(),
            name: format!("system:serviceaccounts:{namespace}"),
            ..Default::default()
        }]),
    };
    let bindings = Api::<ClusterRoleBinding>::all(admin.clone());
    bindings.create(&pp, &binding).await.unwrap();
}

fn config() -> kube_sim::Config {
    kube_sim::Config {
        bearer_token: Some("admin-token".into()),
        rbac: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn token_requests_issue_tokens_that_authenticate_as_the_account() {
    let (sim, admin) = common::start(config()).await;
    let accounts = Api::<ServiceAccount>::namespaced(admin.clone(), "default");
    let account = ServiceAccount {
        metadata: meta("ctrl"),
        ..Default::default()
    };
    accounts
        .create(&PostParams::default(), &account)
        .await
        .unwrap();

    let issued = request_token(&admin, "default", "ctrl").await.unwrap();
    let status = issued.status.unwrap();
    let token = status.token.clone().unwrap();
    assert_eq!(issued.spec.unwrap().expiration_seconds, Some(3600));
    assert!(status.expiration_timestamp.unwrap().0 > jiff::Timestamp::now());
    let missing = request_token(&admin, "default", "nobody")
        .await
        .unwrap_err();
    assert!(matches!(missing, kube::Error::Api(s) if s.code == 404));

    let sa = client_from(&sim.kubeconfig_for_token(&token)).await;
    let cms = Api::<ConfigMap>::namespaced(sa.clone(), "default");
    let refused = cms.list(&ListParams::default()).await.unwrap_err();
    let kube::Error::Api(refused) = refused else {
        panic!("expected a Status: {refused:?}")
    };
    assert_eq!(refused.code, 403);
    assert!(
        refused
            .message
            .contains("User \"system:serviceaccount:default:ctrl\"")
    );
    grant_listing(&admin, "default").await;
    assert!(cms.list(&ListParams::default()).await.is_ok());

    let review = TokenReview {
        metadata: meta("r"),
        spec: TokenReviewSpec {
            token: token.clone(),
            ..Default::default()
        },
        status: None,
    };
    let reviews = Api::<TokenReview>::all(admin.clone());
    let answer = reviews
        .create(&PostParams::default(), &review)
        .await
        .unwrap();
    let answer = answer.status.unwrap();
    assert_eq!(answer.authenticated, Some(true));
    let user = answer.user.unwrap();
    assert_eq!(
        user.username.as_deref(),
        Some("system:serviceaccount:default:ctrl")
    );
}

#[tokio::test]
async fn the_handle_issues_service_account_kubeconfigs() {
    let (sim, admin) = common::start(config()).await;
    grant_listing(&admin, "ops").await;
    let gateway = client_from(&sim.service_account_kubeconfig("ops", "gateway")).await;
    let outsider = client_from(&sim.service_account_kubeconfig("dev", "gateway")).await;
    let lp = ListParams::default();
    assert!(Api::<ConfigMap>::all(gateway).list(&lp).await.is_ok());
    assert!(Api::<ConfigMap>::all(outsider).list(&lp).await.is_err());

    let token = sim.service_account_token("ops", "gateway");
    let review = TokenReview {
        metadata: meta("r"),
        spec: TokenReviewSpec {
            token,
            ..Default::default()
        },
        status: None,
    };
    let reviews = Api::<TokenReview>::all(admin);
    let answer = reviews
        .create(&PostParams::default(), &review)
        .await
        .unwrap();
    let groups = answer.status.unwrap().user.unwrap().groups.unwrap();
    assert!(groups.contains(&"system:serviceaccounts:ops".to_string()));
}

#[tokio::test]
async fn issued_tokens_are_reviewed_with_authentication_off() {
    let (sim, client) = common::start_default().await;
    let review = TokenReview {
        metadata: meta("r"),
        spec: TokenReviewSpec {
            token: sim.service_account_token("ops", "listener"),
            ..Default::default()
        },
        status: None,
    };
    let reviews = Api::<TokenReview>::all(client);
    let answer = reviews
        .create(&PostParams::default(), &review)
        .await
        .unwrap();
    let user = answer.status.unwrap().user.unwrap();
    assert_eq!(
        user.username.as_deref(),
        Some("system:serviceaccount:ops:listener")
    );
}
