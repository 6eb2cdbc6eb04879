//! The `dispatch` function (SQS `deliveries`): delivers each task's signed webhook, concurrently
//! within the batch over one pooled client, and reports partial batch failures.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use faultline::domain::DeliveryTask;
use faultline::queue::process_batch;
use faultline::services::delivery::{dispatch_with, BatchLookups};
use faultline::services::ServiceError;
use faultline::AppState;
use std::sync::Arc;

/// Handles one batch of delivery tasks. A task fails (and SQS redelivers it) only when its outcome
/// could not be recorded or its successor not queued; a failed POST is a recorded attempt, not a
/// failed task.
pub async fn handle(state: &AppState, event: SqsEvent) -> SqsBatchResponse {
    let tasks: Vec<DeliveryTask> = event
        .records
        .iter()
        .filter_map(|r| serde_json::from_str(r.body.as_deref()?).ok())
        .collect();
    // One read per endpoint and message of the batch; if that fails, each task reads its own.
    let lookups = Arc::new(BatchLookups::load(state, &tasks).await.unwrap_or_default());
    process_batch(event, |record| {
        let state = state.clone();
        let lookups = lookups.clone();
        async move {
            let body = record.body.unwrap_or_default();
            let task: DeliveryTask =
                serde_json::from_str(&body).map_err(|e| ServiceError::Malformed(e.to_string()))?;
            dispatch_with(&state, &task, &lookups).await?;
            Ok::<_, ServiceError>(())
        }
    })
    .await
}
