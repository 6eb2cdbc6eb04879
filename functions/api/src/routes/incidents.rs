use faultline::auth::{Principal, Scope};
use faultline::domain::{IncidentId, ManualStatus, Severity, SignalKind, Source};
use faultline::http::{
    checked_name, decode_body, json_response, nullable, page_request, page_response, path_id,
    query_param, require_scope, time_param, ApiError,
};
use faultline::services::incidents::{change_incident, ChangeError};
use faultline::store::IncidentFilters;
use faultline::AppState;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

/// One of `allowed`, or a 400 naming them.
fn choice(req: &Request, name: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match query_param(req, name) {
        Some(value) if !allowed.contains(&value.as_str()) => Err(ApiError::bad_parameter(
            name,
            format!("`{name}` must be one of {}", allowed.join(", ")),
        )),
        other => Ok(other),
    }
}

fn filters(req: &Request, kind: Option<SignalKind>) -> Result<IncidentFilters, ApiError> {
    let severity = query_param(req, "severity");
    if let Some(name) = &severity {
        Severity::parse(name).ok_or_else(|| {
            ApiError::bad_parameter(
                "severity",
                format!("`severity` must be one of {}", Severity::NAMES),
            )
        })?;
    }
    let source = query_param(req, "source");
    if let Some(name) = &source {
        Source::parse(name)
            .ok_or_else(|| ApiError::bad_parameter("source", format!("unknown source `{name}`")))?;
    }
    let oldest_first = matches!(
        choice(req, "sort", &["-created_at", "created_at"])?.as_deref(),
        Some("created_at")
    );
    Ok(IncidentFilters {
        status: choice(req, "status", &["open", "acknowledged", "resolved"])?,
        severity,
        source,
        project_id: query_param(req, "project_id"),
        service: query_param(req, "service"),
        kind: match kind {
            Some(SignalKind::Issue) => Some("issue".into()),
            Some(SignalKind::Alert) => Some("alert".into()),
            None => choice(req, "kind", &["alert", "issue"])?,
        },
        since: time_param(req, "since")?,
        until: time_param(req, "until")?,
        text: query_param(req, "q").filter(|q| !q.trim().is_empty()),
        oldest_first,
    })
}

/// List incidents.
///
/// Incidents (alerts) and issues, newest first (`sort=created_at` for oldest first). Filters
/// narrow a page after it is read, so a page may hold fewer than `limit` items: follow
/// `next_cursor`. Scope: `incidents:read`.
#[utoipa::path(
    get,
    path = "/v1/incidents",
    tag = "incidents",
    operation_id = "list_incidents",
    params(
        ("status" = Option<String>, Query, description = "`open`, `acknowledged` or `resolved`"),
        ("severity" = Option<String>, Query, description = "`critical`, `high`, `medium`, `low` or `info`"),
        ("source" = Option<String>, Query, description = "`generic`, `github`, `pagerduty`, `sentry` or `slack`"),
        ("kind" = Option<String>, Query, description = "`alert` (incidents) or `issue`"),
        ("project_id" = Option<String>, Query, description = "Only this project's (`prj_…`)"),
        ("service" = Option<String>, Query, description = "Only this service's"),
        ("since" = Option<String>, Query, description = "Opened at or after this RFC 3339 time"),
        ("until" = Option<String>, Query, description = "Opened at or before this RFC 3339 time"),
        ("q" = Option<String>, Query, description = "Words the title contains, case-insensitive"),
        ("sort" = Option<String>, Query, description = "`-created_at` (default, newest first) or `created_at`"),
        faultline::http::openapi::PageQuery,
    ),
    responses((status = 200, description = "A page of incidents", body = faultline::http::openapi::ItemList)),
)]
pub async fn list(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    list_kind(state, principal, req, None).await
}

/// List issues.
///
/// Error-tracker issues only (Sentry), with the same filters as incidents. Scope:
/// `incidents:read`.
#[utoipa::path(
    get,
    path = "/v1/issues",
    tag = "incidents",
    operation_id = "list_issues",
    params(
        ("status" = Option<String>, Query, description = "`open`, `acknowledged` or `resolved`"),
        ("severity" = Option<String>, Query, description = "`critical`, `high`, `medium`, `low` or `info`"),
        ("project_id" = Option<String>, Query, description = "Only this project's (`prj_…`)"),
        ("since" = Option<String>, Query, description = "Opened at or after this RFC 3339 time"),
        ("until" = Option<String>, Query, description = "Opened at or before this RFC 3339 time"),
        ("q" = Option<String>, Query, description = "Words the title contains, case-insensitive"),
        ("sort" = Option<String>, Query, description = "`-created_at` (default) or `created_at`"),
        faultline::http::openapi::PageQuery,
    ),
    responses((status = 200, description = "A page of issues", body = faultline::http::openapi::ItemList)),
)]
pub async fn list_issues(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    list_kind(state, principal, req, Some(SignalKind::Issue)).await
}

async fn list_kind(
    state: &AppState,
    principal: &Principal,
    req: &Request,
    kind: Option<SignalKind>,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::IncidentsRead)?;
    let filters = filters(req, kind)?;
    let page = state
        .store
        .list_incidents_filtered(tenant, &filters, &page_request(req)?)
        .await?;
    Ok(page_response(page.map(|i| i.to_json())))
}

