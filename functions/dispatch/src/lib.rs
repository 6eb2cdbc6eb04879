//! The `dispatch` function (SQS `deliveries`): delivers each task's signed webhook, concurrently
//! within the batch over one pooled client, and reports partial batch failures.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use faultline::domain::DeliveryTask;
use faultline::queue::process_batch;
use faultline::services::delivery::dispatch;
use faultline::services::ServiceError;
use faultline::AppState;

/// Handles one batch of delivery tasks. A task fails (and SQS redelivers it) only when its outcome
/// could not be recorded or its successor not queued; a failed POST is a recorded attempt, not a
/// failed task.
pub async fn handle(state: &AppState, event: SqsEvent) -> SqsBatchResponse {
    process_batch(event, |record| {
        let state = state.clone();
        async move {
            let body = record.body.unwrap_or_default();
            let task: DeliveryTask =
                serde_json::from_str(&body).map_err(|e| ServiceError::Malformed(e.to_string()))?;
            dispatch(&state, &task).await?;
            Ok::<_, ServiceError>(())
        }
    })
    .await
}
