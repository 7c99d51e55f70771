//! Each service's own identity in the simulated cluster, as its pod would have it: a
//! kubeconfig carrying a token of the ServiceAccount the chart gives the pod (from a
//! TokenRequest to kube-sim), or no credentials at all when the chart mounts no token.
//!
//! With kube-sim enforcing RBAC, a service can then do exactly what the chart's Roles and
//! bindings grant its account; the user's kubectl and the cluster stand-ins keep the admin
//! kubeconfig (they stand for people and for components the chart does not ship).

use std::path::{Path, PathBuf};

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount as ServiceAccountObject;
use kube::api::{Api, PostParams};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::WalkthroughError;

/// How long issued tokens live. A kubelet rotates projected tokens; the processes here read
/// theirs once, so the token must outlast the longest demo session (a week).
const TOKEN_SECONDS: i64 = 7 * 24 * 3600;

/// The pod's account, as `scripts/chart.py export` writes it (`serviceaccount.json`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccount {
    pub name: String,
    pub namespace: String,
    /// Whether the pod gets a token (`automountServiceAccountToken`).
    pub automount_token: bool,
}

impl ServiceAccount {
    /// The user name kube-sim authenticates the account's tokens as.
    pub fn user(&self) -> String {
        format!("system:serviceaccount:{}:{}", self.namespace, self.name)
    }
}

/// Reads `<export>/<component>/serviceaccount.json`.
pub fn read_service_account(
    export_dir: &Path,
    component: &str,
) -> Result<ServiceAccount, WalkthroughError> {
    let path = export_dir.join(component).join("serviceaccount.json");
    let text =
        std::fs::read_to_string(&path).map_err(WalkthroughError::io(format!("read {path:?}")))?;
    serde_json::from_str(&text).map_err(|err| WalkthroughError::Chart(format!("{path:?}: {err}")))
}

/// Writes `dir/kubeconfig-<component>` for the component's account and returns its path: the
/// admin kubeconfig's server and CA with the account's token, or with no credentials when
/// the pod mounts none. Errors: the account is missing (the chart did not create it) or the
/// kubeconfig cannot be read or written.
pub async fn service_kubeconfig(
    admin: &kube::Client,
    admin_kubeconfig: &Path,
    component: &str,
    account: &ServiceAccount,
) -> Result<PathBuf, WalkthroughError> {
    let user = if account.automount_token {
        json!({"token": token(admin, account).await?})
    } else {
        json!({})
    };
    let path = admin_kubeconfig.with_file_name(format!("kubeconfig-{component}"));
    write_with_user(admin_kubeconfig, &path, user)?;
    Ok(path)
}

/// A TokenRequest for the account, as the kubelet makes for a projected token.
async fn token(admin: &kube::Client, account: &ServiceAccount) -> Result<String, WalkthroughError> {
    let api: Api<ServiceAccountObject> = Api::namespaced(admin.clone(), &account.namespace);
    let request = TokenRequest {
        spec: Some(TokenRequestSpec {
            expiration_seconds: Some(TOKEN_SECONDS),
            ..Default::default()
        }),
        ..Default::default()
    };
    let issued = api
        .create_token_request(&account.name, &PostParams::default(), &request)
        .await
        .map_err(|err| WalkthroughError::Unexpected {
            from: format!("TokenRequest for {}", account.user()),
            detail: err.to_string(),
        })?;
    issued
        .status
        .and_then(|s| s.token)
        .ok_or_else(|| WalkthroughError::Unexpected {
            from: format!("TokenRequest for {}", account.user()),
            detail: "no status.token in the answer".to_owned(),
        })
}

/// Copies the kubeconfig at `from` to `to` with every user's credentials replaced by `user`.
fn write_with_user(from: &Path, to: &Path, user: Value) -> Result<(), WalkthroughError> {
    let text =
        std::fs::read_to_string(from).map_err(WalkthroughError::io(format!("read {from:?}")))?;
    let unexpected = |detail: String| WalkthroughError::Unexpected {
        from: from.display().to_string(),
        detail,
    };
    let mut config: Value = serde_saphyr::from_str(&text).map_err(|e| unexpected(e.to_string()))?;
    let users = config.get_mut("users").and_then(Value::as_array_mut);
    let users = users.ok_or_else(|| unexpected("no users in the kubeconfig".to_owned()))?;
    for entry in users {
        entry["user"] = user.clone();
    }
    let yaml = serde_saphyr::to_string(&config).map_err(|e| unexpected(e.to_string()))?;
    std::fs::write(to, yaml).map_err(WalkthroughError::io(format!("write {to:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: &str = "apiVersion: v1\nkind: Config\nclusters:\n- name: kube-sim\n  \
                         cluster:\n    \
                         server: https://127.0.0.1:1\nusers:\n- name: kube-sim\n  user:\n    \
                         token: admin-secret\ncurrent-context: kube-sim\n";

    #[test]
    fn the_copy_keeps_the_server_and_replaces_the_credentials() {
        let dir = std::env::temp_dir().join(format!("identities-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (from, to) = (dir.join("kubeconfig"), dir.join("kubeconfig-x"));
        std::fs::write(&from, ADMIN).unwrap();

        write_with_user(&from, &to, json!({"token": "sa-token"})).unwrap();
        let copy = std::fs::read_to_string(&to).unwrap();
        assert!(copy.contains("sa-token") && copy.contains("https://127.0.0.1:1"));
        assert!(!copy.contains("admin-secret"), "{copy}");

        write_with_user(&from, &to, json!({})).unwrap();
        let anonymous = std::fs::read_to_string(&to).unwrap();
        assert!(!anonymous.contains("token"), "{anonymous}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn accounts_name_their_user() {
        let account: ServiceAccount = serde_json::from_str(
            r#"{"name": "ssm-x", "namespace": "kube-system", "automountToken": true}"#,
        )
        .unwrap();
        assert_eq!(account.user(), "system:serviceaccount:kube-system:ssm-x");
    }
}
