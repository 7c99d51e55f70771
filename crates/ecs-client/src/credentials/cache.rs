//! Keeping expiring credentials fresh without ever making a request wait for, or fail at,
//! the switch to new ones.
//!
//! # Guarantees
//! - A background task refreshes credentials [`CacheOptions::refresh_ahead`] before they
//!   expire (at most half-way through their lifetime), so requests keep using the current
//!   ones, still valid, while the next ones are fetched.
//! - A failed refresh never discards credentials that are still valid: they keep being served
//!   while the task retries with backoff. Only within [`CacheOptions::min_remaining`] of expiry
//!   does a request fetch synchronously, and only when that fails too does it fail.
//! - At most one fetch runs at a time; concurrent requests share its result.
//! - Credentials ECS refused ([`CredentialsProvider::invalidate`]) are never served again.
//! - Credentials without an expiry (AccessKey pairs) are taken from the inner provider on every
//!   call, so a [`super::SecretFileCredentials`] still notices rotated files.
//! - Every fetch is reported through counters and an optional listener.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures::future::BoxFuture;
use jiff::Timestamp;
use tokio::sync::{Mutex, Notify, RwLock};
use tracing::{info, warn};

use super::{Credentials, CredentialsProvider};
use crate::Error;

/// Called after every fetch attempt; turn it into a metric.
pub type RefreshListener = Arc<dyn Fn(&RefreshEvent) + Send + Sync>;

/// How a fetch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    Success,
    Failure,
}

impl RefreshOutcome {
    /// A metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }
}

/// One fetch attempt, as reported to the listener.
#[derive(Debug, Clone)]
pub struct RefreshEvent {
    pub provider: &'static str,
    pub outcome: RefreshOutcome,
    /// Whether the background task (rather than a waiting request) fetched.
    pub background: bool,
    /// Expiry of the credentials now served, if they expire.
    pub expiration: Option<Timestamp>,
}

/// Tuning of [`CachingProvider`].
#[derive(Clone)]
pub struct CacheOptions {
    /// How long before expiry to refresh (capped at half the lifetime). Default 15 min, as the
    /// official SDK does.
    pub refresh_ahead: Duration,
    /// Credentials closer than this to expiry are not served without trying a fetch first.
    /// Default 30 s, to cover clock skew and request time.
    pub min_remaining: Duration,
    /// First delay after a failed background refresh; doubles up to `retry_max`.
    pub retry_initial: Duration,
    pub retry_max: Duration,
    pub listener: Option<RefreshListener>,
}

impl Default for CacheOptions {
    fn default() -> Self {
        Self {
            refresh_ahead: Duration::from_secs(15 * 60),
            min_remaining: Duration::from_secs(30),
            retry_initial: Duration::from_secs(5),
            retry_max: Duration::from_secs(60),
            listener: None,
        }
    }
}

impl fmt::Debug for CacheOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheOptions")
            .field("refresh_ahead", &self.refresh_ahead)
            .field("min_remaining", &self.min_remaining)
            .field("retry_initial", &self.retry_initial)
            .field("retry_max", &self.retry_max)
            .field("listener", &self.listener.as_ref().map(|_| "set"))
            .finish()
    }
}

#[derive(Debug, Clone)]
struct Cached {
    credentials: Credentials,
    fetched_at: Timestamp,
}

/// A refreshing cache in front of any [`CredentialsProvider`].
pub struct CachingProvider {
    inner: Arc<dyn CredentialsProvider>,
    options: CacheOptions,
    cached: RwLock<Option<Cached>>,
    fetching: Mutex<()>,
    stored: Arc<Notify>,
    /// The AccessKey ID ECS refused; cached credentials with it are never served again.
    refused: std::sync::Mutex<Option<String>>,
    successes: AtomicU64,
    failures: AtomicU64,
}

impl fmt::Debug for CachingProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingProvider")
            .field("inner", &self.inner)
            .field("options", &self.options)
            .field("successes", &self.successes)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

