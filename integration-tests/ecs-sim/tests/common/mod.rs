//! Test fixtures: a simulator with one instance and a few disks, and a minimal signed RPC
//! client built on `acs-signature` (the product's real client lives elsewhere and is tested
//! against this simulator, not the other way round).

#![allow(dead_code)]

use ecs_sim::{
    AdminClient, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, DiskSeed, InstanceSeed,
    InstanceStatus, SimConfig, SimHandle,
};
use serde_json::Value;

pub const REGION: &str = "cn-hangzhou";
pub const ZONE: &str = "cn-hangzhou-h";
pub const INSTANCE: &str = "i-test0001";

/// A running simulator plus clients for both of its faces.
pub struct Fixture {
    pub sim: SimHandle,
    pub admin: AdminClient,
    pub ecs: Ecs,
}

/// Starts a simulator whose clock starts at `start` with `INSTANCE` and data disks `disks`.
pub async fn fixture(start: &str, disks: &[&str]) -> Fixture {
    fixture_with(SimConfig::default(), start, disks).await
}

pub async fn fixture_with(mut config: SimConfig, start: &str, disks: &[&str]) -> Fixture {
    config.timing.clock_start = Some(start.parse().expect("test clock start"));
    config.instances.push(instance(INSTANCE));
    config
        .disks
        .extend(disks.iter().map(|id| disk(id, Some(INSTANCE))));
    let sim = ecs_sim::spawn(config).await.expect("simulator starts");
    let admin = sim.admin();
    let ecs = Ecs::new(
        &sim.base_url(),
        DEFAULT_ACCESS_KEY_ID,
        DEFAULT_ACCESS_KEY_SECRET,
    );
    Fixture { sim, admin, ecs }
}

pub fn instance(id: &str) -> InstanceSeed {
    InstanceSeed {
        id: id.to_owned(),
        region_id: None,
        zone_id: ZONE.to_owned(),
        status: InstanceStatus::Running,
        tags: Default::default(),
    }
}

pub fn disk(id: &str, instance: Option<&str>) -> DiskSeed {
    DiskSeed {
        id: id.to_owned(),
        region_id: None,
        zone_id: Some(ZONE.to_owned()),
        category: "cloud_essd".to_owned(),
        size_gib: 40,
        instance_id: instance.map(str::to_owned),
        disk_type: "data".to_owned(),
        name: String::new(),
        attached_before: true,
        multi_attach: false,
        tags: Default::default(),
    }
}

/// One ECS answer: HTTP status and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["Code"].as_str().unwrap_or("")
    }

    /// The body of a success, or a panic that shows the error.
    pub fn ok(self) -> Value {
        assert_eq!(self.status, 200, "expected success, got {}", self.body);
        self.body
    }

    pub fn error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "body: {}",
            self.body
        );
    }
}

/// Signing overrides for the authentication tests.
#[derive(Default, Clone)]
pub struct Overrides {
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
    pub security_token: Option<String>,
    pub version: Option<String>,
    /// `GET` instead of `POST`.
    pub get: bool,
    /// Send the action parameters as a form body instead of the query string.
    pub form_body: bool,
}

/// A signature-v1 RPC client.
#[derive(Clone)]
pub struct Ecs {
    base: String,
    http: reqwest::Client,
    key_id: String,
    secret: String,
}

impl Ecs {
    pub fn new(base: &str, key_id: &str, secret: &str) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        Self {
            base: base.to_owned(),
            http,
            key_id: key_id.to_owned(),
            secret: secret.to_owned(),
        }
    }

    pub async fn call(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        self.call_with(action, params, &Overrides::default())
            .await
            .expect("transport")
    }

    pub async fn call_with(
        &self,
        action: &str,
        params: &[(&str, &str)],
        overrides: &Overrides,
    ) -> Result<Answer, reqwest::Error> {
        let timestamp = overrides.timestamp.clone().unwrap_or_else(|| {
            jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        });
        let nonce = overrides
            .nonce
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let version = overrides
            .version
            .clone()
            .unwrap_or_else(|| "2014-05-26".to_owned());
        let mut all: Vec<(String, String)> = [
            ("Action", action),
            ("Version", version.as_str()),
            ("Format", "JSON"),
            ("AccessKeyId", self.key_id.as_str()),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", nonce.as_str()),
            ("Timestamp", timestamp.as_str()),
        ]
        .iter()
        .chain(params)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        if let Some(token) = &overrides.security_token {
            all.push(("SecurityToken".to_owned(), token.clone()));
        }
        let pairs = all.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let signature = acs_signature::rpc_v1::signature("POST", pairs, &self.secret);
        all.push(("Signature".to_owned(), signature));

        let query: Vec<String> = all
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    acs_signature::percent_encode(k),
                    acs_signature::percent_encode(v)
                )
            })
            .collect();
        let url = format!("{}/?{}", self.base, query.join("&"));
        let response = self.http.post(url).send().await?;
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        Ok(Answer { status, body })
    }
}

/// Creates a policy and returns its ID.
pub async fn create_policy(ecs: &Ecs, hours: &str, weekdays: &str, retention: &str) -> String {
    let answer = ecs
        .call(
            "CreateAutoSnapshotPolicy",
            &[
                ("regionId", REGION),
                ("timePoints", hours),
                ("repeatWeekdays", weekdays),
                ("retentionDays", retention),
                ("autoSnapshotPolicyName", "nightly"),
            ],
        )
        .await;
    answer.ok()["AutoSnapshotPolicyId"]
        .as_str()
        .expect("policy id")
        .to_owned()
}

pub async fn apply(ecs: &Ecs, policy: &str, disks: &str) -> Answer {
    let params = [
        ("regionId", REGION),
        ("autoSnapshotPolicyId", policy),
        ("diskIds", disks),
    ];
    ecs.call("ApplyAutoSnapshotPolicy", &params).await
}

/// IDs of the snapshots DescribeSnapshots returns for a disk (first page of 100).
pub async fn snapshot_ids(ecs: &Ecs, disk: &str) -> Vec<String> {
    let params = [
        ("RegionId", REGION),
        ("DiskId", disk),
        ("MaxResults", "100"),
    ];
    let body = ecs.call("DescribeSnapshots", &params).await.ok();
    body["Snapshots"]["Snapshot"]
        .as_array()
        .expect("snapshot list")
        .iter()
        .map(|s| s["SnapshotId"].as_str().expect("id").to_owned())
        .collect()
}
