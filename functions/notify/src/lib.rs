//! The `notify` function (SQS `notifications`): sends each notification task to its destination
//! (Slack, Microsoft Teams, email), concurrently within the batch, and reports partial batch
//! failures. A failed send is a recorded attempt put back with a delay, not a failed record: a
//! record fails (and SQS redelivers it) only when its outcome could not be recorded.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use faultline::queue::{process_batch, DecodedBatch, NotifyTask};
use faultline::services::notify::notify;
use faultline::services::ServiceError;
use faultline::AppState;

/// Handles one batch of notification tasks.
pub async fn handle(state: &AppState, event: SqsEvent) -> SqsBatchResponse {
    let batch = DecodedBatch::<NotifyTask>::decode(event);
    process_batch(batch, |_, task| {
        let state = state.clone();
        async move {
            let outcome = notify(&state, &task).await?;
            tracing::info!(
                event_id = %task.event.id,
                destination_id = %task.destination_id,
                attempt = task.attempt,
                outcome = ?outcome,
                "notification handled"
            );
            Ok::<_, ServiceError>(())
        }
    })
    .await
}
