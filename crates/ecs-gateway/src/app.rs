//! Wiring of the binary: flags to components, then serve until SIGTERM and drain.

use std::sync::Arc;

use anyhow::{Context, bail};
use ecs_client::credentials::{
    CacheOptions, CachingProvider, CredentialsProvider, InstanceRoleConfig,
    InstanceRoleCredentials, OidcRoleConfig, OidcRoleCredentials, SecretFileCredentials,
    SecretFilePaths, StaticCredentials,
};
use ecs_client::{ClientConfig, EcsClient, Endpoint};
use service_runtime::admin::AdminServer;
use service_runtime::shutdown::Shutdown;
use service_runtime::{Readiness, Registry};
use tonic::transport::ServerTlsConfig;

use crate::args::{Args, CredentialsSource, EcsArgs, SecurityArgs};
use crate::auth::token_review::{CachedReviewer, KubeTokenReviewer, TokenReviewer};
use crate::auth::{AllowList, Authenticator};
use crate::backend::limited::LimitedEcs;
use crate::lifecycle;
use crate::limiter::Scheduler;
use crate::metrics::Metrics;
use crate::reload;
use crate::server::{self, TlsFiles};
use crate::service::GatewayService;

/// Runs the gateway until a shutdown signal, then lets in-flight calls finish.
pub async fn run(args: Args) -> anyhow::Result<()> {
    service_runtime::logging::init(&args.log)?;
    let shutdown = Shutdown::on_signals(args.admin.drain_timeout)?;
    let metrics = Metrics::default();
    let mut registry = Registry::default();
    metrics.register(&mut registry);

    let insecure = args.security.insecure_dev_mode;
    if insecure {
        tracing::warn!(
            "INSECURE DEVELOPMENT MODE: plain-text gRPC, no authentication, every caller may \
             call every RPC; never run this in a cluster"
        );
    }
    let auth = Arc::new(authenticator(&args, metrics.clone()).await?);
    if let (false, Some(path)) = (insecure, &args.security.allow_list_file) {
        let interval = args.security.config_reload_interval;
        let stop = shutdown.token();
        reload::watch_allow_list(path.clone(), auth.clone(), interval, metrics.clone(), stop);
    }
    let tls = tls_config(&args.security)?;
    let client = ecs_client(&args.ecs, &metrics).await?;

    let scheduler = Scheduler::start(args.limits.config(), metrics.clone())
        .map_err(|reason| anyhow::anyhow!("invalid rate limits: {reason}"))?;
    let backend = LimitedEcs::new(
        client,
        Arc::new(scheduler),
        args.retry.config(),
        metrics.clone(),
    );
    let service = GatewayService::new(Arc::new(backend), auth, &args.ecs.region, metrics);

    let readiness = Readiness::new();
    let admin = AdminServer::bind(args.admin.admin_addr).await?;
    let listener = tokio::net::TcpListener::bind(args.listen_addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen_addr))?;
    let listen = listener
        .local_addr()
        .with_context(|| format!("cannot read the address bound for {}", args.listen_addr))?;
    let admin_addr = admin.local_addr();
    tracing::info!(region = %args.ecs.region, %listen, admin = %admin_addr, "ecs-gateway started");

    readiness.set(true);
    let stopping = lifecycle::not_ready_on_shutdown(&shutdown, readiness.clone());
    let grpc = server::serve(
        listener,
        service,
        tls,
        readiness.clone(),
        insecure,
        stopping,
    );
    lifecycle::serve_until_drained(admin, registry, readiness, &shutdown, grpc).await?;
    tracing::info!("ecs-gateway stopped");
    Ok(())
}

async fn authenticator(args: &Args, metrics: Metrics) -> anyhow::Result<Authenticator> {
    let security = &args.security;
    if security.insecure_dev_mode {
        return Ok(Authenticator::insecure_dev(metrics));
    }

    let Some(path) = &security.allow_list_file else {
        bail!("--allow-list-file is required unless --insecure-dev-mode is set");
    };
    let allow_list = AllowList::from_file(path)?;
    if allow_list.is_empty() {
        tracing::warn!(path = %path.display(), "the allow-list is empty: every call is refused");
    }

    let reviewer = if security.token_review {
        let client = service_runtime::kube_client::client(&args.kube).await?;
        let kube = KubeTokenReviewer::new(client, security.token_audiences.clone());
        let cached = CachedReviewer::new(Arc::new(kube), security.token_cache_ttl);
        Some(Arc::new(cached) as Arc<dyn TokenReviewer>)
    } else {
        None
    };
    Ok(Authenticator::new(allow_list, reviewer, metrics))
}

fn tls_config(security: &SecurityArgs) -> anyhow::Result<Option<ServerTlsConfig>> {
    if security.insecure_dev_mode {
        return Ok(None);
    }
    let (Some(cert), Some(key)) = (&security.tls_cert_file, &security.tls_key_file) else {
        bail!("--tls-cert-file and --tls-key-file are required unless --insecure-dev-mode is set");
    };
    if security.tls_client_ca_file.is_none() && !security.token_review {
        bail!("callers cannot authenticate: set --tls-client-ca-file, --token-review, or both");
    }

    let files = TlsFiles {
        cert: cert.clone(),
        key: key.clone(),
        client_ca: security.tls_client_ca_file.clone(),
        require_client_cert: security.tls_require_client_cert,
    };
    Ok(Some(files.server_config()?))
}

async fn ecs_client(ecs: &EcsArgs, metrics: &Metrics) -> anyhow::Result<EcsClient> {
    let endpoint = match &ecs.ecs_endpoint {
        Some(url) => Endpoint::url(url)?,
        None if ecs.vpc_endpoint => Endpoint::vpc(&ecs.region),
        None => Endpoint::public(&ecs.region),
    };
    let mut config = ClientConfig::new(endpoint);
    config.request_timeout = ecs.ecs_request_timeout;

    let credentials = credentials(ecs, metrics).await?;
    tracing::info!(source = credentials.name(), "credentials ready");
    Ok(EcsClient::new(config, credentials)?)
}

async fn credentials(
    ecs: &EcsArgs,
    metrics: &Metrics,
) -> anyhow::Result<Arc<dyn CredentialsProvider>> {
    let expiring: Arc<dyn CredentialsProvider> = match ecs.credentials_source {
        CredentialsSource::Env => return Ok(Arc::new(StaticCredentials::from_env()?)),
        CredentialsSource::SecretFile => {
            let paths = SecretFilePaths::in_dir(&ecs.credentials_dir);
            return Ok(Arc::new(SecretFileCredentials::new(paths).await?));
        }
        CredentialsSource::InstanceRole => {
            Arc::new(InstanceRoleCredentials::new(InstanceRoleConfig::default())?)
        }
        CredentialsSource::Oidc => Arc::new(OidcRoleCredentials::new(OidcRoleConfig::from_env()?)?),
    };

    let refreshes = metrics.clone();
    let options = CacheOptions {
        listener: Some(Arc::new(move |event| {
            refreshes.credential_refresh(event.provider, event.outcome.as_str());
        })),
        ..CacheOptions::default()
    };
    Ok(CachingProvider::start(expiring, options).await?)
}
