//! The faults of the fault scenario, all drawn from one seed so that a failing run can be
//! replayed: which service is killed after which step of the walkthrough, how long after the
//! user's action and for how long, and which ECS calls fail and how.
//!
//! # Guarantees
//! The same seed gives the same plan (kill points, delays, ECS fault rules). It does not fix
//! the interleaving of the processes, so a replay hits the same moments of the story, not the
//! same instructions. The ECS simulator's own dice (the `probability` rules) use its fixed
//! default seed and so repeat for the same order of calls.
//!
//! # Caveats
//! ECS faults apply before the simulator executes a call: a dropped connection means the call
//! did not happen (the caller cannot know that), never "done but the answer was lost".

use std::time::Duration;

use ecs_sim::{Fault, FaultRule, Rate, Throttling};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::chart::COMPONENTS;
use crate::{Environment, WalkthroughError};

/// The environment variable that replays a plan: `WALKTHROUGH_FAULT_SEED=<u64>`.
pub const SEED_ENV: &str = "WALKTHROUGH_FAULT_SEED";

/// The mutating ECS actions the product calls; each gets a burst of failures on its first
/// calls, so every write path meets a fault at least once.
const WRITES: [&str; 8] = [
    "CreateAutoSnapshotPolicy",
    "ModifyAutoSnapshotPolicyEx",
    "ApplyAutoSnapshotPolicy",
    "CancelAutoSnapshotPolicy",
    "DeleteAutoSnapshotPolicy",
    "CreateSnapshot",
    "CreateSnapshotGroup",
    "TagResources",
];

/// The latest a kill comes after the user's action, and the longest a killed service stays
/// down: long enough to land before, during or after the reaction (controllers react within
/// about a second), short enough for CI.
const MAX_KILL_AFTER_MS: u64 = 2_500;
const MAX_DOWN_MS: u64 = 3_000;

/// One service killed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kill {
    /// A component of the chart.
    pub service: &'static str,
    /// The step of the scenario after whose user action it is killed.
    pub point: usize,
    /// How long after that action.
    pub after: Duration,
    /// How long it stays down before it is started again.
    pub down_for: Duration,
}

/// Everything the seed decides.
#[derive(Debug, Clone)]
pub struct FaultPlan {
    pub seed: u64,
    /// One kill per component of the chart.
    pub kills: Vec<Kill>,
    /// ECS fault rules, in the order the simulator tries them.
    pub ecs_faults: Vec<FaultRule>,
    /// ECS flow control, tighter than the gateway's own limits so that ECS throttles too.
    pub throttling: Throttling,
}

impl FaultPlan {
    /// The plan of `SEED_ENV` when set, else of a fresh random seed.
    ///
    /// # Errors
    /// When `SEED_ENV` is set but not an unsigned 64-bit number.
    pub fn from_env(points: usize) -> Result<Self, WalkthroughError> {
        let seed = match std::env::var(SEED_ENV) {
            Ok(text) => text
                .trim()
                .parse()
                .map_err(|_| WalkthroughError::Unexpected {
                    from: SEED_ENV.to_owned(),
                    detail: format!("{text:?} is not an unsigned 64-bit number"),
                })?,
            Err(_) => rand::random(),
        };
        Ok(Self::new(seed, points))
    }

    /// The plan of `seed` for a scenario with `points` kill points (at least 1).
    pub fn new(seed: u64, points: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let kills = COMPONENTS
            .iter()
            .map(|service| Kill {
                service,
                point: rng.random_range(0..points.max(1)),
                after: Duration::from_millis(rng.random_range(0..=MAX_KILL_AFTER_MS)),
                down_for: Duration::from_millis(rng.random_range(0..=MAX_DOWN_MS)),
            })
            .collect();
        let ecs_faults = ecs_faults(&mut rng);
        Self {
            seed,
            kills,
            ecs_faults,
            throttling: throttling(),
        }
    }

    /// The kills after the user's action of step `point`, in plan order.
    pub fn kills_at(&self, point: usize) -> Vec<Kill> {
        self.kills
            .iter()
            .filter(|k| k.point == point)
            .cloned()
            .collect()
    }

    /// One line per kill, for the test's output.
    pub fn describe(&self) -> String {
        let mut out = format!("fault plan of seed {} ({SEED_ENV} replays it)\n", self.seed);
        for k in &self.kills {
            out += &format!(
                "  kill {} {:?} after the action of step {}, down {:?}\n",
                k.service, k.after, k.point, k.down_for
            );
        }
        out + &format!("  ECS fault rules: {:?}\n", self.ecs_faults)
    }
}

