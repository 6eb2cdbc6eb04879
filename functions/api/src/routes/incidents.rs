use axum::extract::State;
use chrono::{DateTime, Utc};
use faultline::domain::Principal;
use faultline::domain::{
    Incident, IncidentId, IncidentStatus, ManualStatus, ProjectId, Severity, SignalKind, Source,
    TenantId,
};
use faultline::http::scopes::{IncidentsRead, IncidentsWrite};
use faultline::http::{
    checked_name, nullable, ApiError, Audited, Authorized, Json, Page, Path, Query,
};
use faultline::services::incidents::{change_incident, ChangeError};
use faultline::store::{IncidentFilters, PageRequest};
use faultline::views::{
    wire_name, ChangedIncidentView, ErrorEventView, IncidentDetailView, IncidentPage, IncidentView,
    TimelinePage,
};
use faultline::AppState;
use http::StatusCode;
use serde::Deserialize;

/// The order of a list: newest first (the default) or oldest first.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub enum Sort {
    /// Newest first.
    #[default]
    #[serde(rename = "-created_at")]
    NewestFirst,
    /// Oldest first.
    #[serde(rename = "created_at")]
    OldestFirst,
}

/// The filters of `GET /v1/incidents` and `GET /v1/issues`.
#[derive(Debug, Deserialize)]
pub struct IncidentQuery {
    status: Option<IncidentStatus>,
    severity: Option<Severity>,
    source: Option<Source>,
    kind: Option<SignalKind>,
    project_id: Option<ProjectId>,
    service: Option<String>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    q: Option<String>,
    #[serde(default)]
    sort: Sort,
}

impl IncidentQuery {
    /// The store's filters; `kind` fixed for the issue routes.
    fn filters(self, kind: Option<SignalKind>) -> IncidentFilters {
        IncidentFilters {
            status: self.status.map(wire_name),
            severity: self.severity.map(wire_name),
            source: self.source.map(|s| s.as_str().to_owned()),
            project_id: self.project_id.map(|p| p.to_string()),
            service: self.service,
            kind: kind.or(self.kind).map(wire_name),
            since: self.since,
            until: self.until,
            text: self.q.filter(|q| !q.trim().is_empty()),
            oldest_first: matches!(self.sort, Sort::OldestFirst),
        }
    }
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
    responses((status = 200, description = "A page of incidents", body = IncidentPage)),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IncidentsRead>,
    Query(query): Query<IncidentQuery>,
    Page(page): Page,
) -> Result<Json<IncidentPage>, ApiError> {
    list_filtered(&state, &tenant, query.filters(None), &page).await
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
    responses((status = 200, description = "A page of issues", body = IncidentPage)),
)]
pub async fn list_issues(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IncidentsRead>,
    Query(query): Query<IncidentQuery>,
    Page(page): Page,
) -> Result<Json<IncidentPage>, ApiError> {
    let filters = query.filters(Some(SignalKind::Issue));
    list_filtered(&state, &tenant, filters, &page).await
}

async fn list_filtered(
    state: &AppState,
    tenant: &TenantId,
    filters: IncidentFilters,
    page: &PageRequest,
) -> Result<Json<IncidentPage>, ApiError> {
    let page = state
        .store
        .list_incidents_filtered(tenant, &filters, page)
        .await?;
    Ok(Json(page.map(|i| IncidentView::from(&i)).into()))
}

pub(super) async fn find(
    state: &AppState,
    tenant: &TenantId,
    id: &IncidentId,
    kind: Option<SignalKind>,
) -> Result<Incident, ApiError> {
    let what = if kind == Some(SignalKind::Issue) {
        "issue"
    } else {
        "incident"
    };
    state
        .store
        .get_incident(tenant, id)
        .await?
        .filter(|i| kind.is_none_or(|k| i.kind == k))
        .ok_or_else(|| ApiError::not_found(what, id.as_str()))
}

