//! Handlers of the admin API.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::types::*;
use crate::config::{
    AccessKey, AccountSettings, CredentialIssuing, Quotas, SimConfig, Throttling, Timing,
};
use crate::counters::CallCounters;
use crate::error::Error;
use crate::faults::FaultRule;
use crate::model::{DiskSeed, InstanceSeed};
use crate::oidc::{self, Audience, Claims};
use crate::sim::{Sim, lock};
use crate::throttle::Throttler;
use crate::timeline::{ClockMove, MAX_EVENTS_PER_MOVE};

type AppState = State<Arc<Sim>>;

pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/_sim/health", get(|| async { "ok" }))
        .route("/_sim/clock", get(clock))
        .route("/_sim/clock/advance", post(advance))
        .route("/_sim/clock/set", post(set_clock))
        .route("/_sim/state", get(state))
        .route("/_sim/instances", put(put_instance))
        .route("/_sim/instances/{id}/status", post(instance_status))
        .route("/_sim/disks", put(put_disk))
        .route("/_sim/disks/{id}", delete(delete_disk))
        .route("/_sim/counters", get(counters).delete(reset_counters))
        .route("/_sim/settings/account", get(get_account).put(put_account))
        .route("/_sim/settings/quotas", get(get_quotas).put(put_quotas))
        .route("/_sim/settings/timing", get(get_timing).put(put_timing))
        .route("/_sim/settings/regions", get(get_regions).put(put_regions))
        .route(
            "/_sim/settings/throttling",
            get(get_throttling).put(put_throttling),
        )
        .route("/_sim/settings/faults", get(get_faults).put(put_faults))
        .route("/_sim/settings/access-keys", get(get_keys).put(put_keys))
        .route(
            "/_sim/settings/credentials",
            get(get_credentials).put(put_credentials),
        )
        .route("/_sim/oidc/token", post(mint_token))
        .route("/_sim/sts/credentials", post(sts_credentials))
        .fallback(|| async { refuse(StatusCode::NOT_FOUND, "no such admin endpoint") })
        .with_state(sim)
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        Json(AdminError {
            error: message.into(),
        }),
    )
        .into_response()
}

fn ok<T: Serialize>(value: T) -> Response {
    Json(value).into_response()
}

/// A JSON body; one that does not fit is answered 400 with serde's explanation (which names
/// the field and position), in the admin API's error shape.
struct JsonBody<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|err| refuse(StatusCode::BAD_REQUEST, format!("invalid JSON body: {err}")))
    }
}

fn invalid(err: Error) -> Response {
    refuse(StatusCode::BAD_REQUEST, err.to_string())
}

async fn clock(State(sim): AppState) -> Response {
    ok(ClockNow { now: sim.now() })
}

async fn advance(State(sim): AppState, JsonBody(request): JsonBody<AdvanceClock>) -> Response {
    let mut world = lock(&sim.world);
    let seconds = i64::try_from(request.seconds).map(SignedDuration::from_secs);
    let Some(target) = seconds.ok().and_then(|s| world.now.checked_add(s).ok()) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "seconds moves the clock out of range",
        );
    };
    let moved = world.advance_to(target);
    clock_moved(world.now, target, moved)
}

async fn set_clock(State(sim): AppState, JsonBody(request): JsonBody<SetClock>) -> Response {
    let mut world = lock(&sim.world);
    if request.now < world.now {
        let message = format!(
            "the clock cannot go back from {} to {}",
            world.now, request.now
        );
        return refuse(StatusCode::BAD_REQUEST, message);
    }
    let moved = world.advance_to(request.now);
    clock_moved(world.now, request.now, moved)
}

/// Answers a clock move; one stopped by the event limit is a 409 that says where it stopped.
fn clock_moved(now: Timestamp, target: Timestamp, moved: ClockMove) -> Response {
    if moved.complete {
        return ok(ClockMoved {
            now,
            events: moved.events,
        });
    }
    let message = format!(
        "moving the clock to {target} runs more than {MAX_EVENTS_PER_MOVE} events; it stopped \
         at {now} after {} events: move it again, in smaller steps",
        moved.events.len()
    );
    refuse(StatusCode::CONFLICT, message)
}

async fn state(State(sim): AppState) -> Response {
    let world = lock(&sim.world);
    let snapshots = world
        .snapshots
        .values()
        .map(|s| SnapshotState {
            snapshot: s.clone(),
            status: s.status(world.now).to_owned(),
        })
        .collect();
    ok(StateDump {
        now: world.now,
        instances: world.instances.values().cloned().collect(),
        disks: world.disks.values().cloned().collect(),
        policies: world.policies.values().cloned().collect(),
        snapshots,
        groups: world.groups.values().cloned().collect(),
    })
}

async fn put_instance(State(sim): AppState, JsonBody(seed): JsonBody<InstanceSeed>) -> Response {
    match lock(&sim.world).put_instance(seed) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => invalid(err),
    }
}

async fn instance_status(
    State(sim): AppState,
    Path(id): Path<String>,
    JsonBody(change): JsonBody<InstanceStatusChange>,
) -> Response {
    match lock(&sim.world).set_instance_status(&id, change.status) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => refuse(StatusCode::NOT_FOUND, err.to_string()),
    }
}

async fn put_disk(State(sim): AppState, JsonBody(seed): JsonBody<DiskSeed>) -> Response {
    match lock(&sim.world).put_disk(seed) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => invalid(err),
    }
}

