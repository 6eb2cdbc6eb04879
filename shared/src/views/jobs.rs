//! How the scheduled jobs are doing, as the API shows it.

use crate::domain::sentry_config::SentrySyncState;
use crate::domain::JobHealth;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A job's last outcomes.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct JobHealthView {
    /// When it last ran.
    pub last_run_at: Option<DateTime<Utc>>,
    /// When a run last finished without error.
    pub last_success_at: Option<DateTime<Utc>>,
    /// What the last failed run said.
    pub last_error: Option<String>,
    /// When that was.
    pub last_error_at: Option<DateTime<Utc>>,
    /// Failed runs since the last success (at 3, a `system.error` or `system.warning` event).
    pub consecutive_failures: u32,
}

impl From<&JobHealth> for JobHealthView {
    fn from(health: &JobHealth) -> Self {
        Self {
            last_run_at: health.last_run_at,
            last_success_at: health.last_success_at,
            last_error: health.last_error.clone(),
            last_error_at: health.last_error_at,
            consecutive_failures: health.consecutive_failures,
        }
    }
}

/// Where a Sentry configuration's sync stands.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SentrySyncView {
    /// The configuration (`scfg_…`).
    pub config_id: String,
    /// Issues are synced up to this `lastSeen`.
    pub watermark: Option<DateTime<Utc>>,
    /// A pass was cut short and resumes at the next run.
    pub pass_in_progress: bool,
    /// When the hub's open issues were last read back from Sentry in full.
    pub reconciled_at: Option<DateTime<Utc>>,
    /// Sentry asked the hub to wait until then.
    pub paused_until: Option<DateTime<Utc>>,
    /// The job's last outcomes.
    pub health: JobHealthView,
}

impl SentrySyncView {
    /// The view of `state`, for configuration `config_id`.
    pub fn of(config_id: &str, state: &SentrySyncState) -> Self {
        Self {
            config_id: config_id.to_owned(),
            watermark: state.watermark,
            pass_in_progress: state.pass.is_some(),
            reconciled_at: state.reconciled_at,
            paused_until: state.paused_until,
            health: JobHealthView::from(&state.health),
        }
    }
}
