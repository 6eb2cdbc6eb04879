//! Exports: asked for through the API (or a schedule), written by the `export` function page by
//! page into an S3 multipart upload, tracked as a job, announced as `export.completed` or
//! `export.failed`.

mod rows;
pub mod schedules;

use super::ServiceError;
use crate::domain::export::{ExportFilters, FilterProblem};
use crate::domain::{DomainEvent, EventType, ExportId, ExportJob, ExportStatus, TenantId};
use crate::exports::{self, FileOptions, Finished, Format, PdfHeading, Resource, PART_SIZE};
use crate::queue::ExportTask;
use crate::AppState;
use chrono::{DateTime, Utc};
use rows::Rows;
use serde_json::json;
use std::io::Read;
use std::time::Duration;

/// Tries an export gets before it is failed for good (SQS hands a failed one back).
pub const ATTEMPTS: u32 = 3;

/// What is asked for.
#[derive(Clone, Debug)]
pub struct NewExport {
    /// The list.
    pub resource: Resource,
    /// The file format.
    pub format: Format,
    /// The list's filters.
    pub filters: ExportFilters,
    /// The columns (none: the resource's defaults).
    pub columns: Vec<String>,
    /// CSV: a byte-order mark.
    pub bom: bool,
    /// The PDF's title.
    pub title: Option<String>,
    /// Who asks.
    pub requested_by: String,
    /// The schedule asking, if one is.
    pub schedule_id: Option<String>,
}

/// Why an export was refused.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// Columns the resource does not offer.
    #[error("unknown columns: {}", .0.join(", "))]
    Columns(Vec<String>),
    /// A filter that does not apply or has a bad value.
    #[error("{}", .0 .1)]
    Filter(FilterProblem),
    /// The job could not be stored or queued.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// Checks `new`, stores it as a queued job and queues it for the `export` function.
pub async fn request_export(
    state: &AppState,
    tenant: &TenantId,
    new: NewExport,
) -> Result<ExportJob, RequestError> {
    new.filters
        .check(new.resource)
        .map_err(RequestError::Filter)?;
    let columns = exports::select(new.resource, &new.columns).map_err(RequestError::Columns)?;
    let mut job = ExportJob {
        id: ExportId::generate(),
        tenant_id: tenant.clone(),
        resource: new.resource,
        format: new.format,
        filters: new.filters,
        columns: columns.iter().map(|c| c.name.to_owned()).collect(),
        bom: new.bom,
        title: new.title,
        status: ExportStatus::Queued,
        rows: 0,
        bytes: 0,
        object_key: None,
        error: None,
        attempts: 0,
        delivery: None,
        requested_by: new.requested_by,
        schedule_id: new.schedule_id,
        created_at: state.clock.now(),
        started_at: None,
        finished_at: None,
    };
    state
        .store
        .create_export(&job)
        .await
        .map_err(ServiceError::from)?;
    let task = ExportTask {
        tenant_id: tenant.clone(),
        export_id: job.id.clone(),
    };
    if let Err(err) = state.exports.enqueue(&task).await {
        job.status = ExportStatus::Failed;
        job.error = Some("the export could not be queued; ask again".into());
        job.finished_at = Some(state.clock.now());
        state
            .store
            .put_export(&job)
            .await
            .map_err(ServiceError::from)?;
        return Err(ServiceError::from(err).into());
    }
    Ok(job)
}

/// What a run of the `export` function did with a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// Written: rows and bytes.
    Written { rows: u64, bytes: u64 },
    /// Failed for good (out of attempts), announced.
    Failed,
    /// Already finished, or gone: nothing to do.
    Nothing,
}

/// Writes the export `task` names. A failure puts the job back in the queue (the error is
/// returned, so SQS hands the task back) until its last attempt, which fails it for good.
pub async fn run_export(state: &AppState, task: &ExportTask) -> Result<RunOutcome, ServiceError> {
    let Some(mut job) = state
        .store
        .get_export(&task.tenant_id, &task.export_id)
        .await?
    else {
        return Ok(RunOutcome::Nothing);
    };
    if matches!(job.status, ExportStatus::Succeeded | ExportStatus::Failed) {
        return Ok(RunOutcome::Nothing);
    }
    job.status = ExportStatus::Running;
    job.attempts += 1;
    job.started_at = Some(state.clock.now());
    state.store.put_export(&job).await?;
    match write_file(state, &job).await {
        Ok((rows, bytes)) => {
            job.status = ExportStatus::Succeeded;
            job.rows = rows;
            job.bytes = bytes;
            job.object_key = Some(job.object_key_for());
            job.error = None;
            job.finished_at = Some(state.clock.now());
            job.delivery = match schedules::deliver(state, &job).await {
                Ok(done) => done,
                Err(why) => {
                    tracing::warn!(export_id = %job.id, error = %why, "scheduled export not delivered");
                    Some(format!("not delivered: {why}"))
                }
            };
            state.store.put_export(&job).await?;
            announce(state, &job).await?;
            Ok(RunOutcome::Written { rows, bytes })
        }
        Err(error) if job.attempts < ATTEMPTS => {
            job.status = ExportStatus::Queued;
            job.error = Some(error.clone());
            state.store.put_export(&job).await?;
            Err(ServiceError::Busy(format!("export {}: {error}", job.id)))
        }
        Err(error) => {
            job.status = ExportStatus::Failed;
            job.error = Some(error);
            job.finished_at = Some(state.clock.now());
            state.store.put_export(&job).await?;
            announce(state, &job).await?;
            Ok(RunOutcome::Failed)
        }
    }
}

