//! Admission of ECS requests: account-wide and per-action rate limits (governor), weighted fair
//! sharing between callers, adaptive slow-down on throttling, and a bounded wait queue that
//! refuses at once when it is full or when the expected wait would overrun the caller's
//! deadline.
//!
//! # Flow
//! [`Scheduler::acquire`] queues a [`Ticket`] in the [`fair_queue::FairQueue`]; one dispatcher
//! task takes the fairest request whose action limiter has a token, waits for the account
//! limiter and the adaptive pace, and wakes it. Every ECS attempt (retries included) goes
//! through `acquire`, so retries are rate-limited like first attempts.
//!
//! # Caveats
//! The expected wait is an estimate (requests ahead of this one at the current effective rate);
//! a caller can still time out while waiting if ECS slows the gateway down meanwhile. A caller
//! that gives up leaves the queue at the next dispatch; its action token may be spent.

pub mod adaptive;
pub mod config;
pub mod fair_queue;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{Notify, oneshot};

use crate::metrics::Metrics;
use adaptive::AdaptiveRate;
pub use config::LimitsConfig;
use fair_queue::FairQueue;

/// Who asks, for what, and until when.
#[derive(Debug, Clone)]
pub struct Ticket {
    /// Caller identity (fairness key).
    pub caller: String,
    /// Caller's fairness weight, at least 1.
    pub weight: u32,
    /// ECS action about to be called.
    pub action: &'static str,
    /// When the caller stops waiting for the answer, if it said.
    pub deadline: Option<Instant>,
}

/// Why a request was refused without waiting.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    /// The queue holds `capacity` requests already.
    #[error("the gateway's wait queue is full ({capacity} requests); retry after {retry_after:?}")]
    QueueFull {
        capacity: usize,
        retry_after: Duration,
    },
    /// This caller has `capacity` requests waiting already.
    #[error(
        "this caller already has {capacity} requests waiting, its share of the gateway's queue; \
         retry after {retry_after:?}"
    )]
    CallerQueueFull {
        capacity: usize,
        retry_after: Duration,
    },
    /// The expected wait is longer than the time left before the caller's deadline.
    #[error(
        "the expected wait of {expected_wait:?} for ECS {action} exceeds the {remaining:?} left \
         before the caller's deadline"
    )]
    DeadlineTooShort {
        action: &'static str,
        expected_wait: Duration,
        remaining: Duration,
    },
    /// The scheduler is shutting down.
    #[error("the gateway is shutting down")]
    ShuttingDown,
}

/// Rate-limit admission for every ECS request of the process.
#[derive(Debug)]
pub struct Scheduler {
    shared: Arc<Shared>,
    dispatcher: tokio::task::JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    config: LimitsConfig,
    state: Mutex<State>,
    wakeup: Notify,
    account: DefaultDirectRateLimiter,
    metrics: Metrics,
}

#[derive(Debug)]
struct State {
    queue: FairQueue<Waiter>,
    actions: HashMap<&'static str, DefaultDirectRateLimiter>,
    adaptive: AdaptiveRate,
    last_dispatch: Option<Instant>,
}

#[derive(Debug)]
struct Waiter {
    wake: oneshot::Sender<()>,
}

impl Scheduler {
    /// Starts the dispatcher on the current tokio runtime.
    ///
    /// # Errors
    /// The configuration's own validation message.
    pub fn start(config: LimitsConfig, metrics: Metrics) -> Result<Self, String> {
        config.validate()?;
        let account = RateLimiter::direct(quota(config.account_rate, config.account_burst));
        let state = State {
            queue: FairQueue::default(),
            actions: HashMap::new(),
            adaptive: AdaptiveRate::new(config.adaptive, Instant::now()),
            last_dispatch: None,
        };

        let shared = Arc::new(Shared {
            config,
            state: Mutex::new(state),
            wakeup: Notify::new(),
            account,
            metrics,
        });
        let dispatcher = tokio::spawn(dispatch(Arc::clone(&shared)));
        Ok(Self { shared, dispatcher })
    }

    /// Waits until `ticket` may call ECS, or refuses at once. Returns how long it waited.
    pub async fn acquire(&self, ticket: &Ticket) -> Result<Duration, Rejection> {
        let enqueued_at = Instant::now();
        let woken = self.enqueue(ticket, enqueued_at)?;

        woken.await.map_err(|_| Rejection::ShuttingDown)?;
        let waited = enqueued_at.elapsed();
        self.shared
            .metrics
            .queue_waited(ticket.action, waited.as_secs_f64());
        Ok(waited)
    }

    /// Records a throttling answer from ECS: the adaptive rate goes down.
    pub fn on_throttled(&self, action: &'static str) {
        let mut state = self.shared.lock();
        let now = Instant::now();
        if state.adaptive.on_throttled(now) {
            let fraction = state.adaptive.fraction(now);
            tracing::warn!(action, fraction, "ECS throttles; slowing down");
        }
        self.shared.metrics.throttled(action);
        self.shared
            .metrics
            .set_rate_fraction(state.adaptive.fraction(now));
    }

    /// The fraction of the account rate in use now (1 = full).
    pub fn rate_fraction(&self) -> f64 {
        self.shared.lock().adaptive.fraction(Instant::now())
    }

