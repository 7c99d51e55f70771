//! What every RPC does around its own work: authenticate and authorize, read the caller's
//! deadline, run the action, count the result.

use std::future::Future;
use std::time::{Duration, Instant};

use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use super::GatewayService;
use crate::backend::{CallContext, EcsBackend, Repeat};

/// Metric label for calls refused before the caller was known.
const UNKNOWN_CALLER: &str = "unknown";

impl<B: EcsBackend> GatewayService<B> {
    /// Runs `body` for an authorized caller of `rpc` and records the outcome.
    pub(super) async fn handle<Req, Resp, F, Fut>(
        &self,
        request: Request<Req>,
        rpc: &'static str,
        repeat: Repeat,
        body: F,
    ) -> Result<Response<Resp>, Status>
    where
        F: FnOnce(CallContext, Req) -> Fut,
        Fut: Future<Output = Result<Resp, Status>>,
    {
        let (caller, result) = match self.begin(&request, rpc, repeat).await {
            Ok(call) => (call.caller.clone(), body(call, request.into_inner()).await),
            Err(status) => (UNKNOWN_CALLER.to_string(), Err(status)),
        };

        let code = result
            .as_ref()
            .map_or_else(Status::code, |_| tonic::Code::Ok);
        self.metrics.rpc_finished(rpc, &caller, code);
        if let Err(status) = &result {
            let message = status.message();
            tracing::debug!(rpc, caller, code = ?status.code(), message, "RPC failed");
        }
        result.map(Response::new)
    }

    async fn begin<T>(
        &self,
        request: &Request<T>,
        rpc: &'static str,
        repeat: Repeat,
    ) -> Result<CallContext, Status> {
        let caller = self.auth.authorize(request, rpc).await?;
        let deadline = deadline(request.metadata(), Instant::now());
        Ok(CallContext {
            rpc,
            caller: caller.identity,
            weight: caller.weight,
            deadline,
            repeat,
        })
    }
}

/// The caller's deadline from the `grpc-timeout` header (`<digits><H|M|S|m|u|n>`); `None` when
/// absent or malformed (tonic itself rejects malformed values before the handler runs).
pub fn deadline(metadata: &MetadataMap, now: Instant) -> Option<Instant> {
    let text = metadata.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    let amount: u64 = digits.parse().ok()?;

    let timeout = match unit {
        "H" => Duration::from_secs(amount.checked_mul(3600)?),
        "M" => Duration::from_secs(amount.checked_mul(60)?),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    };
    now.checked_add(timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_timeout(value: &str) -> MetadataMap {
        let mut metadata = MetadataMap::new();
        metadata.insert("grpc-timeout", value.parse().unwrap());
        metadata
    }

    #[test]
    fn reads_every_grpc_timeout_unit() {
        let now = Instant::now();
        let cases = [
            ("2H", Duration::from_secs(7200)),
            ("3M", Duration::from_secs(180)),
            ("5S", Duration::from_secs(5)),
            ("250m", Duration::from_millis(250)),
            ("100u", Duration::from_micros(100)),
            ("7n", Duration::from_nanos(7)),
        ];

        for (text, expected) in cases {
            assert_eq!(
                deadline(&with_timeout(text), now),
                Some(now + expected),
                "{text}"
            );
        }
    }

    #[test]
    fn ignores_missing_or_malformed_timeouts() {
        let now = Instant::now();

        assert_eq!(deadline(&MetadataMap::new(), now), None);
        assert_eq!(deadline(&with_timeout("soon"), now), None);
        assert_eq!(deadline(&with_timeout("10x"), now), None);
        assert_eq!(deadline(&with_timeout("S"), now), None);
    }
}
