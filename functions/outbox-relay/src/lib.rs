//! The `outbox-relay` function. Fed by the table's stream, it publishes every parked domain event
//! to the events queue, reporting the records whose publish failed so the stream hands them over
//! again. Every minute, on its schedule, it appends audit entries parked by requests that stopped
//! before settling them, and folds counted refusals into their chains.

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use faultline::services::outbox::{relay_pending, relay_stream};
use faultline::AppState;
use serde_json::{json, Value};

/// Handles one invocation: a batch of the table's stream records (`{"Records": [...]}`), or the
/// schedule's event. An error makes the scheduler retry, then park the invocation in the
/// schedule's dead-letter queue.
pub async fn handle(state: &AppState, event: Value) -> Result<Value, lambda_runtime::Error> {
    if event.get("Records").is_some() {
        let batch: StreamEvent = serde_json::from_value(event)?;
        return Ok(serde_json::to_value(handle_stream(state, &batch).await)?);
    }
    let report = relay_pending(state).await?;
    faultline::metrics::Observation::new(&[("Function", "outbox-relay")])
        .count("RelayedAuditEntries", report.audit_appended as u64)
        .count("FoldedRefusals", report.refusals_folded as u64)
        .emit();
    if report.audit_found > 0 {
        tracing::warn!(
            found = report.audit_found,
            appended = report.audit_appended,
            "outbox relay appended parked audit entries"
        );
    }
    Ok(json!({
        "audit_found": report.audit_found,
        "audit_appended": report.audit_appended,
        "refusals_folded": report.refusals_folded,
    }))
}

/// Publishes the events a stream batch parked; the failed records, for Lambda to hand over again
/// (`ReportBatchItemFailures`: from the first failed record on).
pub async fn handle_stream(state: &AppState, batch: &StreamEvent) -> DynamoDbEventResponse {
    let report = relay_stream(state, batch).await;
    faultline::metrics::Observation::new(&[("Function", "outbox-relay")])
        .count("RelayedEvents", report.published as u64)
        .count("RelayFailures", report.failed.len() as u64)
        .count("UndecodableEvents", report.undecodable as u64)
        .emit();
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = report
        .failed
        .into_iter()
        .map(|sequence| {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(sequence);
            failure
        })
        .collect();
    response
}
