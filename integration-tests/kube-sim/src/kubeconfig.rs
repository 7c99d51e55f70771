//! The kubeconfig that points clients at a running simulator.

use serde_json::json;

/// A kubeconfig with one cluster, user and context, all named `kube-sim`; the user carries
/// `token` when authentication is on, the cluster the CA when TLS is.
pub fn render(url: &str, token: Option<&str>, ca_pem: Option<&str>) -> String {
    let mut cluster = json!({"server": url});
    if let Some(pem) = ca_pem {
        use base64::Engine;
        cluster["certificate-authority-data"] =
            json!(base64::engine::general_purpose::STANDARD.encode(pem));
    }
    let user = match token {
        Some(t) => json!({"token": t}),
        None => json!({}),
    };
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kube-sim", "cluster": cluster}],
        "users": [{"name": "kube-sim", "user": user}],
        "contexts": [{"name": "kube-sim", "context": {
            "cluster": "kube-sim", "user": "kube-sim", "namespace": "default"
        }}],
        "current-context": "kube-sim",
        "preferences": {},
    });
    serde_saphyr::to_string(&config).unwrap_or_else(|_| config.to_string())
}
