//! The HTTP server: one fallback route that parses the path and dispatches to discovery,
//! OpenAPI or the resource handlers; start-up and graceful shutdown.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::path::{self, Target};
use crate::sa_tokens::{self, IssuedTokens};
use crate::store::Store;
use crate::{auth, discovery, handlers, kubeconfig, openapi, rbac, tls};

/// Shared state of one running simulator.
pub struct App {
    pub store: Store,
    pub config: Config,
    pub shutdown: CancellationToken,
    pub address: SocketAddr,
    /// ServiceAccount tokens issued by TokenRequests and [`SimHandle::service_account_token`].
    pub issued: Arc<IssuedTokens>,
    /// Every RBAC decision (recorded while `Config::rbac` is on).
    pub decisions: Arc<rbac::DecisionLog>,
}

/// A running simulator. Dropping it stops the server.
pub struct SimHandle {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    pub address: SocketAddr,
    /// PEM of the CA that signed the server certificate, when serving TLS.
    pub ca_pem: Option<String>,
    /// Kubeconfig (YAML) pointing at `url`.
    pub kubeconfig: String,
    /// Where the kubeconfig was written, when `Config::kubeconfig_out` was set.
    pub kubeconfig_path: Option<PathBuf>,
    shutdown: CancellationToken,
    issued: Arc<IssuedTokens>,
    decisions: Arc<rbac::DecisionLog>,
    task: Option<JoinHandle<()>>,
    /// Taken when the state has been saved, so it is saved once.
    app: Option<Arc<App>>,
}

impl SimHandle {
    /// A bearer token that authenticates as `system:serviceaccount:NAMESPACE:NAME` (groups
    /// `system:serviceaccounts`, `system:serviceaccounts:NAMESPACE`, `system:authenticated`)
    /// for an hour, as a TokenRequest would issue. The ServiceAccount object need not exist;
    /// RBAC (when on) grants it what bindings naming it grant.
    pub fn service_account_token(&self, namespace: &str, name: &str) -> String {
        let lifetime = Duration::from_secs(sa_tokens::DEFAULT_EXPIRATION_SECONDS as u64);
        self.issued.issue(namespace, name, lifetime).0
    }

    /// A kubeconfig (YAML) for this server that carries `token` instead of the admin token.
    pub fn kubeconfig_for_token(&self, token: &str) -> String {
        kubeconfig::render(&self.url, Some(token), self.ca_pem.as_deref())
    }

    /// A kubeconfig that authenticates as the ServiceAccount (a fresh one-hour token).
    pub fn service_account_kubeconfig(&self, namespace: &str, name: &str) -> String {
        self.kubeconfig_for_token(&self.service_account_token(namespace, name))
    }

    /// Every distinct authorization decision so far, per user (empty unless `Config::rbac`
    /// is on); also served to the admin at [`rbac::DECISIONS_PATH`].
    pub fn authorization_decisions(&self) -> Vec<rbac::AuthorizationDecision> {
        self.decisions.list()
    }

    /// Stops accepting requests, ends open watches, waits for the server to finish and
    /// writes the state file if one is configured (a failure is logged at error level).
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.save_state();
    }

    fn save_state(&mut self) {
        let Some(app) = self.app.take() else { return };
        let Some(path) = &app.config.state_file else {
            return;
        };
        match app.store.lock().save(path) {
            Ok(()) => tracing::info!(path = %path.display(), "kube-sim state saved"),
            Err(err) => {
                let path = path.display();
                tracing::error!(%path, error = %err, "saving kube-sim state failed")
            }
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.shutdown.cancel();
        self.save_state();
    }
}

/// Binds, seeds the default namespaces, writes the kubeconfig if asked, and serves in the
/// background. Errors: the address cannot be bound or the kubeconfig cannot be written.
pub async fn spawn(config: Config) -> Result<SimHandle> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| Error::Io {
            context: format!("cannot listen on {}", config.listen),
            source,
        })?;
    let address = listener.local_addr().map_err(|source| Error::Io {
        context: "cannot read the bound address".into(),
        source,
    })?;
    let tls = if config.tls {
        Some(tls::generate()?)
    } else {
        None
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{address}");
    let ca_pem = tls.as_ref().map(|t| t.ca_pem.clone());
    let kubeconfig = kubeconfig::render(&url, config.bearer_token.as_deref(), ca_pem.as_deref());
    if let Some(path) = &config.kubeconfig_out {
        std::fs::write(path, &kubeconfig).map_err(|source| Error::Io {
            context: format!("cannot write the kubeconfig to {}", path.display()),
            source,
        })?;
    }

    let shutdown = CancellationToken::new();
    let store = Store::new(config.history_limit);
    restore_or_seed(&store, config.state_file.as_deref())?;
    let kubeconfig_path = config.kubeconfig_out.clone();
    let issued = Arc::new(IssuedTokens::default());
    let decisions = Arc::new(rbac::DecisionLog::default());
    let app = Arc::new(App {
        store,
        config,
        shutdown: shutdown.clone(),
        address,
        issued: issued.clone(),
        decisions: decisions.clone(),
    });
    let router = Router::new().fallback(dispatch).with_state(app.clone());
    let stop = shutdown.clone();
    let task = match tls {
        Some(tls) => tokio::spawn(tls::serve(listener, tls.acceptor, router, stop)),
        None => tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
            if let Err(err) = served {
                tracing::error!(error = %err, "kube-sim server stopped with an error");
            }
        }),
    };
    tracing::info!(%url, "kube-sim listening");
    Ok(SimHandle {
        url,
        address,
        ca_pem,
        kubeconfig,
        kubeconfig_path,
        shutdown,
        issued,
        decisions,
        task: Some(task),
        app: Some(app),
    })
}

