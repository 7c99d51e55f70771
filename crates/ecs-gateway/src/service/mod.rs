//! The gRPC service: one handler per RPC, each mapping the request to an ECS action, running it
//! through the [`EcsBackend`] and mapping the answer (or error) back.

mod call;
pub mod convert;
mod requests;
pub mod status;
mod stream;

use std::sync::Arc;

use ecs_client::EcsResponse;
use ecs_gateway_api::v1;
use ecs_gateway_api::v1::ecs_gateway_server::EcsGateway;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Request, Response, Status};

use crate::auth::Authenticator;
use crate::backend::{BackendError, CallContext, EcsBackend, Executed, Repeat};
use crate::metrics::Metrics;
pub use requests::RequestMapper;

/// The `storage.ecsgateway.v1.EcsGateway` implementation.
pub struct GatewayService<B> {
    backend: Arc<B>,
    auth: Arc<Authenticator>,
    requests: RequestMapper,
    metrics: Metrics,
}

impl<B: EcsBackend> GatewayService<B> {
    /// A service for `region`, calling ECS through `backend`.
    pub fn new(backend: Arc<B>, auth: Arc<Authenticator>, region: &str, metrics: Metrics) -> Self {
        Self {
            backend,
            auth,
            requests: RequestMapper::new(region),
            metrics,
        }
    }

    async fn run<A>(&self, call: &CallContext, action: A) -> Result<Executed<A::Response>, Status>
    where
        A: ecs_client::Action + 'static,
    {
        let result = self.backend.execute(call, action).await;
        result.map_err(|error| status::from_backend(call.rpc, error))
    }
}

fn ecs_info<R: EcsResponse>(executed: &Executed<R>) -> Option<v1::EcsCallInfo> {
    Some(v1::EcsCallInfo {
        request_id: executed.response.request_id().to_string(),
        attempts: executed.attempts,
    })
}

#[tonic::async_trait]
impl<B: EcsBackend> EcsGateway for GatewayService<B> {
    async fn create_auto_snapshot_policy(
        &self,
        request: Request<v1::CreateAutoSnapshotPolicyRequest>,
    ) -> Result<Response<v1::CreateAutoSnapshotPolicyResponse>, Status> {
        const RPC: &str = "CreateAutoSnapshotPolicy";
        self.handle(request, RPC, Repeat::AsDeclared, |call, req| async move {
            let executed = self
                .run(&call, self.requests.create_policy(RPC, req)?)
                .await?;
            Ok(v1::CreateAutoSnapshotPolicyResponse {
                auto_snapshot_policy_id: executed.response.auto_snapshot_policy_id.clone(),
                ecs: ecs_info(&executed),
            })
        })
        .await
    }

    async fn modify_auto_snapshot_policy(
        &self,
        request: Request<v1::ModifyAutoSnapshotPolicyRequest>,
    ) -> Result<Response<v1::ModifyAutoSnapshotPolicyResponse>, Status> {
        const RPC: &str = "ModifyAutoSnapshotPolicy";
        self.handle(request, RPC, Repeat::Converges, |call, req| async move {
            let executed = self
                .run(&call, self.requests.modify_policy(RPC, req)?)
                .await?;
            Ok(v1::ModifyAutoSnapshotPolicyResponse {
                ecs: ecs_info(&executed),
            })
        })
        .await
    }

    async fn delete_auto_snapshot_policy(
        &self,
        request: Request<v1::DeleteAutoSnapshotPolicyRequest>,
    ) -> Result<Response<v1::DeleteAutoSnapshotPolicyResponse>, Status> {
        const RPC: &str = "DeleteAutoSnapshotPolicy";
        self.handle(request, RPC, Repeat::Converges, |call, req| async move {
            let action = self.requests.delete_policy(RPC, req)?;
            let ecs = match self.backend.execute(&call, action).await {
                Ok(executed) => ecs_info(&executed),
                Err(error) => deleted_by_earlier_attempt(RPC, error)?,
            };
            Ok(v1::DeleteAutoSnapshotPolicyResponse { ecs })
        })
        .await
    }

    async fn describe_auto_snapshot_policies(
        &self,
        request: Request<v1::DescribeAutoSnapshotPoliciesRequest>,
    ) -> Result<Response<v1::DescribeAutoSnapshotPoliciesResponse>, Status> {
        const RPC: &str = "DescribeAutoSnapshotPolicies";
        self.handle(request, RPC, Repeat::AsDeclared, |call, req| async move {
            let executed = self
                .run(&call, self.requests.describe_policies(RPC, req)?)
                .await?;
            let page = &executed.response;
            Ok(v1::DescribeAutoSnapshotPoliciesResponse {
                policies: page
                    .auto_snapshot_policies
                    .iter()
                    .map(convert::policy)
                    .collect(),
                total_count: u32::try_from(page.total_count).unwrap_or(0),
                page_number: u32::try_from(page.page_number).unwrap_or(0),
                page_size: u32::try_from(page.page_size).unwrap_or(0),
                ecs: ecs_info(&executed),
            })
        })
        .await
    }