async fn find(
    state: &AppState,
    principal: &Principal,
    req: &Request,
    kind: Option<SignalKind>,
) -> Result<faultline::domain::Incident, ApiError> {
    let tenant = require_scope(principal, Scope::IncidentsRead)?;
    let what = if kind == Some(SignalKind::Issue) {
        "issue"
    } else {
        "incident"
    };
    let id = path_id(req, "id", what, IncidentId::parse)?;
    state
        .store
        .get_incident(tenant, &id)
        .await?
        .filter(|i| kind.is_none_or(|k| i.kind == k))
        .ok_or_else(|| ApiError::not_found(what, id.as_str()))
}

/// Get an incident.
///
/// An incident or issue by id. Scope: `incidents:read`.
#[utoipa::path(
    get,
    path = "/v1/incidents/{id}",
    tag = "incidents",
    operation_id = "get_incident",
    params(("id" = String, Path, description = "The incident (`inc_…`)")),
    responses((status = 200, description = "The incident", body = Object)),
)]
pub async fn get(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let incident = find(state, principal, req, None).await?;
    Ok(json_response(StatusCode::OK, &incident.to_json()))
}

/// Get an issue.
///
/// An error-tracker issue by id (404 for an incident that is not an issue). Scope:
/// `incidents:read`.
#[utoipa::path(
    get,
    path = "/v1/issues/{id}",
    tag = "incidents",
    operation_id = "get_issue",
    params(("id" = String, Path, description = "The issue (`inc_…`)")),
    responses((status = 200, description = "The issue", body = Object)),
)]
pub async fn get_issue(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let incident = find(state, principal, req, Some(SignalKind::Issue)).await?;
    Ok(json_response(StatusCode::OK, &incident.to_json()))
}

/// An incident's timeline.
///
/// Oldest first; every line says why the signal landed there. Scope: `incidents:read`.
#[utoipa::path(
    get,
    path = "/v1/incidents/{id}/timeline",
    tag = "incidents",
    operation_id = "get_incident_timeline",
    params(
        ("id" = String, Path, description = "The incident (`inc_…`)"),
        faultline::http::openapi::PageQuery,
    ),
    responses((status = 200, description = "A page of timeline entries", body = faultline::http::openapi::ItemList)),
)]
pub async fn timeline(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let incident = find(state, principal, req, None).await?;
    let page = state
        .store
        .incident_timeline(&incident.tenant_id, &incident.id, &page_request(req)?)
        .await?;
    Ok(page_response(page.map(|entry| serde_json::json!(entry))))
}

/// A person's change to an incident.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateIncident {
    /// `acknowledged`, `resolved` or `reopened`.
    #[schema(value_type = Option<String>)]
    status: Option<ManualStatus>,
    /// Who owns it (1–200 characters); `null` unassigns.
    #[serde(default, deserialize_with = "nullable")]
    assignee: Option<Option<String>>,
}

/// Change an incident.
///
/// Acknowledge, resolve or reopen it, and/or (un)assign it. Each change adds a timeline line and
/// emits its event (`incident.updated` for acknowledged and reopened, `incident.resolved`,
/// `incident.assigned`; `issue.*` for issues). Scope: `incidents:write`.
#[utoipa::path(
    patch,
    path = "/v1/incidents/{id}",
    tag = "incidents",
    operation_id = "update_incident",
    params(("id" = String, Path, description = "The incident (`inc_…`)")),
    request_body = UpdateIncident,
    responses((status = 200, description = "The incident after the change, and what changed", body = Object)),
)]
pub async fn update(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::IncidentsWrite)?;
    let id = path_id(req, "id", "incident", IncidentId::parse)?;
    let body: UpdateIncident = decode_body(req)?;
    let assignee = match body.assignee {
        Some(Some(who)) => Some(Some(checked_name("assignee", &who)?)),
        other => other,
    };
    let actor = match principal {
        Principal::Tenant { subject, .. } => subject.to_string(),
        Principal::PlatformAdmin => "the platform admin".into(),
    };
    let (incident, changes) = change_incident(state, tenant, &id, body.status, assignee, &actor)
        .await
        .map_err(|err| match err {
            ChangeError::Refused(refused) => ApiError::validation("status", refused.to_string()),
            ChangeError::Store(store) => store.into(),
        })?
        .ok_or_else(|| ApiError::not_found("incident", id.as_str()))?;
    let mut body = incident.to_json();
    body["changes"] = serde_json::json!(changes
        .iter()
        .map(|c| faultline::services::ingest::IngestChange::Applied(*c).as_str())
        .collect::<Vec<_>>());
    Ok(json_response(StatusCode::OK, &body))
}

/// Get an error event.
///
/// One occurrence of an error-tracker issue, with its exceptions and stack traces (innermost 50
/// frames), tags, release and environment, and the `incident_id` of the issue it belongs to: as
/// Sentry's `error` and `event_alert` webhooks deliver it. Scope: `incidents:read`.
#[utoipa::path(
    get,
    path = "/v1/events/{id}",
    tag = "incidents",
    operation_id = "get_error_event",
    params(("id" = String, Path, description = "The tracker's event id (32 hex digits for Sentry)")),
    responses((status = 200, description = "The event", body = Object)),
)]
pub async fn get_event(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::IncidentsRead)?;
    let id = path_id(req, "id", "event", |raw| {
        (!raw.is_empty()
            && raw.len() <= 64
            && raw.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
        .then(|| raw.to_ascii_lowercase())
    })?;
    let event = state
        .store
        .get_error_event(tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("event", &id))?;
    Ok(json_response(StatusCode::OK, &event.to_json()))
}
