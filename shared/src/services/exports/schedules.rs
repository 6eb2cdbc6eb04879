//! Scheduled exports: the `export` function's schedule (every 5 minutes) starts an export for
//! every schedule due, claiming each run first so two runners never both make it; a finished
//! scheduled export is then delivered as its schedule says.

use super::{download_link, request_export, NewExport};
use crate::domain::export_schedule::{Delivery, MAX_ATTACHMENT_BYTES};
use crate::domain::{ExportJob, ExportSchedule, ExportScheduleId};
use crate::services::ServiceError;
use crate::AppState;
use chrono::{DateTime, Utc};
use lettre::message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart};

/// Schedules read a run.
const DUE_PER_RUN: usize = 500;

/// What a run of the schedule did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScheduleRun {
    /// Schedules due.
    pub due: usize,
    /// Exports started.
    pub started: usize,
    /// Runs another runner had claimed first.
    pub claimed_elsewhere: usize,
    /// Runs that could not start (tried again on the next tick).
    pub failed: usize,
}

/// Starts the export of every schedule due at `now`. A schedule whose runs were missed (the job
/// did not run for a while) runs once now, not once per missed run.
pub async fn run_due_schedules(
    state: &AppState,
    now: DateTime<Utc>,
) -> Result<ScheduleRun, ServiceError> {
    let mut run = ScheduleRun::default();
    for schedule in state.store.due_export_schedules(now, DUE_PER_RUN).await? {
        run.due += 1;
        let Some(claimed) = schedule.next_run_at else {
            continue;
        };
        let mut moved = schedule.clone();
        moved.next_run_at = schedule.next_after(now);
        moved.last_run_at = Some(now);
        if !state.store.claim_export_schedule(&moved, claimed).await? {
            run.claimed_elsewhere += 1;
            continue;
        }
        match start(state, &schedule, now).await {
            Ok(job) => {
                moved.last_export_id = Some(job.id.to_string());
                state.store.put_export_schedule(&moved).await?;
                run.started += 1;
            }
            Err(err) => {
                // Put the run back, so the next tick tries it again.
                tracing::warn!(schedule_id = %schedule.id, error = %err, "scheduled export not started");
                let mut back = moved;
                back.next_run_at = Some(claimed);
                state.store.put_export_schedule(&back).await?;
                run.failed += 1;
            }
        }
    }
    Ok(run)
}

async fn start(
    state: &AppState,
    schedule: &ExportSchedule,
    now: DateTime<Utc>,
) -> Result<ExportJob, String> {
    let new = NewExport {
        resource: schedule.resource,
        format: schedule.format,
        filters: schedule.filters_at(now),
        columns: schedule.columns.clone(),
        bom: schedule.bom,
        title: Some(format!("{} — {}", schedule.name, now.format("%Y-%m-%d"))),
        requested_by: format!("schedule:{}", schedule.id),
        schedule_id: Some(schedule.id.to_string()),
    };
    request_export(state, &schedule.tenant_id, new)
        .await
        .map_err(|e| e.to_string())
}

/// Delivers a finished scheduled export as its schedule says: what was done, for the job.
pub async fn deliver(state: &AppState, job: &ExportJob) -> Result<Option<String>, String> {
    let Some(id) = job.schedule_id.as_deref().and_then(ExportScheduleId::parse) else {
        return Ok(None);
    };
    let Some(schedule) = state
        .store
        .get_export_schedule(&job.tenant_id, &id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(Some("the schedule was deleted: not delivered".into()));
    };
    let key = job.object_key_for();
    match &schedule.delivery {
        Delivery::Webhook => Ok(Some("announced by export.completed".into())),
        Delivery::S3 { bucket, prefix } => {
            let to = format!("{prefix}{}", job.file_name());
            state
                .export_bucket
                .copy_to(&key, bucket, &to)
                .await
                .map_err(|e| e.to_string())?;
            Ok(Some(format!("copied to s3://{bucket}/{to}")))
        }
        Delivery::Email { recipients, attach } => {
            let from = state
                .config
                .email_from
                .clone()
                .ok_or("FAULTLINE_EMAIL_FROM is not set: no email can be sent")?;
            let attached = *attach && job.bytes <= MAX_ATTACHMENT_BYTES;
            let file = if attached {
                Some(
                    state
                        .export_bucket
                        .read(&key)
                        .await
                        .map_err(|e| e.to_string())?,
                )
            } else {
                None
            };
            let link = download_link(state, job, state.config.export_link_lifetime)
                .await
                .map_err(|e| e.to_string())?;
            let minutes = state.config.export_link_lifetime.as_secs() / 60;
            let link = link.map(|l| (l.url, minutes));
            let raw = email(&from, recipients, &schedule, job, file, link)?;
            crate::notify::email::send_raw(&state.ses, &from, recipients, raw)
                .await
                .map_err(|failure| failure.reason)?;
            Ok(Some(format!(
                "emailed to {} recipient(s), {}",
                recipients.len(),
                if attached { "attached" } else { "as a link" }
            )))
        }
    }
}

/// The email of a scheduled export: a line about it, the link, and the file when attached.
fn email(
    from: &str,
    to: &[String],
    schedule: &ExportSchedule,
    job: &ExportJob,
    file: Option<Vec<u8>>,
    link: Option<(String, u64)>,
) -> Result<Vec<u8>, String> {
    let mailbox = |a: &str| a.parse::<Mailbox>().map_err(|e| format!("`{a}`: {e}"));
    let mut text = format!(
        "{}: {} exported as {} ({} rows, {} bytes).\n",
        schedule.name,
        job.resource.as_str(),
        job.format.extension().to_uppercase(),
        job.rows,
        job.bytes
    );
    match (&file, link) {
        (Some(_), _) => text.push_str(&format!("The file is attached: {}\n", job.file_name())),
        (None, Some((url, minutes))) => text.push_str(&format!(
            "Download it (the link works for {minutes} minutes): {url}\n"
        )),
        (None, None) => {}
    }
    let mut builder = lettre::Message::builder()
        .from(mailbox(from)?)
        .subject(format!(
            "{} — {}",
            schedule.name,
            job.created_at.format("%Y-%m-%d")
        ));
    for address in to {
        builder = builder.to(mailbox(address)?);
    }
    let body = SinglePart::plain(text);
    let message = match file {
        Some(bytes) => {
            let content_type =
                ContentType::parse(job.format.content_type()).map_err(|e| e.to_string())?;
            builder.multipart(
                MultiPart::mixed()
                    .singlepart(body)
                    .singlepart(Attachment::new(job.file_name()).body(bytes, content_type)),
            )
        }
        None => builder.singlepart(body),
    }
    .map_err(|e| e.to_string())?;
    Ok(message.formatted())
}