/// Writes the job's file: rows and bytes, or why not (the upload is then aborted).
async fn write_file(state: &AppState, job: &ExportJob) -> Result<(u64, u64), String> {
    let columns = exports::select(job.resource, &job.columns)
        .map_err(|unknown| format!("unknown columns: {}", unknown.join(", ")))?;
    let mut upload = state
        .export_bucket
        .upload(&job.object_key_for(), job.format.content_type())
        .map_err(|e| e.to_string())?;
    let options = FileOptions {
        bom: job.bom,
        heading: PdfHeading {
            title: job.heading_title(),
            lines: heading_lines(job, state.clock.now()),
        },
    };
    let written = match fill(state, job, &columns, &options, &mut upload).await {
        Ok((rows, last)) => upload
            .complete(last)
            .await
            .map(|bytes| (rows, bytes))
            .map_err(|e| e.to_string()),
        Err(error) => Err(error),
    };
    if written.is_err() {
        if let Err(abort) = upload.abort().await {
            tracing::warn!(export_id = %job.id, error = %abort, "upload not aborted; the lifecycle rule removes it");
        }
    }
    written
}

/// Streams every row through the writer into `upload`: the rows, and the bytes of the last part.
async fn fill(
    state: &AppState,
    job: &ExportJob,
    columns: &[&'static exports::Column],
    options: &FileOptions,
    upload: &mut exports::Upload,
) -> Result<(u64, Vec<u8>), String> {
    let mut out = Vec::with_capacity(PART_SIZE + PART_SIZE / 4);
    let mut writer =
        exports::writer(job.format, columns, options, &mut out).map_err(|e| e.to_string())?;
    let mut rows = Rows::of(&state.store, job, columns);
    let mut count = 0u64;
    while let Some(page) = rows.next().await.map_err(|e| e.to_string())? {
        count += page.len() as u64;
        writer.rows(&page, &mut out).map_err(|e| e.to_string())?;
        if out.len() >= PART_SIZE {
            let part = std::mem::replace(&mut out, Vec::with_capacity(PART_SIZE + PART_SIZE / 4));
            upload.part(part).await.map_err(|e| e.to_string())?;
        }
    }
    match writer.finish(&mut out).map_err(|e| e.to_string())? {
        Finished::InBuffer => Ok((count, out)),
        Finished::OnDisk(mut file) => {
            // The buffer is empty for a file built on disk: send it a part at a time.
            loop {
                let mut part = Vec::with_capacity(PART_SIZE);
                let read = (&mut file)
                    .take(PART_SIZE as u64)
                    .read_to_end(&mut part)
                    .map_err(|e| e.to_string())?;
                if read < PART_SIZE {
                    return Ok((count, part));
                }
                upload.part(part).await.map_err(|e| e.to_string())?;
            }
        }
    }
}

/// The PDF cover's lines: the filters and when it was made.
fn heading_lines(job: &ExportJob, now: DateTime<Utc>) -> Vec<String> {
    let filters = job.filters.describe();
    vec![
        if filters.is_empty() {
            "Filters: none".to_owned()
        } else {
            format!("Filters: {}", filters.join(", "))
        },
        format!(
            "Generated {} for {} (export {})",
            now.format("%Y-%m-%d %H:%M UTC"),
            job.requested_by,
            job.id
        ),
    ]
}

/// A download link for a finished job, and when it stops working.
#[derive(Clone, Debug)]
pub struct DownloadLink {
    /// The presigned URL.
    pub url: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// A fresh link to `job`'s file, good for `lifetime`; none unless it succeeded.
pub async fn download_link(
    state: &AppState,
    job: &ExportJob,
    lifetime: Duration,
) -> Result<Option<DownloadLink>, ServiceError> {
    let (ExportStatus::Succeeded, Some(key)) = (job.status, &job.object_key) else {
        return Ok(None);
    };
    let url = state
        .export_bucket
        .download_link(key, &job.file_name(), lifetime)
        .await
        .map_err(|e| ServiceError::Export(e.to_string()))?;
    let expires_at = state.clock.now() + chrono::Duration::from_std(lifetime).unwrap_or_default();
    Ok(Some(DownloadLink { url, expires_at }))
}

/// Publishes `export.completed` (with a download link) or `export.failed`.
async fn announce(state: &AppState, job: &ExportJob) -> Result<(), ServiceError> {
    let link = download_link(state, job, state.config.export_link_lifetime).await?;
    let (event_type, status) = match job.status {
        ExportStatus::Succeeded => (EventType::ExportCompleted, "succeeded"),
        _ => (EventType::ExportFailed, "failed"),
    };
    let data = json!({
        "export_id": job.id,
        "resource": job.resource,
        "format": job.format,
        "status": status,
        "rows": job.rows,
        "bytes": job.bytes,
        "file_name": job.file_name(),
        "schedule_id": job.schedule_id,
        "delivery": job.delivery,
        "download_url": link.as_ref().map(|l| l.url.clone()),
        "download_expires_at": link.as_ref().map(|l| l.expires_at),
        "error": job.error,
    });
    let event = DomainEvent::new(job.tenant_id.clone(), event_type, data, state.clock.now());
    state.store.park_events(&[event]).await?;
    Ok(())
}
