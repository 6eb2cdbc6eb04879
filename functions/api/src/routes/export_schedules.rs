//! Scheduled exports: an export made by a cron pattern (or daily, weekly, monthly at a local
//! time) over the days before each run, delivered by email, webhook or into the customer's S3
//! bucket.

use super::exports::read_scope;
use axum::extract::State;
use faultline::domain::export_schedule::{cron_for, Delivery, Every};
use faultline::domain::schedule::CronSchedule;
use faultline::domain::{ExportFilters, ExportSchedule, ExportScheduleId, Principal, Scope};
use faultline::exports::{select, Format, Resource};
use faultline::http::{checked_name, require_scope, ApiError, Audited, Json, Page, Path};
use faultline::views::{ExportScheduleList, ExportScheduleView};
use faultline::AppState;
use serde::Deserialize;

/// When a schedule runs, as asked: `cron`, or `every` with `at`, `weekday`, `day_of_month`;
/// in `time_zone`.
struct When {
    cron: Option<String>,
    every: Option<Every>,
    at: Option<String>,
    weekday: Option<String>,
    day_of_month: Option<u8>,
    time_zone: Option<String>,
}

macro_rules! when_of {
    ($body:expr) => {
        When {
            cron: $body.cron.clone(),
            every: $body.every,
            at: $body.at.clone(),
            weekday: $body.weekday.clone(),
            day_of_month: $body.day_of_month,
            time_zone: $body.time_zone.clone(),
        }
    };
}

impl When {
    fn any(&self) -> bool {
        self.cron.is_some() || self.every.is_some() || self.time_zone.is_some()
    }

    /// The cron pattern and zone, checked.
    fn resolve(&self, current: Option<(&str, &str)>) -> Result<(String, String), ApiError> {
        let cron = match (&self.cron, self.every) {
            (Some(_), Some(_)) => {
                return Err(ApiError::validation(
                    "cron",
                    "give `cron` or `every`, not both",
                ))
            }
            (Some(cron), None) => cron.trim().to_owned(),
            (None, Some(every)) => cron_for(
                every,
                self.at.as_deref().unwrap_or("07:00"),
                self.weekday.as_deref(),
                self.day_of_month,
            )
            .map_err(|(field, detail)| ApiError::validation(field, detail))?,
            (None, None) => match current {
                Some((cron, _)) => cron.to_owned(),
                None => {
                    return Err(ApiError::validation(
                        "cron",
                        "say when it runs: `cron`, or `every` (`day`, `week`, `month`)",
                    ))
                }
            },
        };
        let zone = self
            .time_zone
            .clone()
            .or_else(|| current.map(|(_, zone)| zone.to_owned()))
            .unwrap_or_else(|| "UTC".to_owned());
        CronSchedule::parse(&cron, &zone).map_err(|detail| {
            let field = if detail.contains("time_zone") {
                "time_zone"
            } else {
                "cron"
            };
            ApiError::validation(field, detail)
        })?;
        Ok((cron, zone))
    }
}

/// A new scheduled export.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateExportSchedule {
    /// Display name, 1–200 characters (also the email's subject and the PDF's title).
    name: String,
    /// `incidents`, `issues`, `messages` or `audit`.
    resource: Resource,
    /// `csv`, `json`, `ndjson`, `xlsx` or `pdf`.
    format: Format,
    /// The list's filters, without `since`/`until` (each run covers `window_days`).
    #[serde(default)]
    filters: Option<ExportFilters>,
    /// The columns (default: the resource's usual ones).
    #[serde(default)]
    columns: Option<Vec<String>>,
    /// CSV: a UTF-8 byte-order mark.
    #[serde(default)]
    bom: Option<bool>,
    /// When it runs: a five-field cron pattern (`0 7 * * MON`)…
    #[serde(default)]
    cron: Option<String>,
    /// …or `day`, `week` or `month`…
    #[serde(default)]
    every: Option<Every>,
    /// …at `HH:MM` (default `07:00`)…
    #[serde(default)]
    at: Option<String>,
    /// …on this weekday (`every: week`; default Monday)…
    #[serde(default)]
    weekday: Option<String>,
    /// …or this day of the month (`every: month`; 1–28, default 1)…
    #[serde(default)]
    day_of_month: Option<u8>,
    /// …in this IANA time zone (default `UTC`).
    #[serde(default)]
    time_zone: Option<String>,
    /// Each run covers the days before it: 1–366 (default 7).
    #[serde(default)]
    window_days: Option<u32>,
    /// `{"kind": "email", "recipients": [...], "attach": true}`, `{"kind": "webhook"}` or
    /// `{"kind": "s3", "bucket": "...", "prefix": "..."}`.
    delivery: Delivery,
    /// Whether it runs (default true).
    #[serde(default)]
    enabled: Option<bool>,
}

