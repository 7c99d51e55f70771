//! Everything a simulator run can be configured with. The same sections are readable and
//! replaceable at run time through the admin API (`/_sim/...`), so a config file, the command line
//! and a test's admin calls all speak one vocabulary.

use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::faults::FaultRule;
use crate::model::{DiskSeed, InstanceSeed};

/// The default AccessKey pair, printed at start-up.
pub const DEFAULT_ACCESS_KEY_ID: &str = "LTAI5tSimulatorKeyId";
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "SimulatorSecretDoNotUseInProduction";

/// The complete configuration of one simulated Alibaba Cloud account.
///
/// One simulator process is one account: its regions, keys, quotas and resources. Two accounts
/// (for instance one classic and one upgraded) are two simulators.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Region IDs this account has; the first is used when a request names none.
    pub regions: Vec<String>,
    /// AccessKey pairs accepted for signed ECS calls.
    pub access_keys: Vec<AccessKey>,
    pub account: AccountSettings,
    pub quotas: Quotas,
    pub timing: Timing,
    pub throttling: Throttling,
    pub faults: Vec<FaultRule>,
    pub credentials: CredentialIssuing,
    /// Seed for the fault-injection dice, so a failing run can be replayed.
    pub random_seed: u64,
    /// Instances present at start.
    pub instances: Vec<InstanceSeed>,
    /// Disks present at start.
    pub disks: Vec<DiskSeed>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            regions: vec!["cn-hangzhou".to_owned()],
            access_keys: vec![AccessKey {
                id: DEFAULT_ACCESS_KEY_ID.to_owned(),
                secret: DEFAULT_ACCESS_KEY_SECRET.to_owned(),
            }],
            account: AccountSettings::default(),
            quotas: Quotas::default(),
            timing: Timing::default(),
            throttling: Throttling::default(),
            faults: Vec::new(),
            credentials: CredentialIssuing::default(),
            random_seed: 1,
            instances: Vec::new(),
            disks: Vec::new(),
        }
    }
}

impl SimConfig {
    /// Reads a YAML (or JSON, which is YAML) config file; unknown keys are errors.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ConfigRead {
            path: path.to_owned(),
            source,
        })?;
        let config: Self = serde_saphyr::from_str(&text).map_err(|err| Error::ConfigParse {
            path: path.to_owned(),
            message: err.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the values serde cannot: non-empty lists, ranges, well-formed fault rules.
    pub fn validate(&self) -> Result<(), Error> {
        if self.regions.is_empty() {
            return Err(Error::setting("regions", "at least one region is required"));
        }
        for key in &self.access_keys {
            if key.id.is_empty() || key.secret.is_empty() {
                return Err(Error::setting(
                    "access_keys",
                    "id and secret must be non-empty",
                ));
            }
        }
        self.quotas.validate()?;
        self.timing.validate()?;
        self.throttling.validate()?;
        for (i, rule) in self.faults.iter().enumerate() {
            rule.validate()
                .map_err(|message| Error::setting(format!("faults[{i}]"), message))?;
        }
        Ok(())
    }
}

/// An AccessKey pair. The secret is only ever used to verify signatures.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// How many automatic snapshot policies a disk may carry.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum AccountMode {
    /// The default ECS account: one policy per disk; applying another replaces it.
    #[default]
    Classic,
    /// An allow-listed account: up to [`AccountSettings::max_policies_per_disk`]; applying adds.
    Upgraded,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct AccountSettings {
    pub mode: AccountMode,
    /// Upper bound in upgraded mode (ECS: 10).
    pub max_policies_per_disk: usize,
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self {
            mode: AccountMode::Classic,
            max_policies_per_disk: 10,
        }
    }
}

/// ECS quotas that bite in practice. Defaults are ECS's documented values.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Quotas {
    /// Automatic snapshot policies per region (ECS: 100).
    pub policies_per_region: usize,
    /// Manual snapshots per disk before CreateSnapshot is refused (ECS: 256).
    pub manual_snapshots_per_disk: usize,
    /// Automatic snapshots kept per disk; the oldest goes when a new one would exceed it.
    pub auto_snapshots_per_disk: usize,
    /// Disks per snapshot-consistent group (API page: 16).
    pub group_max_disks: usize,
    /// Total GiB per snapshot-consistent group (API page: 32 TiB).
    pub group_max_total_gib: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            policies_per_region: 100,
            manual_snapshots_per_disk: 256,
            auto_snapshots_per_disk: 256,
            group_max_disks: 16,
            group_max_total_gib: 32 * 1024,
        }
    }
}