/// Get an incident.
///
/// An incident or issue by id, with the tickets and pages the hub keeps for it (`tickets`: a
/// Jira or GitHub issue, a PagerDuty alert, one per destination). Scope: `incidents:read`.
#[utoipa::path(
    get,
    path = "/v1/incidents/{id}",
    tag = "incidents",
    operation_id = "get_incident",
    params(("id" = String, Path, description = "The incident (`inc_…`)")),
    responses((status = 200, description = "The incident, with its tickets and pages", body = IncidentDetailView)),
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IncidentsRead>,
    Path(id): Path<IncidentId>,
) -> Result<Json<IncidentDetailView>, ApiError> {
    let incident = find(&state, &tenant, &id, None).await?;
    let tickets = faultline::services::notify::tickets_of(&state, &tenant, &id).await?;
    Ok(Json(IncidentDetailView {
        incident: IncidentView::from(&incident),
        tickets,
    }))
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
    responses((status = 200, description = "The issue", body = IncidentView)),
)]
pub async fn get_issue(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IncidentsRead>,
    Path(id): Path<IncidentId>,
) -> Result<Json<IncidentView>, ApiError> {
    let incident = find(&state, &tenant, &id, Some(SignalKind::Issue)).await?;
    Ok(Json(IncidentView::from(&incident)))
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
    responses((status = 200, description = "A page of timeline entries", body = TimelinePage)),
)]
pub async fn timeline(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IncidentsRead>,
    Path(id): Path<IncidentId>,
    Page(page): Page,
) -> Result<Json<TimelinePage>, ApiError> {
    let incident = find(&state, &tenant, &id, None).await?;
    let page = state
        .store
        .incident_timeline(&incident.tenant_id, &incident.id, &page)
        .await?;
    Ok(Json(page.into()))
}

/// A person's change to an incident.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIncident {
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
    responses((status = 200, description = "The incident after the change, and what changed", body = ChangedIncidentView)),
)]
pub async fn update(
    State(state): State<AppState>,
    Authorized {
        tenant, principal, ..
    }: Authorized<IncidentsWrite>,
    Path(id): Path<IncidentId>,
    Json(body): Json<UpdateIncident>,
) -> Result<Audited, ApiError> {
    let before = IncidentView::from(&find(&state, &tenant, &id, None).await?);
    let assignee = match body.assignee {
        Some(Some(who)) => Some(Some(checked_name("assignee", &who)?)),
        other => other,
    };
    let actor = match principal {
        Principal::Tenant { subject, .. } => subject.to_string(),
        Principal::PlatformAdmin => "the platform admin".into(),
    };
    let (incident, changes) =
        change_incident(&state, &tenant, &id, body.status, assignee, &actor, None)
            .await
            .map_err(|err| match err {
                ChangeError::Refused(refused) => {
                    ApiError::validation("status", refused.to_string())
                }
                ChangeError::Store(store) => store.into(),
            })?
            .ok_or_else(|| ApiError::not_found("incident", id.as_str()))?;
    let after = IncidentView::from(&incident);
    let body = ChangedIncidentView {
        incident: after.clone(),
        changes: changes
            .iter()
            .map(|c| {
                faultline::services::ingest::IngestChange::Applied(*c)
                    .as_str()
                    .to_owned()
            })
            .collect(),
    };
    Ok(Audited::action(
        StatusCode::OK,
        &body,
        "incidents",
        &incident.id,
        &before,
        &after,
    ))
}

/// Get an error event.
///
/// One occurrence of an error-tracker issue, with its exceptions and stack traces (innermost 50
/// frames), tags, release and environment, and the `incident_id` of the issue it belongs to: as
/// Sentry's `error` and `event_alert` webhooks (or the Sentry sync) deliver it. In-app frames that
/// came without source lines get them from GitHub when the release is a commit and a GitHub
/// destination's token can read the repository (`context_from` says where they came from; read
/// once, then kept). Scope: `incidents:read`.
#[utoipa::path(
    get,
    path = "/v1/events/{id}",
    tag = "incidents",
    operation_id = "get_error_event",
    params(("id" = String, Path, description = "The tracker's event id (32 hex digits for Sentry)")),
    responses((status = 200, description = "The event", body = ErrorEventView)),
)]
pub async fn get_event(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IncidentsRead>,
    Path(raw): Path<String>,
) -> Result<Json<ErrorEventView>, ApiError> {
    let id = (!raw.is_empty()
        && raw.len() <= 64
        && raw.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
    .then(|| raw.to_ascii_lowercase())
    .ok_or_else(|| ApiError::not_found("event", &raw))?;
    let mut event = state
        .store
        .get_error_event(&tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("event", &id))?;
    if faultline::services::code_context::fill(&state, &tenant, &mut event).await? {
        state.store.put_error_event(&tenant, &event).await?;
    }
    Ok(Json(ErrorEventView::from(&event)))
}
