//! The `sentry-sync` function. On its schedule (every 5 minutes) it pulls, for every active
//! Sentry configuration with an auth token, the issues Sentry changed since the configuration's
//! watermark, and reads the hub's open Sentry issues back now and then to close what was resolved
//! in Sentry. It stops cleanly before its deadline; the next run resumes from the checkpoint.

use faultline::services::sentry_sync::sync_all;
use faultline::AppState;
use serde_json::{json, Value};
use tokio::time::Instant;

/// Runs every configuration until `deadline`. Failures of one configuration are recorded on it
/// (and alarm when they keep coming); only a failing table fails the run.
pub async fn handle(state: &AppState, deadline: Instant) -> Result<Value, lambda_runtime::Error> {
    let reports = sync_all(state, deadline).await?;
    let total = |field: fn(&faultline::services::sentry_sync::SyncReport) -> u32| {
        reports.iter().map(field).sum::<u32>()
    };
    faultline::metrics::Observation::new(&[("Function", "sentry-sync")])
        .count("SentryCalls", u64::from(total(|r| r.sentry_calls)))
        .count("IssuesRead", u64::from(total(|r| r.issues_read)))
        .count("IssuesCreated", u64::from(total(|r| r.created)))
        .count(
            "IssuesChanged",
            u64::from(total(|r| r.updated + r.resolved + r.assigned)),
        )
        .count(
            "StoppedEarly",
            reports.iter().filter(|r| r.stopped.is_some()).count() as u64,
        )
        .emit();
    Ok(json!({ "configurations": reports }))
}