impl Quotas {
    fn validate(&self) -> Result<(), Error> {
        let all = [
            ("quotas.policies_per_region", self.policies_per_region),
            (
                "quotas.manual_snapshots_per_disk",
                self.manual_snapshots_per_disk,
            ),
            (
                "quotas.auto_snapshots_per_disk",
                self.auto_snapshots_per_disk,
            ),
            ("quotas.group_max_disks", self.group_max_disks),
        ];
        match all.iter().find(|(_, value)| *value == 0) {
            Some((field, _)) => Err(Error::setting(*field, "must be at least 1")),
            None => Ok(()),
        }
    }
}

/// Clock and freshness settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Timing {
    /// Virtual time at start; the real time when absent.
    pub clock_start: Option<Timestamp>,
    /// Virtual seconds that pass per real second on their own (0: the clock only moves when
    /// the admin API moves it, which is what tests want; 1: real time; 60: a demo where an
    /// hourly policy fires every minute).
    pub clock_rate: f64,
    /// Virtual seconds from a snapshot's creation to `accomplished`.
    pub snapshot_completion_seconds: u64,
    /// Allowed distance between a request's timestamp and the real clock (ECS: 15 min).
    pub max_timestamp_skew_seconds: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            clock_start: None,
            clock_rate: 0.0,
            snapshot_completion_seconds: 60,
            max_timestamp_skew_seconds: 15 * 60,
        }
    }
}

impl Timing {
    /// Largest accepted `clock_rate`: a virtual year per real minute.
    pub const MAX_CLOCK_RATE: f64 = 525_600.0;

    fn validate(&self) -> Result<(), Error> {
        if !(0.0..=Self::MAX_CLOCK_RATE).contains(&self.clock_rate) {
            let message = format!(
                "must be 0 to {}, got {}",
                Self::MAX_CLOCK_RATE,
                self.clock_rate
            );
            return Err(Error::setting("timing.clock_rate", message));
        }
        Ok(())
    }
}

/// Request-rate limits. `None` means unlimited.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Throttling {
    /// Account-wide limit over all actions; exceeding it answers `Throttling.User`.
    pub account: Option<Rate>,
    /// Per-action limits keyed by action name; exceeding one answers `Throttling.Api`.
    pub actions: std::collections::BTreeMap<String, Rate>,
}

impl Throttling {
    fn validate(&self) -> Result<(), Error> {
        let rates = self
            .account
            .iter()
            .map(|r| ("throttling.account".to_owned(), r));
        let per_action = self
            .actions
            .iter()
            .map(|(a, r)| (format!("throttling.actions.{a}"), r));
        for (field, rate) in rates.chain(per_action) {
            if rate.per_second == 0 || rate.burst == 0 {
                return Err(Error::setting(
                    field,
                    "per_second and burst must be at least 1",
                ));
            }
        }
        Ok(())
    }
}

/// A token bucket: `burst` requests at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub per_second: u32,
    pub burst: u32,
}

/// How the simulator hands out temporary (STS) credentials.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct CredentialIssuing {
    /// RAM role name served by the instance metadata endpoints.
    pub ram_role_name: String,
    /// Lifetime of credentials from the metadata service, in virtual seconds.
    pub metadata_credential_seconds: u64,
    /// OIDC trust for `AssumeRoleWithOIDC`; the action is refused when absent.
    pub oidc: Option<OidcTrust>,
}

impl Default for CredentialIssuing {
    fn default() -> Self {
        Self {
            ram_role_name: "ecs-sim-node-role".to_owned(),
            metadata_credential_seconds: 6 * 3600,
            oidc: Some(OidcTrust::default()),
        }
    }
}

/// The OIDC provider the simulated RAM trusts. Tokens are HS256 JWTs signed with `hmac_key`
/// (see the README for why not RS256).
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct OidcTrust {
    pub provider_arn: String,
    pub issuer: String,
    pub audience: String,
    pub hmac_key: String,
    /// Role ARNs that may be assumed; empty means any `acs:ram::...:role/...` ARN.
    pub role_arns: Vec<String>,
}

impl Default for OidcTrust {
    fn default() -> Self {
        Self {
            provider_arn: "acs:ram::1234567890:oidc-provider/ack-rrsa-csim".to_owned(),
            issuer: "https://oidc-ack.cn-hangzhou.aliyuncs.com/csim".to_owned(),
            audience: "sts.aliyuncs.com".to_owned(),
            hmac_key: "ecs-sim-oidc-signing-key".to_owned(),
            role_arns: Vec::new(),
        }
    }
}

impl std::fmt::Debug for OidcTrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcTrust")
            .field("provider_arn", &self.provider_arn)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("role_arns", &self.role_arns)
            .finish_non_exhaustive()
    }
}
