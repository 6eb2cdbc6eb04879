//! The `export` function (SQS `exports`, one task a batch): writes each export's file page by
//! page into an S3 multipart upload and records the outcome. A failed attempt is reported as a
//! failed record, so SQS hands the task back after its visibility timeout; the third failure
//! fails the export for good (`export.failed`).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use faultline::queue::{process_batch, DecodedBatch, ExportTask};
use faultline::services::exports::run_export;
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

/// Handles whatever Lambda hands the function: an SQS batch (`Records`).
pub async fn handle_any(
    state: &AppState,
    event: serde_json::Value,
) -> Result<serde_json::Value, String> {
    let batch = serde_json::from_value(event).map_err(|e| e.to_string())?;
    let response = Box::pin(handle(state, batch)).await;
    serde_json::to_value(response).map_err(|e| e.to_string())
}
