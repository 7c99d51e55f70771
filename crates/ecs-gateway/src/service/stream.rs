//! StreamSnapshots: walks DescribeSnapshots pages while the client reads. Each page is one
//! rate-limited, retried ECS call; a slow reader holds back the next page (the channel holds
//! one page), and a reader that goes away stops the walk.

use std::sync::Arc;

use ecs_client::actions as ecs;
use ecs_gateway_api::v1;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::{convert, status};
use crate::backend::{CallContext, EcsBackend};

/// Largest page ECS serves for DescribeSnapshots.
const MAX_PAGE_SIZE: u32 = 100;

/// Starts the walk from the first page of `first`'s filters, `first.max_results` per page; the
/// stream ends after the last page or with the first error.
pub fn snapshots<B: EcsBackend>(
    backend: Arc<B>,
    call: CallContext,
    mut first: ecs::DescribeSnapshots,
) -> ReceiverStream<Result<v1::Snapshot, Status>> {
    let page_size = first
        .max_results
        .unwrap_or(MAX_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE);
    let (tx, rx) = mpsc::channel(page_size as usize);
    first.max_results = Some(page_size);
    first.next_token = None;
    tokio::spawn(walk(backend, call, first, tx));
    ReceiverStream::new(rx)
}

async fn walk<B: EcsBackend>(
    backend: Arc<B>,
    call: CallContext,
    mut page: ecs::DescribeSnapshots,
    tx: mpsc::Sender<Result<v1::Snapshot, Status>>,
) {
    loop {
        let executed = match backend.execute(&call, page.clone()).await {
            Ok(executed) => executed,
            Err(error) => {
                let _closed = tx.send(Err(status::from_backend(call.rpc, error))).await;
                return;
            }
        };

        for snapshot in &executed.response.snapshots {
            if tx.send(Ok(convert::snapshot(snapshot))).await.is_err() {
                return;
            }
        }
        match executed
            .response
            .next_token
            .filter(|token| !token.is_empty())
        {
            Some(token) => page.next_token = Some(token),
            None => return,
        }
    }
}