/// Loads the state file when there is one, else starts with the default namespaces.
fn restore_or_seed(store: &Store, state_file: Option<&std::path::Path>) -> Result<()> {
    let mut state = store.lock();
    let loaded = match state_file {
        Some(path) => state.load(path)?,
        None => false,
    };
    if loaded {
        crate::crd::refresh_registry(&mut state);
    } else {
        handlers::seed_namespaces(&mut state);
    }
    Ok(())
}

async fn dispatch(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = {
        let state = app.store.lock();
        path::parse(uri.path(), &state.registry)
    };
    tracing::debug!(%method, path = uri.path(), "request");
    let public = matches!(target, Target::Version | Target::Healthz);
    let user = match auth::authenticate(&app.config, &app.issued, &headers) {
        Ok(user) => user,
        Err(_) if public => auth::anonymous(),
        Err(err) => return err.into_response(),
    };
    if let Target::Resource(resource) = target {
        return handlers::handle(app, user, method, resource, query, headers, body).await;
    }
    if !public && let Err(err) = authorize_path(&app, &user, &method, uri.path()) {
        return err.into_response();
    }
    if method != Method::GET {
        return Error::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path()))
            .into_response();
    }
    if uri.path() == rbac::DECISIONS_PATH {
        return axum::Json(app.decisions.list()).into_response();
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if target == Target::OpenApiV2 && accept.contains(openapi::V2_PROTOBUF) {
        let headers = [(header::CONTENT_TYPE, openapi::V2_PROTOBUF_RESPONSE)];
        return (StatusCode::OK, headers, openapi::v2_protobuf()).into_response();
    }
    match discovery_document(&app, &target, accept) {
        Some((content_type, doc)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, content_type)],
            axum::Json(doc).into_response().into_body(),
        )
            .into_response(),
        None => Error::UnknownPath.into_response(),
    }
}

/// RBAC for discovery and OpenAPI URLs, when `Config::rbac` asks for it.
fn authorize_path(app: &App, user: &auth::User, method: &Method, path: &str) -> Result<()> {
    if !app.config.rbac {
        return Ok(());
    }
    let request = rbac::RequestAttributes::NonResource(rbac::NonResourceRequest {
        verb: method.as_str().to_ascii_lowercase(),
        path: path.to_string(),
    });
    rbac::authorize(&app.store.lock(), &app.decisions, user, &request)
}

fn discovery_document(app: &App, target: &Target, accept: &str) -> Option<(String, Value)> {
    let state = app.store.lock();
    let registry = &state.registry;
    let json = |v: Value| Some(("application/json".to_string(), v));
    let aggregated = discovery::aggregated_version(accept);
    match (target, aggregated) {
        (Target::Version, _) => json(discovery::version()),
        (Target::Healthz, _) => Some(("text/plain".into(), Value::String("ok".into()))),
        (Target::CoreVersions, Some(v)) => Some((
            discovery::aggregated_content_type(v),
            discovery::aggregated(registry, true, v),
        )),
        (Target::Groups, Some(v)) => Some((
            discovery::aggregated_content_type(v),
            discovery::aggregated(registry, false, v),
        )),
        (Target::CoreVersions, None) => json(discovery::core_versions(&app.address.to_string())),
        (Target::Groups, None) => json(discovery::group_list(registry)),
        (Target::Group(name), _) => json(discovery::group(registry, name)?),
        (Target::GroupVersion { group, version }, _) => {
            json(discovery::resource_list(registry, group, version)?)
        }
        (Target::OpenApiV2, _) => json(openapi::v2_json()),
        (Target::OpenApiV3Index, _) => json(openapi::index(registry)),
        (Target::OpenApiV3 { group, version }, _) => {
            registry.in_group_version(group, version).first()?;
            json(openapi::document(registry, group, version))
        }
        _ => None,
    }
}