    async fn apply_auto_snapshot_policy(
        &self,
        request: Request<v1::ApplyAutoSnapshotPolicyRequest>,
    ) -> Result<Response<v1::ApplyAutoSnapshotPolicyResponse>, Status> {
        const RPC: &str = "ApplyAutoSnapshotPolicy";
        self.handle(request, RPC, Repeat::Converges, |call, req| async move {
            let executed = self
                .run(&call, self.requests.apply_policy(RPC, req)?)
                .await?;
            Ok(v1::ApplyAutoSnapshotPolicyResponse {
                ecs: ecs_info(&executed),
            })
        })
        .await
    }

    async fn cancel_auto_snapshot_policy(
        &self,
        request: Request<v1::CancelAutoSnapshotPolicyRequest>,
    ) -> Result<Response<v1::CancelAutoSnapshotPolicyResponse>, Status> {
        const RPC: &str = "CancelAutoSnapshotPolicy";
        self.handle(request, RPC, Repeat::Converges, |call, req| async move {
            let executed = self
                .run(&call, self.requests.cancel_policy(RPC, req)?)
                .await?;
            Ok(v1::CancelAutoSnapshotPolicyResponse {
                ecs: ecs_info(&executed),
            })
        })
        .await
    }

    async fn describe_auto_snapshot_policy_associations(
        &self,
        request: Request<v1::DescribeAutoSnapshotPolicyAssociationsRequest>,
    ) -> Result<Response<v1::DescribeAutoSnapshotPolicyAssociationsResponse>, Status> {
        const RPC: &str = "DescribeAutoSnapshotPolicyAssociations";
        self.handle(request, RPC, Repeat::AsDeclared, |call, req| async move {
            let executed = self
                .run(&call, self.requests.describe_associations(RPC, req)?)
                .await?;
            let page = &executed.response;
            let pairs = page.auto_snapshot_policy_associations.iter();
            Ok(v1::DescribeAutoSnapshotPolicyAssociationsResponse {
                associations: pairs.map(convert::association).collect(),
                next_token: page.next_token.clone().unwrap_or_default(),
                ecs: ecs_info(&executed),
            })
        })
        .await
    }

    async fn create_snapshot(
        &self,
        request: Request<v1::CreateSnapshotRequest>,
    ) -> Result<Response<v1::CreateSnapshotResponse>, Status> {
        const RPC: &str = "CreateSnapshot";
        self.handle(request, RPC, Repeat::AsDeclared, |call, req| async move {
            let (action, client_token) = self.requests.create_snapshot(RPC, req)?;
            let executed = self.run(&call, action).await?;
            Ok(v1::CreateSnapshotResponse {
                snapshot_id: executed.response.snapshot_id.clone(),
                client_token,
                ecs: ecs_info(&executed),
            })
        })
        .await
    }

    async fn create_snapshot_group(
        &self,
        request: Request<v1::CreateSnapshotGroupRequest>,
    ) -> Result<Response<v1::CreateSnapshotGroupResponse>, Status> {
        const RPC: &str = "CreateSnapshotGroup";
        self.handle(request, RPC, Repeat::AsDeclared, |call, req| async move {
            let (action, client_token) = self.requests.create_snapshot_group(RPC, req)?;
            let executed = self.run(&call, action).await?;
            Ok(v1::CreateSnapshotGroupResponse {
                snapshot_group_id: executed.response.snapshot_group_id.clone(),
                client_token,
                ecs: ecs_info(&executed),
            })
        })
        .await
    }

    async fn describe_snapshots(
        &self,
        request: Request<v1::DescribeSnapshotsRequest>,
    ) -> Result<Response<v1::DescribeSnapshotsResponse>, Status> {
        const RPC: &str = "DescribeSnapshots";
        self.handle(request, RPC, Repeat::AsDeclared, |call, req| async move {
            let executed = self
                .run(&call, self.requests.describe_snapshots(RPC, req)?)
                .await?;
            let page = &executed.response;
            Ok(v1::DescribeSnapshotsResponse {
                snapshots: page.snapshots.iter().map(convert::snapshot).collect(),
                next_token: page.next_token.clone().unwrap_or_default(),
                ecs: ecs_info(&executed),
            })
        })
        .await
    }

    type StreamSnapshotsStream = ReceiverStream<Result<v1::Snapshot, Status>>;