/// A burst of one to two failures on the first calls of every write, of a kind drawn per
/// action; three throttling answers in a row to the first `DescribeSnapshots` calls (what
/// the gateway's own retries must absorb); then background noise on every call: 2 to 6 %
/// answered 503, 10 % delayed.
fn ecs_faults(rng: &mut StdRng) -> Vec<FaultRule> {
    let mut rules: Vec<FaultRule> = WRITES
        .iter()
        .map(|action| FaultRule {
            action: (*action).to_owned(),
            fault: burst_fault(rng),
            probability: 1.0,
            times: Some(rng.random_range(1..=2)),
        })
        .collect();
    rules.push(FaultRule {
        action: "DescribeSnapshots".to_owned(),
        fault: Fault::Throttle {
            code: "Throttling.Api".to_owned(),
        },
        probability: 1.0,
        times: Some(3),
    });
    let unavailable = Fault::ServerError {
        status: 503,
        code: "ServiceUnavailable".to_owned(),
    };
    rules.push(FaultRule {
        action: "*".to_owned(),
        fault: unavailable,
        probability: f64::from(rng.random_range(2..=6u8)) / 100.0,
        times: None,
    });
    rules.push(FaultRule {
        action: "*".to_owned(),
        fault: Fault::Latency { millis: 250 },
        probability: 0.1,
        times: None,
    });
    rules
}

fn burst_fault(rng: &mut StdRng) -> Fault {
    match rng.random_range(0..4u8) {
        0 => Fault::Drop,
        1 => Fault::ServerError {
            status: 500,
            code: "InternalError".to_owned(),
        },
        2 => Fault::ServerError {
            status: 503,
            code: "ServiceUnavailable".to_owned(),
        },
        _ => Fault::Throttle {
            code: "Throttling.User".to_owned(),
        },
    }
}

/// ECS flow control well below the gateway's limits (account 20/s): the account at 5/s, and
/// `DescribeSnapshots`, which two controllers poll every second, at 1/s, so that their polls
/// collide and ECS throttles them, as it does an account over its quota.
fn throttling() -> Throttling {
    let mut throttling = Throttling {
        account: Some(Rate {
            per_second: 5,
            burst: 5,
        }),
        ..Throttling::default()
    };
    let polled = Rate {
        per_second: 1,
        burst: 1,
    };
    throttling
        .actions
        .insert("DescribeSnapshots".to_owned(), polled);
    throttling
}

impl Environment {
    /// Turns on the plan's ECS faults and throttling.
    pub async fn inject_ecs_faults(&self, plan: &FaultPlan) -> Result<(), WalkthroughError> {
        self.ecs.set_throttling(&plan.throttling).await?;
        self.ecs.set_faults(&plan.ecs_faults).await?;
        Ok(())
    }

    /// Runs the plan's kills of step `point`: for each, waits its delay, kills the service with
    /// SIGKILL, leaves it down for its time and starts it again (waiting until it is ready).
    pub async fn run_kills(
        &mut self,
        plan: &FaultPlan,
        point: usize,
    ) -> Result<(), WalkthroughError> {
        for kill in plan.kills_at(point) {
            tokio::time::sleep(kill.after).await;
            eprintln!("fault: killing {} (step {point})", kill.service);
            self.kill(kill.service).await?;
            tokio::time::sleep(kill.down_for).await;
            self.restart(kill.service).await?;
            eprintln!("fault: {} restarted and ready", kill.service);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_plan_and_kills_every_component_once() {
        let plan = FaultPlan::new(42, 7);
        let again = FaultPlan::new(42, 7);
        assert_eq!(plan.kills, again.kills);
        assert_eq!(plan.ecs_faults, again.ecs_faults);

        let mut killed: Vec<&str> = plan.kills.iter().map(|k| k.service).collect();
        killed.sort_unstable();
        assert_eq!(killed, COMPONENTS.to_vec());
        assert!(plan.kills.iter().all(|k| k.point < 7));
        let burst = plan.ecs_faults.iter().filter(|r| r.times.is_some()).count();
        assert_eq!(
            burst,
            WRITES.len() + 1,
            "every write and the first polls meet a burst"
        );
        assert!(plan.ecs_faults.iter().all(|r| r.validate().is_ok()));
    }

    #[test]
    fn different_seeds_give_different_plans() {
        let plans: Vec<Vec<Kill>> = (0..8).map(|s| FaultPlan::new(s, 7).kills).collect();
        assert!(plans.windows(2).any(|w| w[0] != w[1]));
    }
}
