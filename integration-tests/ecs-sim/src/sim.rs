//! The shared state behind one running simulator, and the operations both the ECS front door
//! and the admin API perform on it.
//!
//! Lock order, where more than one is held: `world` before `auth`. Locks are never held across
//! an `.await`.

use std::sync::{Mutex, MutexGuard};

use base64::Engine;
use jiff::{SignedDuration, Timestamp};
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::auth::{Authenticator, StsCredential};
use crate::config::{CredentialIssuing, SimConfig};
use crate::counters::CallCounters;
use crate::error::Error;
use crate::faults::FaultInjector;
use crate::throttle::Throttler;
use crate::world::World;

pub struct Sim {
    pub world: Mutex<World>,
    pub auth: Mutex<Authenticator>,
    pub throttler: Mutex<Throttler>,
    pub faults: Mutex<FaultInjector>,
    pub counters: Mutex<CallCounters>,
    pub credentials: Mutex<CredentialIssuing>,
    /// Metadata-service session tokens and their virtual expiry.
    pub imds_tokens: Mutex<std::collections::HashMap<String, Timestamp>>,
}

impl Sim {
    pub fn new(config: &SimConfig) -> Result<Self, Error> {
        config.validate()?;
        Ok(Self {
            world: Mutex::new(World::new(config)?),
            auth: Mutex::new(Authenticator::new(
                &config.access_keys,
                config.timing.max_timestamp_skew_seconds,
            )),
            throttler: Mutex::new(Throttler::new(config.throttling.clone())),
            faults: Mutex::new(FaultInjector::new(
                config.faults.clone(),
                config.random_seed,
            )),
            counters: Mutex::new(CallCounters::default()),
            credentials: Mutex::new(config.credentials.clone()),
            imds_tokens: Mutex::new(Default::default()),
        })
    }

    pub fn now(&self) -> Timestamp {
        lock(&self.world).now
    }

    /// Lets `real` wall time pass on the virtual clock at `timing.clock_rate`, running what
    /// falls due. `carry` keeps the sub-nanosecond remainder between ticks so slow rates add up.
    pub fn follow_wall_clock(&self, real: std::time::Duration, carry: &mut f64) {
        let mut world = lock(&self.world);
        let rate = world.settings.timing.clock_rate;
        if rate <= 0.0 {
            *carry = 0.0;
            return;
        }
        let nanos = real.as_secs_f64() * rate * 1e9 + *carry;
        let whole = nanos.floor();
        *carry = nanos - whole;
        let step = SignedDuration::from_nanos(whole.min(i64::MAX as f64) as i64);
        let Ok(target) = world.now.checked_add(step) else {
            return;
        };
        let moved = world.advance_to(target);
        if !moved.complete {
            tracing::warn!(
                events = moved.events.len(),
                now = %world.now,
                "virtual clock fell behind: too many events in one tick, the rest run next tick"
            );
        } else if !moved.events.is_empty() {
            let events = moved.events.len();
            tracing::debug!(events, now = %world.now, "virtual clock ticked");
        }
    }

    /// Issues STS credentials for `role_arn`, valid for `duration` of virtual time.
    pub fn issue_sts(&self, role_arn: &str, duration: SignedDuration) -> StsCredential {
        let now = self.now();
        let credential = StsCredential {
            access_key_id: format!("STS.{}", random_text(24)),
            access_key_secret: random_text(40),
            security_token: format!(
                "CAIS{}",
                base64::engine::general_purpose::STANDARD.encode(random_bytes(90))
            ),
            expiration: now.saturating_add(duration).unwrap_or(now),
            role_arn: role_arn.to_owned(),
        };
        lock(&self.auth).add_sts(credential.clone(), now);
        credential
    }
}

/// Locks a mutex, recovering the data if a previous holder panicked: the simulator's state is
/// plain data that stays consistent between statements.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn random_text(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::rng().fill(&mut bytes[..]);
    bytes
}
