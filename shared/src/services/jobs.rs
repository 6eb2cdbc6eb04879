//! What the scheduled jobs (the Sentry sync, the log scan) share: when a run must stop, and
//! the alarm a job raises when it keeps failing.

use crate::domain::job::{JobFailure, JobHealth};
use crate::domain::{DomainEvent, EventType, TenantId};
use crate::store::StoreError;
use crate::AppState;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;

/// Time kept back from a function's deadline to save the checkpoint and answer.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

/// When a run must stop, given the invocation's deadline (ms since the epoch, as the Lambda
/// runtime gives it): that deadline less [`DEADLINE_MARGIN`].
pub fn run_deadline(deadline_epoch_ms: u64) -> Instant {
    let now_ms = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
    let left = Duration::from_millis(deadline_epoch_ms.saturating_sub(now_ms));
    Instant::now() + left.saturating_sub(DEADLINE_MARGIN)
}

/// Parks a `system.error` (needs a person) or `system.warning` event for a job that keeps
/// failing.
pub async fn raise_alarm(
    state: &AppState,
    job: &str,
    tenant: &TenantId,
    resource: &impl std::fmt::Display,
    health: &JobHealth,
    how: JobFailure,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let event_type = match how {
        JobFailure::Broken => EventType::SystemError,
        JobFailure::Degraded => EventType::SystemWarning,
    };
    let data = json!({
        "job": job,
        "resource_id": resource.to_string(),
        "message": health.last_error,
        "consecutive_failures": health.consecutive_failures,
        "last_success_at": health.last_success_at,
    });
    state
        .store
        .park_events(&[DomainEvent::new(tenant.clone(), event_type, data, now)])
        .await
}
