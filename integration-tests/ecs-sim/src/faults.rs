//! Faults injected on request: per action, a chance of a 5xx answer, added latency, a dropped
//! connection or a throttling answer.
//!
//! Dice come from a seeded generator, so a run with the same seed and the same request order
//! injects the same faults. `times` bounds how often a rule fires, which lets a test ask for
//! "exactly the next two calls fail" without any randomness (`probability: 1.0, times: 2`).

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;

/// One fault rule. Rules are tried in order; latency adds up, the first terminal fault wins.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// The action name it applies to, or `*` for every ECS and STS action.
    pub action: String,
    pub fault: Fault,
    /// Chance in 0..=1 that a matching call is hit.
    #[serde(default = "always")]
    pub probability: f64,
    /// How many more times it may fire; unlimited when absent.
    #[serde(default)]
    pub times: Option<u64>,
}

fn always() -> f64 {
    1.0
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Answer with an ECS server error, by default 503 `ServiceUnavailable`.
    ServerError {
        #[serde(default = "unavailable_status")]
        status: u16,
        #[serde(default = "unavailable_code")]
        code: String,
    },
    /// Delay the answer (the call then proceeds normally or meets a later rule).
    Latency { millis: u64 },
    /// Close the connection without answering.
    Drop,
    /// Answer with ECS's throttling error (`Throttling`, `Throttling.User` or `Throttling.Api`).
    Throttle {
        #[serde(default = "throttling_user")]
        code: String,
    },
}

fn unavailable_status() -> u16 {
    503
}
fn unavailable_code() -> String {
    "ServiceUnavailable".to_owned()
}
fn throttling_user() -> String {
    "Throttling.User".to_owned()
}

impl FaultRule {
    /// Checks ranges; the message says which value is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.action.is_empty() {
            return Err("action must be an action name or *".to_owned());
        }
        if !(0.0..=1.0).contains(&self.probability) {
            return Err(format!("probability {} is outside 0..=1", self.probability));
        }
        match &self.fault {
            Fault::ServerError { status, .. } if !(500..=599).contains(status) => {
                Err(format!("server_error status {status} is not a 5xx status"))
            }
            Fault::Throttle { code } if !code.starts_with("Throttling") => Err(format!(
                "throttle code {code} is not an ECS throttling code"
            )),
            _ => Ok(()),
        }
    }

    fn matches(&self, action: &str) -> bool {
        (self.action == "*" || self.action == action) && self.times != Some(0)
    }
}

/// What the fault layer decided for one call.
#[derive(Debug, Default, PartialEq)]
pub struct FaultOutcome {
    pub delay: Duration,
    pub terminal: Option<TerminalFault>,
}

#[derive(Debug, PartialEq)]
pub enum TerminalFault {
    Answer(ApiError),
    Drop,
}

pub struct FaultInjector {
    rules: Vec<FaultRule>,
    rng: StdRng,
}

impl FaultInjector {
    pub fn new(rules: Vec<FaultRule>, seed: u64) -> Self {
        Self {
            rules,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    pub fn set_rules(&mut self, rules: Vec<FaultRule>) {
        self.rules = rules;
    }

    /// Rolls the dice for one call of `action`.
    pub fn decide(&mut self, action: &str) -> FaultOutcome {
        let mut outcome = FaultOutcome::default();
        for rule in self.rules.iter_mut().filter(|r| r.matches(action)) {
            if self.rng.random::<f64>() >= rule.probability {
                continue;
            }
            if let Some(times) = rule.times.as_mut() {
                *times -= 1;
            }
            match &rule.fault {
                Fault::Latency { millis } => outcome.delay += Duration::from_millis(*millis),
                Fault::Drop => outcome.terminal = Some(TerminalFault::Drop),
                Fault::ServerError { status, code } => {
                    let message = format!("Injected fault: {code} for {action}.");
                    let error = ApiError::new(*status, code.clone(), message);
                    outcome.terminal = Some(TerminalFault::Answer(error));
                }
                Fault::Throttle { code } => {
                    let message = "Request was denied due to flow control (injected fault).";
                    let error = ApiError::new(400, code.clone(), message);
                    outcome.terminal = Some(TerminalFault::Answer(error));
                }
            }
            if outcome.terminal.is_some() {
                break;
            }
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(action: &str, fault: Fault, probability: f64, times: Option<u64>) -> FaultRule {
        FaultRule {
            action: action.to_owned(),
            fault,
            probability,
            times,
        }
    }

    #[test]
    fn times_bounds_a_certain_fault() {
        let mut faults = FaultInjector::new(vec![rule("A", Fault::Drop, 1.0, Some(2))], 7);
        assert_eq!(faults.decide("A").terminal, Some(TerminalFault::Drop));
        assert_eq!(faults.decide("B").terminal, None);
        assert_eq!(faults.decide("A").terminal, Some(TerminalFault::Drop));
        assert_eq!(faults.decide("A"), FaultOutcome::default());
    }

    #[test]
    fn latency_adds_up_before_a_terminal_fault() {
        let rules = vec![
            rule("*", Fault::Latency { millis: 5 }, 1.0, None),
            rule("*", Fault::Latency { millis: 7 }, 1.0, None),
            rule(
                "*",
                Fault::Throttle {
                    code: "Throttling".into(),
                },
                1.0,
                None,
            ),
        ];
        let outcome = FaultInjector::new(rules, 7).decide("X");
        assert_eq!(outcome.delay, Duration::from_millis(12));
        let Some(TerminalFault::Answer(error)) = outcome.terminal else {
            panic!("no answer")
        };
        assert_eq!((error.status, error.code.as_str()), (400, "Throttling"));
    }

    #[test]
    fn probability_is_seeded_and_roughly_honoured() {
        let error = Fault::ServerError {
            status: 500,
            code: "InternalError".into(),
        };
        let run = |seed| {
            let mut faults = FaultInjector::new(vec![rule("A", error.clone(), 0.3, None)], seed);
            (0..1000)
                .filter(|_| faults.decide("A").terminal.is_some())
                .count()
        };
        assert_eq!(run(3), run(3));
        assert!((200..400).contains(&run(3)), "hit {} of 1000", run(3));
    }

    #[test]
    fn invalid_rules_are_explained() {
        let bad = rule(
            "A",
            Fault::ServerError {
                status: 404,
                code: "X".into(),
            },
            1.0,
            None,
        );
        assert!(bad.validate().unwrap_err().contains("404"));
        assert!(
            rule("A", Fault::Drop, 1.5, None)
                .validate()
                .unwrap_err()
                .contains("1.5")
        );
    }
}