/// Changes to a scheduled export; absent fields stay as they are.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateExportSchedule {
    name: Option<String>,
    format: Option<Format>,
    filters: Option<ExportFilters>,
    columns: Option<Vec<String>>,
    bom: Option<bool>,
    /// When it runs: a five-field cron pattern (`0 7 * * MON`)…
    #[serde(default)]
    cron: Option<String>,
    /// …or `day`, `week` or `month`…
    #[serde(default)]
    every: Option<Every>,
    /// …at `HH:MM` (default `07:00`)…
    #[serde(default)]
    at: Option<String>,
    /// …on this weekday (`every: week`; default Monday)…
    #[serde(default)]
    weekday: Option<String>,
    /// …or this day of the month (`every: month`; 1–28, default 1)…
    #[serde(default)]
    day_of_month: Option<u8>,
    /// …in this IANA time zone (default `UTC`).
    #[serde(default)]
    time_zone: Option<String>,
    window_days: Option<u32>,
    delivery: Option<Delivery>,
    enabled: Option<bool>,
}

/// The caller's tenant, when it may read `resource` and say where data is sent
/// (`notifications:write`).
fn manager(
    principal: &Principal,
    resource: Resource,
) -> Result<faultline::domain::TenantId, ApiError> {
    require_scope(principal, Scope::NotificationsWrite)?;
    Ok(require_scope(principal, read_scope(resource))?.clone())
}

fn checked_filters(filters: ExportFilters, resource: Resource) -> Result<ExportFilters, ApiError> {
    if filters.since.is_some() || filters.until.is_some() {
        return Err(ApiError::validation(
            "filters.since",
            "a schedule's runs cover `window_days`: no `since` or `until`",
        ));
    }
    filters
        .check(resource)
        .map_err(|(field, detail)| ApiError::validation(format!("filters.{field}"), detail))?;
    Ok(filters)
}

fn checked_columns(resource: Resource, columns: Vec<String>) -> Result<Vec<String>, ApiError> {
    select(resource, &columns)
        .map(|chosen| chosen.iter().map(|c| c.name.to_owned()).collect())
        .map_err(|unknown| {
            ApiError::validation(
                "columns",
                format!("`columns`: not offered: {}", unknown.join(", ")),
            )
        })
}

fn checked_window(days: u32) -> Result<u32, ApiError> {
    (1..=366)
        .contains(&days)
        .then_some(days)
        .ok_or_else(|| ApiError::validation("window_days", "`window_days` must be 1 to 366"))
}

fn checked_delivery(delivery: Delivery) -> Result<Delivery, ApiError> {
    delivery
        .check()
        .map_err(|(field, detail)| ApiError::validation(field, detail))?;
    Ok(delivery)
}

async fn find(
    state: &AppState,
    principal: &Principal,
    id: &ExportScheduleId,
) -> Result<ExportSchedule, ApiError> {
    let tenant = super::exports::any_reader(principal)?;
    let schedule = state
        .store
        .get_export_schedule(tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("export schedule", id.as_str()))?;
    require_scope(principal, read_scope(schedule.resource))?;
    Ok(schedule)
}

/// Create a scheduled export.
///
/// Runs by `cron` or `every` day/week/month in `time_zone`; each run exports the
/// `window_days` before it and delivers the file. A run missed while the job was not running is
/// made once, not once per missed run. Scope: `notifications:write` and the list's read scope.
#[utoipa::path(
    post,
    path = "/v1/export-schedules",
    tag = "exports",
    operation_id = "create_export_schedule",
    request_body = CreateExportSchedule,
    responses((status = 201, description = "The schedule", body = ExportScheduleView)),
)]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<CreateExportSchedule>,
) -> Result<Audited, ApiError> {
    let tenant = manager(&principal, body.resource)?;
    let (cron, time_zone) = when_of!(body).resolve(None)?;
    let now = state.clock.now();
    let mut schedule = ExportSchedule {
        id: ExportScheduleId::generate(),
        tenant_id: tenant,
        name: checked_name("name", &body.name)?,
        resource: body.resource,
        format: body.format,
        filters: checked_filters(body.filters.unwrap_or_default(), body.resource)?,
        columns: checked_columns(body.resource, body.columns.unwrap_or_default())?,
        bom: body.bom.unwrap_or(false),
        cron,
        time_zone,
        window_days: checked_window(body.window_days.unwrap_or(7))?,
        delivery: checked_delivery(body.delivery)?,
        enabled: body.enabled.unwrap_or(true),
        next_run_at: None,
        last_run_at: None,
        last_export_id: None,
        created_by: principal
            .subject()
            .map_or_else(|| "platform_admin".into(), ToString::to_string),
        created_at: now,
        updated_at: now,
    };
    schedule.next_run_at = schedule.next_after(now);
    state.store.create_export_schedule(&schedule).await?;
    Ok(Audited::created(
        "export-schedules",
        &schedule.id,
        &ExportScheduleView::from(&schedule),
    ))
}

