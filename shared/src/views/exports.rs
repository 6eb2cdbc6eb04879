//! Export jobs as the API shows them.

use crate::domain::export_schedule::Delivery;
use crate::domain::{ExportFilters, ExportJob, ExportSchedule, ExportStatus};
use crate::exports::{Format, Resource};
use crate::services::exports::DownloadLink;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// An export: what it lists, how far it got, and (once written) a link to download it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ExportView {
    /// `exp_…`.
    pub id: String,
    /// `incidents`, `issues`, `messages` or `audit`.
    pub resource: Resource,
    /// `csv`, `json`, `ndjson`, `xlsx` or `pdf`.
    pub format: Format,
    /// The list's filters.
    pub filters: ExportFilters,
    /// The columns, in order.
    pub columns: Vec<String>,
    /// CSV: starts with a UTF-8 byte-order mark.
    pub bom: bool,
    /// The PDF's title, when one was given.
    pub title: Option<String>,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: ExportStatus,
    /// Rows written.
    pub rows: u64,
    /// The file's size in bytes.
    pub bytes: u64,
    /// The name the download is saved under.
    pub file_name: String,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// Attempts made (at most 3).
    pub attempts: u32,
    /// Who asked for it.
    pub requested_by: String,
    /// The schedule that made it.
    pub schedule_id: Option<String>,
    /// How a scheduled export was delivered (emailed, copied), or why it was not.
    pub delivery: Option<String>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When the last attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it succeeded or failed.
    pub finished_at: Option<DateTime<Utc>>,
    /// A presigned link to the file (only in `GET /v1/exports/{id}` once it succeeded; signed
    /// afresh on every request).
    pub download_url: Option<String>,
    /// When `download_url` stops working.
    pub download_expires_at: Option<DateTime<Utc>>,
}

impl ExportView {
    /// The view of `job`, with `link` when one was signed.
    pub fn of(job: &ExportJob, link: Option<DownloadLink>) -> Self {
        Self {
            id: job.id.to_string(),
            resource: job.resource,
            format: job.format,
            filters: job.filters.clone(),
            columns: job.columns.clone(),
            bom: job.bom,
            title: job.title.clone(),
            status: job.status,
            rows: job.rows,
            bytes: job.bytes,
            file_name: job.file_name(),
            error: job.error.clone(),
            attempts: job.attempts,
            requested_by: job.requested_by.clone(),
            schedule_id: job.schedule_id.clone(),
            delivery: job.delivery.clone(),
            created_at: job.created_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
            download_expires_at: link.as_ref().map(|l| l.expires_at),
            download_url: link.map(|l| l.url),
        }
    }
}

/// A scheduled export.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ExportScheduleView {
    /// `xsch_…`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What each run lists.
    pub resource: Resource,
    /// The file format.
    pub format: Format,
    /// The list's filters (each run adds its window).
    pub filters: ExportFilters,
    /// The columns.
    pub columns: Vec<String>,
    /// CSV: a byte-order mark.
    pub bom: bool,
    /// When it runs: a five-field cron pattern…
    pub cron: String,
    /// …in this IANA time zone.
    pub time_zone: String,
    /// Each run covers the days before it.
    pub window_days: u32,
    /// Where the file goes.
    pub delivery: Delivery,
    /// Whether it runs.
    pub enabled: bool,
    /// Its next run (`null` while disabled).
    pub next_run_at: Option<DateTime<Utc>>,
    /// Its last run.
    pub last_run_at: Option<DateTime<Utc>>,
    /// The export its last run made (`exp_…`).
    pub last_export_id: Option<String>,
    /// Who made it.
    pub created_by: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<&ExportSchedule> for ExportScheduleView {
    fn from(s: &ExportSchedule) -> Self {
        Self {
            id: s.id.to_string(),
            name: s.name.clone(),
            resource: s.resource,
            format: s.format,
            filters: s.filters.clone(),
            columns: s.columns.clone(),
            bom: s.bom,
            cron: s.cron.clone(),
            time_zone: s.time_zone.clone(),
            window_days: s.window_days,
            delivery: s.delivery.clone(),
            enabled: s.enabled,
            next_run_at: s.next_run_at,
            last_run_at: s.last_run_at,
            last_export_id: s.last_export_id.clone(),
            created_by: s.created_by.clone(),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}
