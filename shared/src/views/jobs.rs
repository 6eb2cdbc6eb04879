//! How the scheduled jobs are doing, as the API shows it.

use crate::domain::log_source::LogScanState;
use crate::domain::sentry_config::SentrySyncState;
use crate::domain::{JobHealth, LogSource};
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

/// A log source.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LogSourceView {
    /// `lsrc_…`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The log group's name or ARN.
    pub log_group: String,
    /// The role assumed to read it.
    pub role_arn: Option<String>,
    /// The external id given with it.
    pub external_id: Option<String>,
    /// The CloudWatch Logs filter pattern.
    pub filter_pattern: String,
    /// The project its issues belong to.
    pub project_id: Option<String>,
    /// The service its issues name.
    pub service: String,
    /// The environment its issues name.
    pub environment: Option<String>,
    /// Whether it is scanned.
    pub enabled: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// How its scan is doing (shown on a single source).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan: Option<LogScanView>,
}

/// Where a log source's scan stands.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LogScanView {
    /// Events up to this time were read.
    pub checkpoint: Option<DateTime<Utc>>,
    /// A window was cut short and resumes at the next run.
    pub window_in_progress: bool,
    /// The job's last outcomes.
    pub health: JobHealthView,
}

impl LogSourceView {
    /// The view of `source`, with its scan state when given.
    pub fn of(source: &LogSource, scan: Option<&LogScanState>) -> Self {
        Self {
            id: source.id.to_string(),
            name: source.name.clone(),
            log_group: source.log_group.clone(),
            role_arn: source.role_arn.clone(),
            external_id: source.external_id.clone(),
            filter_pattern: source.filter_pattern.clone(),
            project_id: source.project_id.as_ref().map(ToString::to_string),
            service: source.service_name(),
            environment: source.environment.clone(),
            enabled: source.enabled,
            created_at: source.created_at,
            updated_at: source.updated_at,
            scan: scan.map(|scan| LogScanView {
                checkpoint: scan
                    .checkpoint_ms
                    .and_then(|ms| chrono::TimeZone::timestamp_millis_opt(&Utc, ms).single()),
                window_in_progress: scan.window.is_some(),
                health: JobHealthView::from(&scan.health),
            }),
        }
    }
}
