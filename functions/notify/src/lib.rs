//! The `notify` function (SQS `notifications`): sends each notification task to its destination
//! (Slack, Microsoft Teams, email), concurrently within the batch, and reports partial batch
//! failures. A failed send is a recorded attempt put back with a delay, not a failed record: a
//! record fails (and SQS redelivers it) only when its outcome could not be recorded. Every 15
//! minutes (EventBridge) it also sends the digests that fell due.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use faultline::queue::{batch_or_schedule, process_batch, DecodedBatch, NotifyTask};
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

/// Handles a scheduled run: sends every digest due now.
pub async fn handle_schedule(state: &AppState) -> Result<serde_json::Value, ServiceError> {
    let run = faultline::services::digest::send_due_digests(state, state.clock.now()).await?;
    tracing::info!(
        sent = run.sent,
        stale = run.stale,
        failed = run.failed,
        "digests"
    );
    Ok(serde_json::json!({"sent": run.sent, "stale": run.stale, "failed": run.failed}))
}

/// Handles whatever Lambda hands the function: an SQS batch (`Records`) or a schedule's event.
pub async fn handle_any(
    state: &AppState,
    event: serde_json::Value,
) -> Result<serde_json::Value, String> {
    batch_or_schedule(
        event,
        |batch| handle(state, batch),
        || handle_schedule(state),
    )
    .await
}
