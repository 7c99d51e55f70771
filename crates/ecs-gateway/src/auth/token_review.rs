//! Bearer-token authentication through the Kubernetes TokenReview API.
//!
//! [`TokenReviewer`] is the seam: production uses [`KubeTokenReviewer`] (the API server checks
//! the token's signature, expiry, audience and that its ServiceAccount and Pod still exist);
//! tests plug in a fake or point a real kube client at the Kubernetes API simulator.
//! [`CachedReviewer`] keeps verdicts briefly so that a busy caller does not cost one TokenReview
//! per call. Tokens are never logged, stored in clear, or put into errors.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewSpec};
use kube::api::{Api, PostParams};
use sha2::{Digest, Sha256};

/// What the reviewer concluded about a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The token is valid and belongs to this user name
    /// (e.g. `system:serviceaccount:kube-system:policy-listener`).
    Authenticated(String),
    /// The token is not valid; the reason is safe to log (it never contains the token).
    Rejected(String),
}

/// Checks bearer tokens.
pub trait TokenReviewer: Send + Sync + 'static {
    /// Reviews `token`. `Err` means the review itself failed (API server unreachable), which
    /// is not the caller's fault.
    fn review<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Verdict, String>>;
}

/// Reviews tokens with the Kubernetes API server.
#[derive(Clone)]
pub struct KubeTokenReviewer {
    api: Api<TokenReview>,
    audiences: Vec<String>,
}

impl KubeTokenReviewer {
    /// A reviewer that asks the API server behind `client`; tokens must be issued for one of
    /// `audiences` (empty: the API server's own audiences).
    pub fn new(client: kube::Client, audiences: Vec<String>) -> Self {
        Self {
            api: Api::all(client),
            audiences,
        }
    }
}

impl TokenReviewer for KubeTokenReviewer {
    fn review<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Verdict, String>> {
        Box::pin(async move {
            let request = TokenReview {
                spec: TokenReviewSpec {
                    token: token.to_string(),
                    audiences: (!self.audiences.is_empty()).then(|| self.audiences.clone()),
                },
                ..TokenReview::default()
            };
            let answer = self
                .api
                .create(&PostParams::default(), &request)
                .await
                .map_err(|err| format!("TokenReview request failed: {err}"))?;
            Ok(verdict(answer))
        })
    }
}

fn verdict(answer: TokenReview) -> Verdict {
    let Some(status) = answer.status else {
        return Verdict::Rejected("TokenReview answered without a status".into());
    };
    let user = status.user.and_then(|user| user.username);

    match (status.authenticated, user) {
        (Some(true), Some(name)) if !name.is_empty() => Verdict::Authenticated(name),
        (Some(true), _) => Verdict::Rejected("token is valid but names no user".into()),
        _ => Verdict::Rejected(
            status
                .error
                .unwrap_or_else(|| "token not authenticated".into()),
        ),
    }
}

/// Remembers verdicts for a while, keyed by the SHA-256 of the token.
pub struct CachedReviewer {
    inner: Arc<dyn TokenReviewer>,
    ttl: Duration,
    cache: Mutex<HashMap<[u8; 32], (Verdict, Instant)>>,
}

/// Entries kept at most; the cache is emptied when full (callers are few; this only bounds
/// memory against a stream of garbage tokens).
const CACHE_CAPACITY: usize = 1024;

impl CachedReviewer {
    /// Caches `inner`'s verdicts for `ttl`.
    pub fn new(inner: Arc<dyn TokenReviewer>, ttl: Duration) -> Self {
        Self {
            inner,
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, key: &[u8; 32]) -> Option<Verdict> {
        let cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (verdict, at) = cache.get(key)?;
        (at.elapsed() < self.ttl).then(|| verdict.clone())
    }

    fn remember(&self, key: [u8; 32], verdict: &Verdict) {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(key, (verdict.clone(), Instant::now()));
    }
}

impl TokenReviewer for CachedReviewer {
    fn review<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Verdict, String>> {
        Box::pin(async move {
            let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
            if let Some(verdict) = self.cached(&key) {
                return Ok(verdict);
            }

            let verdict = self.inner.review(token).await?;
            self.remember(key, &verdict);
            Ok(verdict)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::authentication::v1::{TokenReviewStatus, UserInfo};
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn answer(authenticated: bool, user: Option<&str>, error: Option<&str>) -> TokenReview {
        TokenReview {
            status: Some(TokenReviewStatus {
                authenticated: Some(authenticated),
                user: user.map(|name| UserInfo {
                    username: Some(name.into()),
                    ..UserInfo::default()
                }),
                error: error.map(str::to_string),
                ..TokenReviewStatus::default()
            }),
            ..TokenReview::default()
        }
    }

    #[test]
    fn verdict_reads_the_review_status() {
        let sa = "system:serviceaccount:kube-system:policy-listener";

        assert_eq!(
            verdict(answer(true, Some(sa), None)),
            Verdict::Authenticated(sa.into())
        );
        assert_eq!(
            verdict(answer(false, None, Some("token expired"))),
            Verdict::Rejected("token expired".into())
        );
        assert!(matches!(
            verdict(answer(true, None, None)),
            Verdict::Rejected(_)
        ));
        assert!(matches!(
            verdict(TokenReview::default()),
            Verdict::Rejected(_)
        ));
    }

    struct Counting(AtomicUsize);

    impl TokenReviewer for Counting {
        fn review<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Verdict, String>> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move { Ok(Verdict::Authenticated(format!("user-of-{}", token.len()))) })
        }
    }

    #[tokio::test]
    async fn the_cache_asks_once_per_token_within_the_ttl() {
        let inner = Arc::new(Counting(AtomicUsize::new(0)));
        let cached = CachedReviewer::new(inner.clone(), Duration::from_secs(60));

        cached.review("token-a").await.unwrap();
        cached.review("token-a").await.unwrap();
        cached.review("token-bb").await.unwrap();

        assert_eq!(inner.0.load(Ordering::SeqCst), 2);
    }
}
