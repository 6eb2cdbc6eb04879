//! The `export` function (SQS `exports`, one task a batch): writes each export's file page by
//! page into an S3 multipart upload and records the outcome. A failed attempt is reported as a
//! failed record, so SQS hands the task back after its visibility timeout; the third failure
//! fails the export for good (`export.failed`). Every 5 minutes (EventBridge) it also starts the
//! scheduled exports that fell due; a scheduled export is delivered once written.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use faultline::queue::{batch_or_schedule, process_batch, DecodedBatch, ExportTask};
use faultline::services::exports::run_export;
use faultline::services::exports::schedules::run_due_schedules;
use faultline::services::ServiceError;
use faultline::AppState;

/// Handles one batch of export tasks.
pub async fn handle(state: &AppState, event: SqsEvent) -> SqsBatchResponse {
    let batch = DecodedBatch::<ExportTask>::decode(event);
    process_batch(batch, |_, task| {
        let state = state.clone();
        async move {
            let outcome = run_export(&state, &task).await?;
            tracing::info!(export_id = %task.export_id, outcome = ?outcome, "export handled");
            Ok::<_, ServiceError>(())
        }
    })
    .await
}

/// Handles a scheduled run: starts the export of every scheduled export due now.
pub async fn handle_schedule(state: &AppState) -> Result<serde_json::Value, ServiceError> {
    let run = run_due_schedules(state, state.clock.now()).await?;
    tracing::info!(
        due = run.due,
        started = run.started,
        claimed_elsewhere = run.claimed_elsewhere,
        failed = run.failed,
        "scheduled exports"
    );
    serde_json::to_value(run).map_err(|e| ServiceError::Malformed(e.to_string()))
}

/// Handles whatever Lambda hands the function: an SQS batch (`Records`) or the schedule's event.
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
