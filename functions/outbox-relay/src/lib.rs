//! The `outbox-relay` function (every minute): publishes domain events whose publish right after
//! their write did not complete, so an accepted change never loses its event.

use faultline::services::outbox::relay_pending;
use faultline::AppState;
use serde_json::{json, Value};

/// Handles one scheduled invocation (the EventBridge event's content is not needed). An error makes
/// the scheduler retry, then park the invocation in the schedule's dead-letter queue.
pub async fn handle(state: &AppState, _scheduled: Value) -> Result<Value, lambda_runtime::Error> {
    let report = relay_pending(state).await?;
    faultline::metrics::Observation::new(&[("Function", "outbox-relay")])
        .count("RelayedEvents", report.published as u64)
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
    if report.found > 0 {
        tracing::warn!(
            found = report.found,
            published = report.published,
            "outbox relay published parked events"
        );
    }
    Ok(json!({
        "found": report.found,
        "published": report.published,
        "audit_found": report.audit_found,
        "audit_appended": report.audit_appended,
        "refusals_folded": report.refusals_folded,
    }))
}