/// List scheduled exports.
///
/// Oldest first; only those of lists the caller may read. Scope: the lists' read scopes.
#[utoipa::path(
    get,
    path = "/v1/export-schedules",
    tag = "exports",
    operation_id = "list_export_schedules",
    params(faultline::http::openapi::PageQuery),
    responses((status = 200, description = "A page of schedules", body = ExportScheduleList)),
)]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Page(page): Page,
) -> Result<Json<ExportScheduleList>, ApiError> {
    let tenant = super::exports::any_reader(&principal)?;
    let found = state.store.list_export_schedules(tenant, &page).await?;
    Ok(Json(ExportScheduleList {
        items: found
            .items
            .iter()
            .filter(|s| principal.scopes().contains(&read_scope(s.resource)))
            .map(ExportScheduleView::from)
            .collect(),
        next_cursor: found.next_cursor,
    }))
}

/// Get a scheduled export.
///
/// With its next run, last run and the export that run made. Scope: the list's read scope.
#[utoipa::path(
    get,
    path = "/v1/export-schedules/{id}",
    tag = "exports",
    operation_id = "get_export_schedule",
    params(("id" = String, Path, description = "The schedule (`xsch_…`)")),
    responses((status = 200, description = "The schedule", body = ExportScheduleView)),
)]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<ExportScheduleId>,
) -> Result<Json<ExportScheduleView>, ApiError> {
    let schedule = find(&state, &principal, &id).await?;
    Ok(Json(ExportScheduleView::from(&schedule)))
}

/// Change a scheduled export.
///
/// Absent fields stay; a new `cron`/`every`/`time_zone` or `enabled` recomputes the next run.
/// Scope: `notifications:write` and the list's read scope.
#[utoipa::path(
    patch,
    path = "/v1/export-schedules/{id}",
    tag = "exports",
    operation_id = "update_export_schedule",
    params(("id" = String, Path, description = "The schedule (`xsch_…`)")),
    request_body = UpdateExportSchedule,
    responses((status = 200, description = "The schedule", body = ExportScheduleView)),
)]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<ExportScheduleId>,
    Json(body): Json<UpdateExportSchedule>,
) -> Result<Audited, ApiError> {
    let before = find(&state, &principal, &id).await?;
    manager(&principal, before.resource)?;
    let mut after = before.clone();
    if let Some(name) = &body.name {
        after.name = checked_name("name", name)?;
    }
    if let Some(format) = body.format {
        after.format = format;
    }
    if let Some(filters) = body.filters {
        after.filters = checked_filters(filters, after.resource)?;
    }
    if let Some(columns) = body.columns {
        after.columns = checked_columns(after.resource, columns)?;
    }
    if let Some(bom) = body.bom {
        after.bom = bom;
    }
    if let Some(days) = body.window_days {
        after.window_days = checked_window(days)?;
    }
    if let Some(delivery) = body.delivery {
        after.delivery = checked_delivery(delivery)?;
    }
    let now = state.clock.now();
    let when = when_of!(body);
    let rescheduled = when.any() || body.enabled.is_some();
    if when.any() {
        (after.cron, after.time_zone) = when.resolve(Some((&before.cron, &before.time_zone)))?;
    }
    if let Some(enabled) = body.enabled {
        after.enabled = enabled;
    }
    if rescheduled {
        after.next_run_at = after.next_after(now);
    }
    after.updated_at = now;
    state.store.update_export_schedule(&after).await?;
    Ok(Audited::updated(
        "export-schedules",
        &id,
        &ExportScheduleView::from(&before),
        &ExportScheduleView::from(&after),
    ))
}

/// Delete a scheduled export.
///
/// Exports it made stay. Scope: `notifications:write` and the list's read scope.
#[utoipa::path(
    delete,
    path = "/v1/export-schedules/{id}",
    tag = "exports",
    operation_id = "delete_export_schedule",
    params(("id" = String, Path, description = "The schedule (`xsch_…`)")),
    responses((status = 204, description = "Deleted")),
)]
pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<ExportScheduleId>,
) -> Result<Audited, ApiError> {
    let schedule = find(&state, &principal, &id).await?;
    let tenant = manager(&principal, schedule.resource)?;
    state.store.delete_export_schedule(&tenant, &id).await?;
    Ok(Audited::deleted(
        "export-schedules",
        &id,
        &ExportScheduleView::from(&schedule),
    ))
}
