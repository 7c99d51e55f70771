//! The `kube::Client` every service builds the same way.

use kube::{
    Client, Config,
    config::{KubeConfigOptions, Kubeconfig},
};
use tracing::info;

use crate::{RuntimeError, args::KubeArgs};

/// Builds a client from `args`: the given kubeconfig (and context) when set, otherwise what
/// `kube::Config::infer` finds (in-cluster service account first, then `~/.kube/config`).
///
/// # Errors
/// [`RuntimeError::Kubeconfig`] for an unreadable kubeconfig or unknown context,
/// [`RuntimeError::KubeConfig`] when nothing usable is found, [`RuntimeError::KubeClient`] when
/// the client cannot be built (e.g. bad TLS material).
pub async fn client(args: &KubeArgs) -> Result<Client, RuntimeError> {
    let config = config(args).await?;
    info!(cluster_url = %config.cluster_url, "kubernetes client configured");
    Client::try_from(config).map_err(RuntimeError::KubeClient)
}

/// The configuration [`client`] uses, for callers that adjust timeouts before building.
pub async fn config(args: &KubeArgs) -> Result<Config, RuntimeError> {
    let options = KubeConfigOptions {
        context: args.kube_context.clone(),
        ..KubeConfigOptions::default()
    };
    let Some(path) = &args.kubeconfig else {
        if args.kube_context.is_some() {
            return Config::from_kubeconfig(&options)
                .await
                .map_err(|e| RuntimeError::KubeConfig(e.to_string()));
        }
        return Config::infer()
            .await
            .map_err(|e| RuntimeError::KubeConfig(e.to_string()));
    };

    let kubeconfig_error = |reason: String| RuntimeError::Kubeconfig {
        path: path.clone(),
        reason,
    };
    let kubeconfig = Kubeconfig::read_from(path).map_err(|e| kubeconfig_error(e.to_string()))?;
    Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| kubeconfig_error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_kubeconfig(dir: &std::path::Path, server: &str) -> std::path::PathBuf {
        let path = dir.join("kubeconfig");
        let yaml = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: sim\n\
             clusters: [{{name: sim, cluster: {{server: \"{server}\"}}}}]\n\
             users: [{{name: me, user: {{token: t0ken}}}}]\n\
             contexts: [{{name: sim, context: {{cluster: sim, user: me}}}}]\n"
        );
        std::fs::write(&path, yaml).unwrap();
        path
    }

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("service-runtime-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn kubeconfig_path_and_context_are_honoured() {
        let dir = temp_dir("kc");
        let args = KubeArgs {
            kubeconfig: Some(write_kubeconfig(&dir, "http://127.0.0.1:6443")),
            kube_context: None,
        };
        let cfg = config(&args).await.unwrap();
        assert_eq!(cfg.cluster_url.to_string(), "http://127.0.0.1:6443/");
        client(&args).await.expect("client builds");

        let unknown_context = KubeArgs {
            kube_context: Some("prod".into()),
            ..args
        };
        let err = config(&unknown_context).await.unwrap_err();
        assert!(matches!(err, RuntimeError::Kubeconfig { .. }), "{err}");
        assert!(err.to_string().contains("prod"), "{err}");
    }

    #[tokio::test]
    async fn a_missing_kubeconfig_names_the_path() {
        let args = KubeArgs {
            kubeconfig: Some("/nonexistent/kubeconfig".into()),
            kube_context: None,
        };
        let err = config(&args).await.unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read kubeconfig /nonexistent/kubeconfig"),
            "{err}"
        );
    }
}
