//! Shared set-up for the integration tests: a simulator per test and a kube client for it.

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube_sim::{Config, SimHandle};

/// Starts a simulator with `config` and returns it with a client pointed at it.
pub async fn start(config: Config) -> (SimHandle, kube::Client) {
    let sim = kube_sim::spawn(config).await.expect("simulator starts");
    let kubeconfig = Kubeconfig::from_yaml(&sim.kubeconfig).expect("kubeconfig parses");
    let options = KubeConfigOptions::default();
    let client_config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .expect("client config");
    let client = kube::Client::try_from(client_config).expect("client builds");
    (sim, client)
}

pub async fn start_default() -> (SimHandle, kube::Client) {
    start(Config::default()).await
}