impl CachingProvider {
    /// Fetches once (so a broken source fails at startup) and starts the background refresh,
    /// which stops when the last `Arc` is dropped. Must be called inside a Tokio runtime.
    ///
    /// # Errors
    /// The inner provider's error when the first fetch fails.
    pub async fn start(
        inner: Arc<dyn CredentialsProvider>,
        options: CacheOptions,
    ) -> Result<Arc<Self>, Error> {
        let cache = Arc::new(Self {
            inner,
            options,
            cached: RwLock::new(None),
            fetching: Mutex::new(()),
            stored: Arc::new(Notify::new()),
            refused: std::sync::Mutex::new(None),
            successes: AtomicU64::new(0),
            failures: AtomicU64::new(0),
        });
        cache.fetch(false).await?;
        tokio::spawn(refresh_loop(
            Arc::downgrade(&cache),
            Arc::clone(&cache.stored),
        ));
        Ok(cache)
    }

    /// Successful fetches so far (including the first).
    pub fn refresh_count(&self) -> u64 {
        self.successes.load(Ordering::Relaxed)
    }

    /// Failed fetches so far.
    pub fn refresh_failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Fetches now regardless of expiry, e.g. after ECS answered `InvalidSecurityToken.*`.
    ///
    /// # Errors
    /// The inner provider's error; the cache keeps the previous credentials in that case.
    pub async fn refresh_now(&self) -> Result<Credentials, Error> {
        let _guard = self.fetching.lock().await;
        self.fetch_locked(false).await
    }

    async fn current(&self) -> Result<Credentials, Error> {
        let cached = self.cached.read().await.clone();
        if let Some(cached) = &cached {
            if cached.credentials.expiration().is_none() {
                return self.pass_through(&cached.credentials).await;
            }
            if self.usable(&cached.credentials) {
                return Ok(cached.credentials.clone());
            }
        }

        let error = match self.fetch(false).await {
            Ok(credentials) => return Ok(credentials),
            Err(error) => error,
        };
        let still_valid = cached.filter(|c| {
            !c.credentials
                .expires_within(Duration::ZERO, Timestamp::now())
                && !self.is_refused(&c.credentials)
        });
        match still_valid {
            Some(cached) => {
                let provider = self.inner.name();
                warn!(provider, %error, "credential refresh failed; serving the current ones");
                Ok(cached.credentials)
            }
            None => Err(error),
        }
    }