    fn enqueue(&self, ticket: &Ticket, now: Instant) -> Result<oneshot::Receiver<()>, Rejection> {
        let mut state = self.shared.lock();
        let capacity = self.shared.config.queue_capacity;
        if state.queue.len() >= capacity {
            let waiting = state.queue.len();
            let retry_after = self.shared.drain_time(&mut state, waiting, now);
            self.shared.metrics.admission_rejected("queue_full");
            return Err(Rejection::QueueFull {
                capacity,
                retry_after,
            });
        }
        let own = state.queue.caller_len(&ticket.caller);
        let share = self.shared.config.caller_queue_capacity;
        if own >= share {
            let retry_after = self.shared.drain_time(&mut state, own, now);
            self.shared.metrics.admission_rejected("caller_queue_full");
            return Err(Rejection::CallerQueueFull {
                capacity: share,
                retry_after,
            });
        }

        if let Some(deadline) = ticket.deadline {
            self.check_deadline(&mut state, ticket, deadline, now)?;
        }

        let (wake, woken) = oneshot::channel();
        state.queue.push(
            &ticket.caller,
            ticket.weight,
            ticket.action,
            Waiter { wake },
        );
        self.shared.metrics.set_queue_depth(state.queue.len());
        self.shared.wakeup.notify_one();
        Ok(woken)
    }

    fn check_deadline(
        &self,
        state: &mut State,
        ticket: &Ticket,
        deadline: Instant,
        now: Instant,
    ) -> Result<(), Rejection> {
        let tag = state.queue.next_tag(&ticket.caller);
        let (ahead, same_action) = state.queue.ahead_of(tag, ticket.action);
        let by_account = self.shared.drain_time(state, ahead, now);
        let action_rate = self.shared.config.action_rate(ticket.action);
        let by_action = Duration::from_secs_f64(same_action as f64 / action_rate);
        let expected_wait = by_account.max(by_action);

        let remaining = deadline.saturating_duration_since(now);
        if expected_wait < remaining {
            return Ok(());
        }
        self.shared.metrics.admission_rejected("deadline_too_short");
        Err(Rejection::DeadlineTooShort {
            action: ticket.action,
            expected_wait,
            remaining,
        })
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.dispatcher.abort();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Time to send `requests` requests at the effective account rate; the burst is not
    /// counted, so this errs long.
    fn drain_time(&self, state: &mut State, requests: usize, now: Instant) -> Duration {
        let rate = self.config.account_rate * state.adaptive.fraction(now);
        Duration::from_secs_f64(requests as f64 / rate)
    }

    /// Takes the next request to wake, or says how long to wait for one.
    fn next(&self) -> Next {
        let mut state = self.lock();
        state.queue.retain(|waiter| !waiter.wake.is_closed());

        let mut earliest: Option<Duration> = None;
        let State { queue, actions, .. } = &mut *state;
        let entry = queue.pop_ready(|action| {
            let limiter = actions
                .entry(action)
                .or_insert_with(|| RateLimiter::direct(quota(self.config.action_rate(action), 1)));
            match limiter.check() {
                Ok(()) => true,
                Err(not_until) => {
                    let wait = not_until.wait_time_from(DefaultClock::default().now());
                    earliest = Some(earliest.map_or(wait, |e| e.min(wait)));
                    false
                }
            }
        });
        self.metrics.set_queue_depth(state.queue.len());

        match (entry, earliest) {
            (Some(entry), _) => Next::Wake(entry.payload),
            (None, Some(wait)) => Next::Sleep(wait),
            (None, None) => Next::Idle,
        }
    }

    /// The extra spacing the adaptive slow-down asks for before the next dispatch.
    fn pace(&self) -> Duration {
        let mut state = self.lock();
        let now = Instant::now();
        let fraction = state.adaptive.fraction(now);
        self.metrics.set_rate_fraction(fraction);
        if fraction >= 1.0 {
            return Duration::ZERO;
        }

        let interval = config::period(self.config.account_rate * fraction);
        let next_allowed = state.last_dispatch.map_or(now, |last| last + interval);
        next_allowed.saturating_duration_since(now)
    }

    fn dispatched(&self) {
        self.lock().last_dispatch = Some(Instant::now());
    }
}

enum Next {
    Wake(Waiter),
    Sleep(Duration),
    Idle,
}

async fn dispatch(shared: Arc<Shared>) {
    loop {
        let notified = shared.wakeup.notified();
        match shared.next() {
            Next::Wake(waiter) => {
                shared.account.until_ready().await;
                tokio::time::sleep(shared.pace()).await;
                shared.dispatched();
                let _gave_up = waiter.wake.send(());
            }
            Next::Sleep(wait) => {
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = notified => {}
                }
            }
            Next::Idle => notified.await,
        }
    }
}

fn quota(rate: f64, burst: u32) -> Quota {
    let burst = std::num::NonZeroU32::new(burst.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
    Quota::with_period(config::period(rate))
        .unwrap_or_else(|| Quota::per_second(std::num::NonZeroU32::MAX))
        .allow_burst(burst)
}

#[cfg(test)]
mod tests;