    async fn stream_snapshots(
        &self,
        request: Request<v1::DescribeSnapshotsRequest>,
    ) -> Result<Response<Self::StreamSnapshotsStream>, Status> {
        const RPC: &str = "StreamSnapshots";
        self.handle(request, RPC, Repeat::AsDeclared, |call, req| async move {
            let first = self.requests.describe_snapshots(RPC, req)?;
            Ok(stream::snapshots(Arc::clone(&self.backend), call, first))
        })
        .await
    }

    async fn delete_snapshot(
        &self,
        request: Request<v1::DeleteSnapshotRequest>,
    ) -> Result<Response<v1::DeleteSnapshotResponse>, Status> {
        const RPC: &str = "DeleteSnapshot";
        self.handle(request, RPC, Repeat::Converges, |call, req| async move {
            let executed = self
                .run(&call, self.requests.delete_snapshot(RPC, req)?)
                .await?;
            Ok(v1::DeleteSnapshotResponse {
                ecs: ecs_info(&executed),
            })
        })
        .await
    }

    async fn describe_snapshot_groups(
        &self,
        request: Request<v1::DescribeSnapshotGroupsRequest>,
    ) -> Result<Response<v1::DescribeSnapshotGroupsResponse>, Status> {
        const RPC: &str = "DescribeSnapshotGroups";
        self.handle(request, RPC, Repeat::AsDeclared, |call, req| async move {
            let action = self.requests.describe_snapshot_groups(RPC, req)?;
            let executed = self.run(&call, action).await?;
            let page = &executed.response;
            Ok(v1::DescribeSnapshotGroupsResponse {
                snapshot_groups: page
                    .snapshot_groups
                    .iter()
                    .map(convert::snapshot_group)
                    .collect(),
                next_token: page.next_token.clone().unwrap_or_default(),
                ecs: ecs_info(&executed),
            })
        })
        .await
    }

    async fn describe_disks(
        &self,
        request: Request<v1::DescribeDisksRequest>,
    ) -> Result<Response<v1::DescribeDisksResponse>, Status> {
        const RPC: &str = "DescribeDisks";
        self.handle(request, RPC, Repeat::AsDeclared, |call, req| async move {
            let executed = self
                .run(&call, self.requests.describe_disks(RPC, req)?)
                .await?;
            let page = &executed.response;
            Ok(v1::DescribeDisksResponse {
                disks: page.disks.iter().map(convert::disk).collect(),
                next_token: page.next_token.clone().unwrap_or_default(),
                ecs: ecs_info(&executed),
            })
        })
        .await
    }

    async fn tag_resources(
        &self,
        request: Request<v1::TagResourcesRequest>,
    ) -> Result<Response<v1::TagResourcesResponse>, Status> {
        const RPC: &str = "TagResources";
        self.handle(request, RPC, Repeat::Converges, |call, req| async move {
            let executed = self
                .run(&call, self.requests.tag_resources(RPC, req)?)
                .await?;
            Ok(v1::TagResourcesResponse {
                ecs: ecs_info(&executed),
            })
        })
        .await
    }

    async fn list_tag_resources(
        &self,
        request: Request<v1::ListTagResourcesRequest>,
    ) -> Result<Response<v1::ListTagResourcesResponse>, Status> {
        const RPC: &str = "ListTagResources";
        self.handle(request, RPC, Repeat::AsDeclared, |call, req| async move {
            let executed = self
                .run(&call, self.requests.list_tag_resources(RPC, req)?)
                .await?;
            let page = &executed.response;
            let rows = page.tag_resources.iter().map(|row| v1::TaggedResource {
                resource_id: row.resource_id.clone(),
                resource_type: convert::resource_type(&row.resource_type).into(),
                tag: Some(v1::Tag {
                    key: row.tag_key.clone(),
                    value: row.tag_value.clone(),
                }),
            });
            Ok(v1::ListTagResourcesResponse {
                tag_resources: rows.collect(),
                next_token: page.next_token.clone().unwrap_or_default(),
                ecs: ecs_info(&executed),
            })
        })
        .await
    }
}

/// The read-back of DeleteAutoSnapshotPolicy: when an attempt whose outcome was unknown was
/// followed by a "does not exist", that attempt deleted the policy.
fn deleted_by_earlier_attempt(
    rpc: &'static str,
    error: BackendError,
) -> Result<Option<v1::EcsCallInfo>, Status> {
    if let BackendError::Ecs {
        error: ecs,
        attempts,
        earlier_ambiguous: true,
    } = &error
        && let Some(api) = ecs.api()
        && status::code_for_answer(api.code(), api.status(), api.message()) == Code::NotFound
    {
        tracing::info!(
            rpc,
            attempts,
            ecs_request_id = api.request_id(),
            "policy deleted by an earlier attempt"
        );
        let info = v1::EcsCallInfo {
            request_id: api.request_id().to_string(),
            attempts: *attempts,
        };
        return Ok(Some(info));
    }
    Err(status::from_backend(rpc, error))
}

#[cfg(test)]
mod tests;
