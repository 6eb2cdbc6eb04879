//! Log sources: the CloudWatch Logs groups the `cloudwatch-scan` job reads every minute, each
//! scannable on demand.

use super::projects::find as find_project;
use axum::extract::State;
use faultline::domain::log_source::{
    check_external_id, check_log_group, check_role_arn, DEFAULT_FILTER_PATTERN,
};
use faultline::domain::{LogSource, LogSourceId, ProjectId, TenantId};
use faultline::http::scopes::{IntegrationsRead, IntegrationsWrite};
use faultline::http::{
    checked_environment, checked_name, nullable, ApiError, Audited, Authorized, Json, Page, Path,
};
use faultline::logs::FilterPattern;
use faultline::services::log_scan::{scan_source, ScanReport};
use faultline::views::{LogSourcePage, LogSourceView};
use faultline::AppState;
use serde::Deserialize;
use std::time::Duration;
use tokio::time::Instant;

/// How long an on-demand scan may run (the schedule resumes what is left).
const ON_DEMAND_BUDGET: Duration = Duration::from_secs(20);

/// A new log source.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLogSource {
    /// Display name, 1–200 characters.
    name: String,
    /// The log group: `/aws/lambda/checkout`, or its ARN
    /// (`arn:aws:logs:<region>:<account>:log-group:<name>`, for a group shared with this
    /// account through CloudWatch cross-account observability).
    log_group: String,
    /// A role in the group's account to assume for reading it (its trust policy names this
    /// deployment's account; it needs `logs:FilterLogEvents` on the group).
    #[serde(default)]
    role_arn: Option<String>,
    /// The external id the role's trust policy asks for.
    #[serde(default)]
    external_id: Option<String>,
    /// A CloudWatch Logs filter pattern (default `?ERROR ?Exception ?Traceback`): terms, quoted
    /// phrases, `?` alternatives, `-` exclusions, `{ $.level = "ERROR" }` JSON conditions.
    #[serde(default)]
    filter_pattern: Option<String>,
    /// The project its issues belong to (`prj_…`).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    project_id: Option<ProjectId>,
    /// The service its issues name (default: the group's last path segment).
    #[serde(default)]
    service: Option<String>,
    /// The environment its issues name.
    #[serde(default)]
    environment: Option<String>,
    /// Whether it is scanned (default true).
    #[serde(default)]
    enabled: Option<bool>,
}

/// Changes to a log source; absent fields stay as they are, `null` clears an optional one.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLogSource {
    name: Option<String>,
    log_group: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    role_arn: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    external_id: Option<Option<String>>,
    filter_pattern: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    project_id: Option<Option<ProjectId>>,
    #[serde(default, deserialize_with = "nullable")]
    service: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    environment: Option<Option<String>>,
    enabled: Option<bool>,
}

fn checked_group(group: &str) -> Result<String, ApiError> {
    check_log_group(group.trim())
        .map(|()| group.trim().to_owned())
        .map_err(|e| ApiError::validation("log_group", format!("`log_group`: {e}")))
}

fn checked_role(role: &str) -> Result<String, ApiError> {
    check_role_arn(role.trim())
        .map(|()| role.trim().to_owned())
        .map_err(|e| ApiError::validation("role_arn", format!("`role_arn` {e}")))
}

fn checked_external_id(id: &str) -> Result<String, ApiError> {
    check_external_id(id)
        .map(|()| id.to_owned())
        .map_err(|e| ApiError::validation("external_id", format!("`external_id` {e}")))
}

fn checked_pattern(pattern: &str) -> Result<String, ApiError> {
    FilterPattern::parse(pattern)
        .map(|_| pattern.trim().to_owned())
        .map_err(|e| ApiError::validation("filter_pattern", format!("`filter_pattern`: {e}")))
}

fn checked_service(service: &str) -> Result<String, ApiError> {
    checked_name("service", service)
}

async fn checked_project(
    state: &AppState,
    tenant: &TenantId,
    id: Option<ProjectId>,
) -> Result<Option<ProjectId>, ApiError> {
    match id {
        Some(id) => Ok(Some(find_project(state, tenant, &id).await?.id)),
        None => Ok(None),
    }
}

async fn find(
    state: &AppState,
    tenant: &TenantId,
    id: &LogSourceId,
) -> Result<LogSource, ApiError> {
    state
        .store
        .get_log_source(tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("log source", id.as_str()))
}

/// Create a log source.
///
/// The `cloudwatch-scan` job reads it every minute from now on (the first run looks 5 minutes
/// back). Scope: `integrations:write`.
#[utoipa::path(
    post,
    path = "/v1/log-sources",
    tag = "log-sources",
    operation_id = "create_log_source",
    request_body = CreateLogSource,
    responses((status = 201, description = "The log source", body = LogSourceView)),
)]
pub async fn create(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IntegrationsWrite>,
    Json(body): Json<CreateLogSource>,
) -> Result<Audited, ApiError> {
    let now = state.clock.now();
    let source = LogSource {
        id: LogSourceId::generate(),
        tenant_id: tenant.clone(),
        name: checked_name("name", &body.name)?,
        log_group: checked_group(&body.log_group)?,
        role_arn: body.role_arn.as_deref().map(checked_role).transpose()?,
        external_id: body
            .external_id
            .as_deref()
            .map(checked_external_id)
            .transpose()?,
        filter_pattern: checked_pattern(
            body.filter_pattern
                .as_deref()
                .unwrap_or(DEFAULT_FILTER_PATTERN),
        )?,
        project_id: checked_project(&state, &tenant, body.project_id).await?,
        service: body.service.as_deref().map(checked_service).transpose()?,
        environment: body
            .environment
            .as_deref()
            .map(|e| checked_environment("environment", e))
            .transpose()?,
        enabled: body.enabled.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    state.store.create_log_source(&source).await?;
    Ok(Audited::created(
        "log-sources",
        &source.id,
        &LogSourceView::of(&source, None),
    ))
}

/// List log sources.
///
/// Oldest first. Scope: `integrations:read`.
#[utoipa::path(
    get,
    path = "/v1/log-sources",
    tag = "log-sources",
    operation_id = "list_log_sources",
    params(faultline::http::openapi::PageQuery),
    responses((status = 200, description = "A page of log sources", body = LogSourcePage)),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IntegrationsRead>,
    Page(page): Page,
) -> Result<Json<LogSourcePage>, ApiError> {
    let page = state.store.list_log_sources(&tenant, &page).await?;
    Ok(Json(page.map(|s| LogSourceView::of(&s, None)).into()))
}

