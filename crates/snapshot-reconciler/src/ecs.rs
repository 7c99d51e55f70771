//! The ECS side: listing snapshots through the ecs-gateway.
//!
//! [`SnapshotCatalog`] is the seam between the reconciler and the gateway, so that discovery
//! logic is tested against any implementation; [`GatewayCatalog`] is the production one.
//!
//! # Cost
//! Every method costs one gateway call (one rate-limited ECS call) per page of up to 100
//! snapshots: [`SnapshotCatalog::created_after`] pages through new snapshots only,
//! [`SnapshotCatalog::by_ids`] asks for at most 100 IDs per call, and
//! [`SnapshotCatalog::all`] streams the whole region (the slow full pass).

use std::{future::Future, sync::Arc};

use controller_support::{gateway::Gateway, gateway_error::GatewayFailure};
use ecs_gateway_api::v1;
use jiff::Timestamp;

use crate::ReconcilerError;

/// ECS's largest page, and the most IDs one DescribeSnapshots call accepts.
pub const PAGE_SIZE: usize = 100;

/// What the reconciler needs to know about one ECS snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsSnapshot {
    pub snapshot_id: String,
    pub disk_id: String,
    /// `progressing`, `accomplished` or `failed`.
    pub status: String,
    /// `auto` (taken by an automatic policy) or `user`.
    pub snapshot_type: String,
    pub created_at: Timestamp,
}

impl EcsSnapshot {
    /// Whether the snapshot is finished and can be restored from.
    pub fn is_accomplished(&self) -> bool {
        self.status == "accomplished"
    }

    /// Converts a gateway message; refuses snapshots without an ID or creation time.
    pub fn from_proto(s: v1::Snapshot) -> Result<Self, ReconcilerError> {
        let bad = |reason: &str| ReconcilerError::BadSnapshot {
            snapshot_id: s.snapshot_id.clone(),
            reason: reason.to_owned(),
        };
        if s.snapshot_id.is_empty() {
            return Err(bad("it has no ID"));
        }
        let time = s
            .creation_time
            .ok_or_else(|| bad("it has no creation time"))?;
        let created_at = Timestamp::new(time.seconds, time.nanos)
            .map_err(|e| bad(&format!("creation time out of range: {e}")))?;
        Ok(Self {
            snapshot_id: s.snapshot_id,
            disk_id: s.source_disk_id,
            status: s.status,
            snapshot_type: s.snapshot_type,
            created_at,
        })
    }
}

/// Read access to the ECS snapshots of one region.
pub trait SnapshotCatalog: Send + Sync {
    /// Snapshots created at or after `since` (ECS compares at minute precision), all pages.
    fn created_after(
        &self,
        since: Timestamp,
    ) -> impl Future<Output = Result<Vec<EcsSnapshot>, ReconcilerError>> + Send;

    /// The snapshots among `ids` that ECS still has.
    fn by_ids(
        &self,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<EcsSnapshot>, ReconcilerError>> + Send;

    /// Every snapshot of the region.
    fn all(&self) -> impl Future<Output = Result<Vec<EcsSnapshot>, ReconcilerError>> + Send;
}

/// [`SnapshotCatalog`] over the ecs-gateway.
#[derive(Debug, Clone)]
pub struct GatewayCatalog {
    gateway: Arc<Gateway>,
    region: String,
}

impl GatewayCatalog {
    pub fn new(gateway: Arc<Gateway>, region: impl Into<String>) -> Self {
        Self {
            gateway,
            region: region.into(),
        }
    }

    fn request(&self) -> v1::DescribeSnapshotsRequest {
        v1::DescribeSnapshotsRequest {
            region_id: self.region.clone(),
            max_results: PAGE_SIZE as u32,
            ..Default::default()
        }
    }

    async fn pages(
        &self,
        mut request: v1::DescribeSnapshotsRequest,
    ) -> Result<Vec<EcsSnapshot>, ReconcilerError> {
        let mut found = Vec::new();
        loop {
            let mut client = self.gateway.client();
            let page = client
                .describe_snapshots(self.gateway.request(request.clone()))
                .await
                .map_err(|s| gateway_error("DescribeSnapshots", &s))?
                .into_inner();
            collect(page.snapshots, &mut found);
            if page.next_token.is_empty() {
                return Ok(found);
            }
            request.next_token = page.next_token;
        }
    }
}

impl SnapshotCatalog for GatewayCatalog {
    async fn created_after(&self, since: Timestamp) -> Result<Vec<EcsSnapshot>, ReconcilerError> {
        let mut request = self.request();
        request.created_after = Some(prost_types::Timestamp {
            seconds: since.as_second(),
            nanos: 0,
        });
        self.pages(request).await
    }

    async fn by_ids(&self, ids: &[String]) -> Result<Vec<EcsSnapshot>, ReconcilerError> {
        let mut found = Vec::new();
        for chunk in ids.chunks(PAGE_SIZE) {
            let mut request = self.request();
            request.snapshot_ids = chunk.to_vec();
            found.extend(self.pages(request).await?);
        }
        Ok(found)
    }

    async fn all(&self) -> Result<Vec<EcsSnapshot>, ReconcilerError> {
        let mut client = self.gateway.client();
        let mut stream = client
            .stream_snapshots(self.gateway.request(self.request()))
            .await
            .map_err(|s| gateway_error("StreamSnapshots", &s))?
            .into_inner();
        let mut found = Vec::new();
        while let Some(snapshot) = stream
            .message()
            .await
            .map_err(|s| gateway_error("StreamSnapshots", &s))?
        {
            collect([snapshot], &mut found);
        }
        Ok(found)
    }
}

fn collect(snapshots: impl IntoIterator<Item = v1::Snapshot>, into: &mut Vec<EcsSnapshot>) {
    for snapshot in snapshots {
        match EcsSnapshot::from_proto(snapshot) {
            Ok(s) => into.push(s),
            Err(e) => tracing::warn!(error = %e, "skipping an ECS snapshot"),
        }
    }
}

fn gateway_error(rpc: &'static str, status: &tonic::Status) -> ReconcilerError {
    let failure = GatewayFailure::from_status(status);
    ReconcilerError::Gateway {
        rpc,
        class: failure.class.as_str(),
        message: format!("{}: {}", failure.short_code(), failure.message),
    }
}
