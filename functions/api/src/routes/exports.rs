//! Exports: a list written to a file by the `export` function, downloaded through a presigned
//! link signed afresh on each request.

use axum::extract::State;
use faultline::domain::{ExportFilters, ExportId, ExportJob, Principal, Scope, TenantId};
use faultline::exports::{Format, Resource};
use faultline::http::{require_scope, require_tenant, ApiError, Audited, Json, Page, Path, Query};
use faultline::services::exports::{download_link, request_export, NewExport, RequestError};
use faultline::views::{ExportPage, ExportView};
use faultline::AppState;
use http::StatusCode;
use serde::Deserialize;
use std::time::Duration;

/// A new export.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateExport {
    /// `incidents`, `issues`, `messages` (the delivery ledger) or `audit`.
    resource: Resource,
    /// `csv`, `json`, `ndjson`, `xlsx` or `pdf`.
    format: Format,
    /// The list API's filters (each resource takes its own list's).
    #[serde(default)]
    filters: Option<ExportFilters>,
    /// The columns, in order: the list's field names (`endpoints_by_status.failed` for a
    /// nested one). Default: the resource's usual columns.
    #[serde(default)]
    columns: Option<Vec<String>>,
    /// CSV: start with a UTF-8 byte-order mark, so Excel reads accents right (default false).
    #[serde(default)]
    bom: Option<bool>,
    /// The PDF's title, 1–200 characters (default: the resource and the date).
    #[serde(default)]
    title: Option<String>,
}

/// The options of `GET /v1/exports/{id}`.
#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    /// How long the download link works, in seconds.
    expires_in: Option<u64>,
}

/// The scope reading `resource`'s list takes.
pub(super) fn read_scope(resource: Resource) -> Scope {
    match resource {
        Resource::Incidents | Resource::Issues => Scope::IncidentsRead,
        Resource::Messages => Scope::EndpointsRead,
        Resource::Audit => Scope::AuditRead,
    }
}

/// The caller's tenant, when it may read `resource`.
fn reader(principal: &Principal, resource: Resource) -> Result<&TenantId, ApiError> {
    require_scope(principal, read_scope(resource))
}

/// The caller's tenant, when it may read at least one exportable list (403 naming
/// `incidents:read` otherwise).
pub(super) fn any_reader(principal: &Principal) -> Result<&TenantId, ApiError> {
    let tenant = require_tenant(principal)?;
    let readers = [Scope::IncidentsRead, Scope::EndpointsRead, Scope::AuditRead];
    if readers.iter().any(|s| principal.scopes().contains(s)) {
        Ok(tenant)
    } else {
        Err(ApiError::MissingScope(Scope::IncidentsRead))
    }
}

fn problem(err: RequestError) -> ApiError {
    match err {
        RequestError::Columns(unknown) => ApiError::validation(
            "columns",
            format!("`columns`: not offered: {}", unknown.join(", ")),
        ),
        RequestError::Filter((field, detail)) => {
            ApiError::validation(format!("filters.{field}"), detail)
        }
        RequestError::Service(service) => service.into(),
    }
}

/// Export a list.
///
/// Queues an export of incidents, issues, the delivery ledger or the audit log, filtered as the
/// list API filters, as CSV, JSON, NDJSON, XLSX or PDF. Answers `202` with the job; poll
/// `GET /v1/exports/{id}` (or subscribe to `export.completed`) for the download link. Scope:
/// the list's read scope (`incidents:read`, `endpoints:read` or `audit:read`).
#[utoipa::path(
    post,
    path = "/v1/exports",
    tag = "exports",
    operation_id = "create_export",
    request_body = CreateExport,
    responses((status = 202, description = "The queued export", body = ExportView)),
)]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<CreateExport>,
) -> Result<Audited, ApiError> {
    let tenant = reader(&principal, body.resource)?.clone();
    let title = body
        .title
        .as_deref()
        .map(|t| faultline::http::checked_name("title", t))
        .transpose()?;
    let new = NewExport {
        resource: body.resource,
        format: body.format,
        filters: body.filters.unwrap_or_default(),
        columns: body.columns.unwrap_or_default(),
        bom: body.bom.unwrap_or(false),
        title,
        requested_by: principal
            .subject()
            .map_or_else(|| "platform_admin".into(), ToString::to_string),
        schedule_id: None,
    };
    let job = request_export(&state, &tenant, new)
        .await
        .map_err(problem)?;
    let view = ExportView::of(&job, None);
    Ok(Audited::action(
        StatusCode::ACCEPTED,
        &view,
        "exports",
        &job.id,
        &serde_json::Value::Null,
        &view,
    ))
}

/// List exports.
///
/// Newest first; only exports of lists the caller may read. Scope: the read scope of each
/// export's list.
#[utoipa::path(
    get,
    path = "/v1/exports",
    tag = "exports",
    operation_id = "list_exports",
    params(faultline::http::openapi::PageQuery),
    responses((status = 200, description = "A page of exports", body = ExportPage)),
)]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Page(page): Page,
) -> Result<Json<ExportPage>, ApiError> {
    let tenant = any_reader(&principal)?;
    let found = state.store.list_exports(tenant, &page).await?;
    let readable = |job: &ExportJob| principal.scopes().contains(&read_scope(job.resource));
    Ok(Json(
        faultline::store::Page {
            items: found
                .items
                .iter()
                .filter(|job| readable(job))
                .map(|job| ExportView::of(job, None))
                .collect(),
            next_cursor: found.next_cursor,
        }
        .into(),
    ))
}

/// Get an export.
///
/// Its progress, and once it succeeded a download link signed now, working for `expires_in`
/// seconds (default `FAULTLINE_EXPORT_LINK_MINUTES`, 60 minutes; at most 7 days — a link signed
/// with a Lambda role's temporary credentials stops working when they expire, often sooner).
/// Scope: the read scope of the export's list.
#[utoipa::path(
    get,
    path = "/v1/exports/{id}",
    tag = "exports",
    operation_id = "get_export",
    params(
        ("id" = String, Path, description = "The export (`exp_…`)"),
        ("expires_in" = Option<u64>, Query, description = "How long the download link works, in seconds (60 to 604800)"),
    ),
    responses((status = 200, description = "The export", body = ExportView)),
)]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<ExportId>,
    Query(query): Query<LinkQuery>,
) -> Result<Json<ExportView>, ApiError> {
    let lifetime = match query.expires_in {
        None => state.config.export_link_lifetime,
        Some(secs @ 60..=604_800) => Duration::from_secs(secs),
        Some(_) => {
            return Err(ApiError::bad_parameter(
                "expires_in",
                "`expires_in` must be 60 to 604800 seconds (7 days)",
            ))
        }
    };
    let tenant = any_reader(&principal)?;
    let job = state
        .store
        .get_export(tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("export", id.as_str()))?;
    reader(&principal, job.resource)?;
    let link = download_link(&state, &job, lifetime).await?;
    Ok(Json(ExportView::of(&job, link)))
}