/// Releases a disk; its snapshots stay (ECS keeps `SourceDiskId` after a disk is released).
async fn delete_disk(State(sim): AppState, Path(id): Path<String>) -> Response {
    match lock(&sim.world).disks.remove(&id) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => refuse(StatusCode::NOT_FOUND, format!("no disk {id}")),
    }
}

async fn counters(State(sim): AppState) -> Response {
    ok(lock(&sim.counters).clone())
}

async fn reset_counters(State(sim): AppState) -> Response {
    *lock(&sim.counters) = CallCounters::default();
    StatusCode::NO_CONTENT.into_response()
}

/// GET and PUT for one settings section stored in the world.
macro_rules! world_setting {
    ($get:ident, $put:ident, $ty:ty, $field:ident, $check:expr) => {
        async fn $get(State(sim): AppState) -> Response {
            ok(lock(&sim.world).settings.$field.clone())
        }

        async fn $put(State(sim): AppState, JsonBody(value): JsonBody<$ty>) -> Response {
            let check: fn(&$ty) -> Result<(), Error> = $check;
            if let Err(err) = check(&value) {
                return invalid(err);
            }
            lock(&sim.world).settings.$field = value;
            StatusCode::NO_CONTENT.into_response()
        }
    };
}

world_setting!(get_account, put_account, AccountSettings, account, |_| Ok(
    ()
));
world_setting!(get_quotas, put_quotas, Quotas, quotas, |q| {
    SimConfig {
        quotas: q.clone(),
        ..SimConfig::default()
    }
    .validate()
});
world_setting!(get_timing, put_world_timing, Timing, timing, |t| {
    SimConfig {
        timing: t.clone(),
        ..SimConfig::default()
    }
    .validate()
});
world_setting!(get_regions, put_regions, Vec<String>, regions, |r| {
    SimConfig {
        regions: r.clone(),
        ..SimConfig::default()
    }
    .validate()
});

/// Timing is shared by the world (snapshot duration) and the authenticator (skew window).
async fn put_timing(state: AppState, JsonBody(timing): JsonBody<Timing>) -> Response {
    let skew = timing.max_timestamp_skew_seconds;
    let sim = state.0.clone();
    let response = put_world_timing(state, JsonBody(timing)).await;
    if response.status().is_success() {
        lock(&sim.auth).set_max_skew(skew);
    }
    response
}

async fn get_throttling(State(sim): AppState) -> Response {
    ok(lock(&sim.throttler).config().clone())
}

async fn put_throttling(State(sim): AppState, JsonBody(value): JsonBody<Throttling>) -> Response {
    let candidate = SimConfig {
        throttling: value.clone(),
        ..SimConfig::default()
    };
    if let Err(err) = candidate.validate() {
        return invalid(err);
    }
    *lock(&sim.throttler) = Throttler::new(value);
    StatusCode::NO_CONTENT.into_response()
}

async fn get_faults(State(sim): AppState) -> Response {
    ok(lock(&sim.faults).rules().to_vec())
}

async fn put_faults(State(sim): AppState, JsonBody(rules): JsonBody<Vec<FaultRule>>) -> Response {
    let candidate = SimConfig {
        faults: rules.clone(),
        ..SimConfig::default()
    };
    if let Err(err) = candidate.validate() {
        return invalid(err);
    }
    lock(&sim.faults).set_rules(rules);
    StatusCode::NO_CONTENT.into_response()
}

async fn get_keys(State(sim): AppState) -> Response {
    ok(lock(&sim.auth).access_keys())
}

async fn put_keys(State(sim): AppState, JsonBody(keys): JsonBody<Vec<AccessKey>>) -> Response {
    let candidate = SimConfig {
        access_keys: keys.clone(),
        ..SimConfig::default()
    };
    if let Err(err) = candidate.validate() {
        return invalid(err);
    }
    lock(&sim.auth).set_access_keys(&keys);
    StatusCode::NO_CONTENT.into_response()
}

async fn get_credentials(State(sim): AppState) -> Response {
    ok(lock(&sim.credentials).clone())
}

async fn put_credentials(
    State(sim): AppState,
    JsonBody(value): JsonBody<CredentialIssuing>,
) -> Response {
    *lock(&sim.credentials) = value;
    StatusCode::NO_CONTENT.into_response()
}

async fn mint_token(
    State(sim): AppState,
    JsonBody(request): JsonBody<OidcTokenRequest>,
) -> Response {
    let Some(trust) = lock(&sim.credentials).oidc.clone() else {
        return refuse(StatusCode::CONFLICT, "no OIDC provider is configured");
    };
    let now = sim.now().as_second();
    let claims = Claims {
        iss: request.issuer.unwrap_or(trust.issuer),
        sub: request
            .subject
            .unwrap_or_else(|| "system:serviceaccount:kube-system:ecs-gateway".into()),
        aud: Audience::One(request.audience.unwrap_or(trust.audience)),
        exp: now.saturating_add(request.ttl_seconds.unwrap_or(3600).min(i64::MAX as u64) as i64),
        iat: now,
    };
    ok(OidcToken {
        token: oidc::mint(&trust.hmac_key, &claims),
    })
}

async fn sts_credentials(
    State(sim): AppState,
    JsonBody(request): JsonBody<StsRequest>,
) -> Response {
    let seconds = request.duration_seconds.min(i64::MAX as u64) as i64;
    let credential = sim.issue_sts(&request.role_arn, SignedDuration::from_secs(seconds));
    ok(StsCredentials {
        access_key_id: credential.access_key_id,
        access_key_secret: credential.access_key_secret,
        security_token: credential.security_token,
        expiration: credential.expiration,
    })
}