    /// Non-expiring credentials: ask the (cheap) inner provider every time so rotations show
    /// up at once, without serialising requests behind the fetch lock.
    async fn pass_through(&self, cached: &Credentials) -> Result<Credentials, Error> {
        match self.inner.credentials().await {
            Ok(credentials) => {
                if credentials.access_key_id() != cached.access_key_id()
                    || credentials.secret() != cached.secret()
                {
                    let fresh = Cached {
                        credentials: credentials.clone(),
                        fetched_at: Timestamp::now(),
                    };
                    *self.cached.write().await = Some(fresh);
                    self.successes.fetch_add(1, Ordering::Relaxed);
                    self.report(RefreshOutcome::Success, false).await;
                }
                Ok(credentials)
            }
            Err(error) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                self.report(RefreshOutcome::Failure, false).await;
                let provider = self.inner.name();
                warn!(provider, %error, "credential source failed; serving the last good ones");
                Ok(cached.clone())
            }
        }
    }

    /// Fetches unless another caller just did so while this one waited for the lock.
    async fn fetch(&self, background: bool) -> Result<Credentials, Error> {
        let before = self.cached.read().await.as_ref().map(|c| c.fetched_at);
        let _guard = self.fetching.lock().await;
        if let Some(cached) = self.cached.read().await.as_ref() {
            let fresh =
                cached.credentials.expiration().is_some() && self.usable(&cached.credentials);
            if Some(cached.fetched_at) != before && fresh && !background {
                return Ok(cached.credentials.clone());
            }
        }
        self.fetch_locked(background).await
    }

    async fn fetch_locked(&self, background: bool) -> Result<Credentials, Error> {
        let result = self.inner.credentials().await;
        let outcome = match &result {
            Ok(credentials) => {
                let cached = Cached {
                    credentials: credentials.clone(),
                    fetched_at: Timestamp::now(),
                };
                let previous = self.cached.write().await.replace(cached);
                self.refused_lock().take();
                self.successes.fetch_add(1, Ordering::Relaxed);
                self.stored.notify_one();
                self.log_success(credentials, previous.as_ref(), background);
                RefreshOutcome::Success
            }
            Err(_) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                RefreshOutcome::Failure
            }
        };
        self.report(outcome, background).await;
        result
    }

    /// Expiring credentials fit to serve: not refused by ECS, not about to expire.
    fn usable(&self, credentials: &Credentials) -> bool {
        let expiring_soon =
            credentials.expires_within(self.options.min_remaining, Timestamp::now());
        !expiring_soon && !self.is_refused(credentials)
    }

    fn is_refused(&self, credentials: &Credentials) -> bool {
        self.refused_lock().as_deref() == Some(credentials.access_key_id())
    }

    fn refused_lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn log_success(&self, credentials: &Credentials, previous: Option<&Cached>, background: bool) {
        let Some(expiration) = credentials.expiration() else {
            return;
        };
        let changed =
            previous.is_none_or(|p| p.credentials.access_key_id() != credentials.access_key_id());
        if changed {
            info!(provider = self.inner.name(), %expiration, background, "credentials refreshed");
        }
    }

    async fn report(&self, outcome: RefreshOutcome, background: bool) {
        let Some(listener) = &self.options.listener else {
            return;
        };
        let expiration = self
            .cached
            .read()
            .await
            .as_ref()
            .and_then(|c| c.credentials.expiration());
        listener(&RefreshEvent {
            provider: self.inner.name(),
            outcome,
            background,
            expiration,
        });
    }

    /// How long the background task may sleep before the next refresh; `None` when the
    /// cached credentials never expire.
    async fn next_refresh_in(&self) -> Option<Duration> {
        let cached = self.cached.read().await.clone()?;
        let expiration = cached.credentials.expiration()?;
        let lifetime = expiration.duration_since(cached.fetched_at).unsigned_abs();
        let ahead = self.options.refresh_ahead.min(lifetime / 2);
        let remaining = expiration.duration_since(Timestamp::now());
        let remaining = Duration::try_from(remaining).unwrap_or(Duration::ZERO);
        Some(remaining.saturating_sub(ahead))
    }
}

impl CredentialsProvider for CachingProvider {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        Box::pin(self.current())
    }

    /// Marks credentials with this ID as refused, so the next call fetches new ones (one
    /// fetch however many requests noticed), unless they were already replaced.
    fn invalidate(&self, access_key_id: &str) {
        let provider = self.inner.name();
        warn!(
            provider,
            access_key_id, "ECS refused the credentials; fetching new ones"
        );
        *self.refused_lock() = Some(access_key_id.to_owned());
    }
}

/// Sleeps until the next refresh is due, refreshes, and backs off on failure. Holds the cache
/// only while working, and exits once it has been dropped.
async fn refresh_loop(cache: Weak<CachingProvider>, stored: Arc<Notify>) {
    let mut failures_in_row = 0u32;
    loop {
        let Some(strong) = cache.upgrade() else {
            return;
        };
        let options = strong.options.clone();
        let wait = match strong.next_refresh_in().await {
            Some(_) if failures_in_row > 0 => backoff(&options, failures_in_row),
            Some(wait) => wait,
            None => options.retry_max,
        };
        drop(strong);

        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = stored.notified(), if failures_in_row == 0 => continue,
        }

        let Some(strong) = cache.upgrade() else {
            return;
        };
        if strong.next_refresh_in().await.is_none() {
            continue;
        }
        match strong.fetch(true).await {
            Ok(_) => failures_in_row = 0,
            Err(error) => {
                failures_in_row = failures_in_row.saturating_add(1);
                let provider = strong.inner.name();
                warn!(provider, %error, failures_in_row, "background credential refresh failed");
            }
        }
    }
}

fn backoff(options: &CacheOptions, failures_in_row: u32) -> Duration {
    let exponent = failures_in_row.saturating_sub(1).min(16);
    options
        .retry_initial
        .saturating_mul(1 << exponent)
        .min(options.retry_max)
}
