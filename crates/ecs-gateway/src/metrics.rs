//! The gateway's Prometheus metrics. Every label value is bounded: RPC and ECS action names
//! (fixed sets), gRPC code names, result kinds, and caller identities from the allow-list
//! (callers not on it are counted as `unknown`).
//!
//! All metrics start at process start and are never reset.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// Buckets of the ECS latency histogram, seconds: ECS answers in tens to hundreds of
/// milliseconds; the upper buckets catch timeouts.
pub const ECS_LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Buckets of the queue wait histogram, seconds: near zero when idle, up to the longest
/// deadlines callers use under overload.
pub const QUEUE_WAIT_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0,
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RpcLabels {
    rpc: &'static str,
    caller: String,
    code: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionResultLabels {
    action: &'static str,
    result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefreshLabels {
    provider: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReloadLabels {
    file: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// Every metric the gateway exports.
#[derive(Debug, Clone)]
pub struct Metrics {
    rpc_calls: Family<RpcLabels, Counter>,
    ecs_requests: Family<ActionResultLabels, Counter>,
    ecs_latency: Family<ActionLabels, Histogram>,
    queue_wait: Family<ActionLabels, Histogram>,
    queue_depth: Gauge,
    admission_rejections: Family<ReasonLabels, Counter>,
    throttling_events: Family<ActionLabels, Counter>,
    retries: Family<ActionLabels, Counter>,
    rate_fraction: Gauge<f64, AtomicU64>,
    auth_failures: Family<ReasonLabels, Counter>,
    credential_refreshes: Family<RefreshLabels, Counter>,
    config_reloads: Family<ReloadLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            rpc_calls: Family::default(),
            ecs_requests: Family::default(),
            ecs_latency: Family::new_with_constructor(|| Histogram::new(ECS_LATENCY_BUCKETS)),
            queue_wait: Family::new_with_constructor(|| Histogram::new(QUEUE_WAIT_BUCKETS)),
            queue_depth: Gauge::default(),
            admission_rejections: Family::default(),
            throttling_events: Family::default(),
            retries: Family::default(),
            rate_fraction: Gauge::default(),
            auth_failures: Family::default(),
            credential_refreshes: Family::default(),
            config_reloads: Family::default(),
        }
    }
}

impl Metrics {
    /// Registers every metric under the `ecs_gateway` prefix.
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("ecs_gateway");
        r.register(
            "rpc_calls",
            "gRPC calls finished, by RPC, caller and gRPC code",
            self.rpc_calls.clone(),
        );
        r.register(
            "ecs_requests",
            "ECS OpenAPI requests sent, by action and result (ok, throttled, transient, ...)",
            self.ecs_requests.clone(),
        );
        r.register(
            "ecs_request_duration_seconds",
            "Latency of single ECS OpenAPI requests (one attempt), by action",
            self.ecs_latency.clone(),
        );
        r.register(
            "queue_wait_seconds",
            "Time a request waited for the rate limiter before being sent to ECS, by action",
            self.queue_wait.clone(),
        );
        r.register(
            "queue_depth",
            "Requests waiting for the rate limiter",
            self.queue_depth.clone(),
        );
        r.register(
            "admission_rejections",
            "Requests refused at once by the rate limiter (queue_full, deadline_too_short)",
            self.admission_rejections.clone(),
        );
        r.register(
            "ecs_throttling_events",
            "Throttling answers from ECS, by action",
            self.throttling_events.clone(),
        );
        r.register(
            "ecs_retries",
            "ECS requests repeated after a failure, by action",
            self.retries.clone(),
        );
        r.register(
            "rate_fraction",
            "Fraction of the configured account rate in use after adaptive slow-down (1 = full)",
            self.rate_fraction.clone(),
        );
        r.register(
            "auth_failures",
            "Calls refused by authentication or authorization, by reason",
            self.auth_failures.clone(),
        );
        r.register(
            "credential_refreshes",
            "Fetches of expiring Alibaba Cloud credentials, by provider and outcome",
            self.credential_refreshes.clone(),
        );
        r.register(
            "config_reloads",
            "Reloads of changed configuration files, by file and outcome (failure keeps the old)",
            self.config_reloads.clone(),
        );
    }

    /// Counts one finished RPC.
    pub fn rpc_finished(&self, rpc: &'static str, caller: &str, code: tonic::Code) {
        let labels = RpcLabels {
            rpc,
            caller: caller.to_string(),
            code: code_name(code),
        };
        self.rpc_calls.get_or_create(&labels).inc();
    }

    /// Records one ECS attempt.
    pub fn ecs_request(&self, action: &'static str, result: &'static str, seconds: f64) {
        self.ecs_requests
            .get_or_create(&ActionResultLabels { action, result })
            .inc();
        self.ecs_latency
            .get_or_create(&ActionLabels { action })
            .observe(seconds);
    }

    /// Records how long a request waited for admission.
    pub fn queue_waited(&self, action: &'static str, seconds: f64) {
        self.queue_wait
            .get_or_create(&ActionLabels { action })
            .observe(seconds);
    }

    /// Sets the number of waiting requests.
    pub fn set_queue_depth(&self, depth: usize) {
        self.queue_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    /// Counts a refusal by the rate limiter.
    pub fn admission_rejected(&self, reason: &'static str) {
        self.admission_rejections
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    /// Counts a throttling answer from ECS.
    pub fn throttled(&self, action: &'static str) {
        self.throttling_events
            .get_or_create(&ActionLabels { action })
            .inc();
    }

    /// Counts a retry.
    pub fn retried(&self, action: &'static str) {
        self.retries.get_or_create(&ActionLabels { action }).inc();
    }

    /// Sets the adaptive rate fraction.
    pub fn set_rate_fraction(&self, fraction: f64) {
        self.rate_fraction.set(fraction);
    }

    /// Counts a credentials fetch.
    pub fn credential_refresh(&self, provider: &'static str, outcome: &'static str) {
        self.credential_refreshes
            .get_or_create(&RefreshLabels { provider, outcome })
            .inc();
    }

    /// Counts a reload of a changed configuration file (`outcome`: success or failure).
    pub fn config_reload(&self, file: &'static str, outcome: &'static str) {
        self.config_reloads
            .get_or_create(&ReloadLabels { file, outcome })
            .inc();
    }

    /// Counts a refused call.
    pub fn auth_failed(&self, reason: &'static str) {
        self.auth_failures
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }
}

/// The canonical upper-snake name of a gRPC code, e.g. `RESOURCE_EXHAUSTED`.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}
