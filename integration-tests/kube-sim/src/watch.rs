//! Watch streams: newline-delimited `{"type", "object"}` events over a chunked response.
//!
//! A watch starts from a resourceVersion (replaying retained history after it), or with
//! synthetic ADDED events for the current state when none is given. Events are filtered by
//! namespace and selectors the way the watch cache does it: an object that stops matching is
//! sent as DELETED and one that starts matching as ADDED. Bookmarks carry the newest
//! resourceVersion seen, which may belong to an event of another resource.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use crate::error::{Error, Result};
use crate::handlers::{Request, present};
use crate::meta;
use crate::resources::ResourceDescriptor;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::server::App;
use crate::store::{Change, ChangeType};
use crate::tables;

/// Default lifetime of a watch when the client sets no `timeoutSeconds`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

/// What decides which events a watcher receives and how they look.
struct Filter {
    desc: ResourceDescriptor,
    namespace: String,
    labels: LabelSelector,
    fields: FieldSelector,
    table: bool,
    include_object: String,
}

impl Filter {
    fn matches(&self, obj: &Value) -> bool {
        (self.namespace.is_empty() || meta::namespace(obj) == self.namespace)
            && self.labels.matches(obj)
            && self.fields.matches(obj)
    }

    /// The event a change becomes for this watcher, if any.
    fn translate(&self, change: &Change) -> Option<(&'static str, Value)> {
        if change.resource != self.desc.key() {
            return None;
        }
        let now = self.matches(&change.object);
        let before = change.previous.as_ref().is_some_and(|p| self.matches(p));
        let kind = match change.kind {
            ChangeType::Added if now => "ADDED",
            ChangeType::Modified if now && before => "MODIFIED",
            ChangeType::Modified if now => "ADDED",
            ChangeType::Modified if before => "DELETED",
            ChangeType::Deleted if before || now => "DELETED",
            _ => return None,
        };
        Some((kind, change.object.clone()))
    }
}

pub fn serve(app: Arc<App>, req: Request) -> Response {
    match start(app, &req) {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

fn start(app: Arc<App>, req: &Request) -> Result<Response> {
    let filter = Filter {
        desc: req.desc.clone(),
        namespace: req.path.namespace.clone(),
        labels: LabelSelector::parse(&req.params.label_selector)?,
        fields: FieldSelector::for_resource(&req.params.field_selector, &req.desc)?,
        table: tables::wants_table(req.header("accept")),
        include_object: req.params.include_object.clone(),
    };
    let requested = req.params.resource_version_number()?;
    let (tx, body_rx) = mpsc::channel::<std::result::Result<Bytes, Infallible>>(256);
    let (backlog, live, last_rv) = {
        let state = app.store.lock();
        let current = state.current_rv();
        let backlog = match requested {
            None | Some(0) => {
                initial_events(&state, &filter, req.params.send_initial_events, current)
            }
            Some(rv) => match state.changes_after(rv) {
                Ok(changes) => changes.iter().filter_map(|c| filter.translate(c)).collect(),
                Err(err) => vec![("ERROR", err.to_status())],
            },
        };
        (backlog, state.subscribe(), current)
    };
    let timeout = req
        .params
        .timeout_seconds
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TIMEOUT);
    let watcher = Watcher {
        filter,
        tx,
        live,
        last_rv,
        bookmarks: req
            .params
            .allow_bookmarks
            .then_some(app.config.bookmark_interval),
        first: true,
    };
    tokio::spawn(watcher.run(backlog, timeout, app.shutdown.clone()));
    let body = Body::from_stream(ReceiverStream::new(body_rx));
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// Synthetic ADDED events for the current state, plus the initial-events-end bookmark when
/// the client asked for `sendInitialEvents`.
fn initial_events(
    state: &crate::store::State,
    filter: &Filter,
    send_initial: bool,
    rv: u64,
) -> Vec<(&'static str, Value)> {
    let collection = state.collection(&filter.desc.key());
    let objects = collection
        .into_iter()
        .flat_map(|c| c.values())
        .filter(|o| filter.matches(o));
    let mut events: Vec<(&'static str, Value)> = objects.map(|o| ("ADDED", o.clone())).collect();
    if send_initial {
        let mut bookmark = bookmark_object(&filter.desc, rv);
        bookmark["metadata"]["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        events.push(("BOOKMARK", bookmark));
    }
    events
}

fn bookmark_object(desc: &ResourceDescriptor, rv: u64) -> Value {
    let metadata = json!({"resourceVersion": rv.to_string()});
    json!({"kind": desc.kind, "apiVersion": desc.api_version(), "metadata": metadata})
}

struct Watcher {
    filter: Filter,
    tx: mpsc::Sender<std::result::Result<Bytes, Infallible>>,
    live: broadcast::Receiver<Arc<Change>>,
    last_rv: u64,
    bookmarks: Option<Duration>,
    first: bool,
}

impl Watcher {
    async fn run(
        mut self,
        backlog: Vec<(&'static str, Value)>,
        timeout: Duration,
        shutdown: tokio_util::sync::CancellationToken,
    ) {
        for (kind, obj) in backlog {
            let ends = kind == "ERROR";
            if !self.send(kind, obj).await || ends {
                return;
            }
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let period = self.bookmarks.unwrap_or(Duration::from_secs(3600));
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            tokio::select! {
                received = self.live.recv() => {
                    if !self.on_change(received).await {
                        return;
                    }
                }
                _ = ticker.tick(), if self.bookmarks.is_some() => {
                    let bookmark = bookmark_object(&self.filter.desc, self.last_rv);
                    if !self.send("BOOKMARK", bookmark).await {
                        return;
                    }
                }
                _ = &mut deadline => return,
                _ = shutdown.cancelled() => return,
                _ = self.tx.closed() => return,
            }
        }
    }

    /// Returns false when the stream must end.
    async fn on_change(
        &mut self,
        received: std::result::Result<Arc<Change>, broadcast::error::RecvError>,
    ) -> bool {
        match received {
            Ok(change) => {
                self.last_rv = change.rv;
                match self.filter.translate(&change) {
                    Some((kind, obj)) => self.send(kind, obj).await,
                    None => true,
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {
                let err = Error::Gone(
                    "the watch fell behind the event stream; restart it from a list".into(),
                );
                self.send("ERROR", err.to_status()).await;
                false
            }
            Err(broadcast::error::RecvError::Closed) => false,
        }
    }

    async fn send(&mut self, kind: &str, obj: Value) -> bool {
        let object = match kind {
            "ERROR" | "BOOKMARK" => obj,
            _ => self.shape(obj),
        };
        let mut line = json!({"type": kind, "object": object})
            .to_string()
            .into_bytes();
        line.push(b'\n');
        self.tx.send(Ok(Bytes::from(line))).await.is_ok()
    }

    fn shape(&mut self, obj: Value) -> Value {
        let obj = present(&self.filter.desc, obj);
        if !self.filter.table {
            return obj;
        }
        let rv = meta::resource_version(&obj).to_string();
        let table = tables::table(
            &self.filter.desc,
            &[obj],
            &rv,
            &self.filter.include_object,
            self.first,
        );
        self.first = false;
        table
    }
}