/// Get a log source.
///
/// With how its scan stands: the checkpoint, and the job's last success and last error.
/// Scope: `integrations:read`.
#[utoipa::path(
    get,
    path = "/v1/log-sources/{id}",
    tag = "log-sources",
    operation_id = "get_log_source",
    params(("id" = String, Path, description = "The log source (`lsrc_…`)")),
    responses((status = 200, description = "The log source", body = LogSourceView)),
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IntegrationsRead>,
    Path(id): Path<LogSourceId>,
) -> Result<Json<LogSourceView>, ApiError> {
    let source = find(&state, &tenant, &id).await?;
    let scan = state.store.log_scan_state(&source).await?;
    Ok(Json(LogSourceView::of(&source, Some(&scan))))
}

/// Change a log source.
///
/// Only the fields given change. Its checkpoint stays (a new group or pattern is read from where
/// the old one stopped). Scope: `integrations:write`.
#[utoipa::path(
    patch,
    path = "/v1/log-sources/{id}",
    tag = "log-sources",
    operation_id = "update_log_source",
    params(("id" = String, Path, description = "The log source (`lsrc_…`)")),
    request_body = UpdateLogSource,
    responses((status = 200, description = "The changed log source", body = LogSourceView)),
)]
pub async fn update(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IntegrationsWrite>,
    Path(id): Path<LogSourceId>,
    Json(body): Json<UpdateLogSource>,
) -> Result<Audited, ApiError> {
    let mut source = find(&state, &tenant, &id).await?;
    let before = LogSourceView::of(&source, None);
    if let Some(name) = body.name {
        source.name = checked_name("name", &name)?;
    }
    if let Some(group) = body.log_group {
        source.log_group = checked_group(&group)?;
    }
    if let Some(role) = body.role_arn {
        source.role_arn = role.as_deref().map(checked_role).transpose()?;
    }
    if let Some(id) = body.external_id {
        source.external_id = id.as_deref().map(checked_external_id).transpose()?;
    }
    if let Some(pattern) = body.filter_pattern {
        source.filter_pattern = checked_pattern(&pattern)?;
    }
    if let Some(project) = body.project_id {
        source.project_id = checked_project(&state, &tenant, project).await?;
    }
    if let Some(service) = body.service {
        source.service = service.as_deref().map(checked_service).transpose()?;
    }
    if let Some(environment) = body.environment {
        source.environment = environment
            .as_deref()
            .map(|e| checked_environment("environment", e))
            .transpose()?;
    }
    if let Some(enabled) = body.enabled {
        source.enabled = enabled;
    }
    source.updated_at = state.clock.now();
    match state.store.update_log_source(&source).await {
        Ok(()) => Ok(Audited::updated(
            "log-sources",
            &source.id,
            &before,
            &LogSourceView::of(&source, None),
        )),
        Err(faultline::store::StoreError::Conflict) => {
            Err(ApiError::not_found("log source", id.as_str()))
        }
        Err(other) => Err(other.into()),
    }
}

/// Remove a log source.
///
/// Its issues stay. Scope: `integrations:write`.
#[utoipa::path(
    delete,
    path = "/v1/log-sources/{id}",
    tag = "log-sources",
    operation_id = "delete_log_source",
    params(("id" = String, Path, description = "The log source (`lsrc_…`)")),
    responses((status = 204, description = "Removed")),
)]
pub async fn delete(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IntegrationsWrite>,
    Path(id): Path<LogSourceId>,
) -> Result<Audited, ApiError> {
    let source = find(&state, &tenant, &id).await?;
    state.store.delete_log_source(&tenant, &id).await?;
    Ok(Audited::deleted(
        "log-sources",
        &source.id,
        &LogSourceView::of(&source, None),
    ))
}

/// Scan a log source now.
///
/// Runs the scan the schedule runs, for up to 20 seconds, from the same checkpoint, and
/// answers what it did (a disabled source is scanned too: this is how to try one before
/// enabling it). Scope: `integrations:write`.
#[utoipa::path(
    post,
    path = "/v1/log-sources/{id}/scan",
    tag = "log-sources",
    operation_id = "scan_log_source",
    params(("id" = String, Path, description = "The log source (`lsrc_…`)")),
    responses((status = 200, description = "What the scan did", body = ScanReport)),
)]
pub async fn scan(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IntegrationsWrite>,
    Path(id): Path<LogSourceId>,
) -> Result<Json<ScanReport>, ApiError> {
    let source = find(&state, &tenant, &id).await?;
    let report = scan_source(&state, &source, Instant::now() + ON_DEMAND_BUDGET).await?;
    Ok(Json(report))
}
