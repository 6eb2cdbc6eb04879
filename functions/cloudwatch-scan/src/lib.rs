//! The `cloudwatch-scan` function. Every minute it reads each enabled log source's group with
//! `FilterLogEvents` from its checkpoint to now less the ingestion lag, applies the filter
//! pattern again, reassembles multi-line records, and folds repeats of each error into its
//! issue. It stops cleanly before its deadline; the next run resumes from the checkpoint.

use faultline::services::log_scan::{scan_all, ScanReport};
use faultline::AppState;
use serde_json::{json, Value};
use tokio::time::Instant;

/// Scans every enabled source until `deadline`. A source's failure is recorded on it (and alarms
/// when it keeps failing); only a failing table fails the run.
pub async fn handle(state: &AppState, deadline: Instant) -> Result<Value, lambda_runtime::Error> {
    let reports = scan_all(state, deadline).await?;
    let total = |field: fn(&ScanReport) -> u64| reports.iter().map(field).sum::<u64>();
    faultline::metrics::Observation::new(&[("Function", "cloudwatch-scan")])
        .count("FilterLogEventsCalls", total(|r| u64::from(r.calls)))
        .count("EventsRead", total(|r| r.events_read))
        .count("RecordsMatched", total(|r| r.records_matched))
        .count("IssuesCreated", total(|r| u64::from(r.issues_created)))
        .count(
            "StoppedEarly",
            reports.iter().filter(|r| r.stopped.is_some()).count() as u64,
        )
        .emit();
    Ok(json!({ "log_sources": reports }))
}
