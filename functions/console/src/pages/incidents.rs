//! Incidents and issues: the filtered list, one incident with its timeline and tickets, and the
//! changes an operator makes (acknowledge, resolve, reopen, assign).

use super::{html, non_empty, parse_query, wire, Chrome, PageResult, SignedForm};
use crate::api;
use crate::session::Session;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect};
use faultline::domain::{IncidentId, Scope};
use faultline::http::{Authorized, Json, Page, Path, Query};
use faultline::store::PageRequest;
use faultline::views::{IncidentDetailView, IncidentView};
use faultline::AppState;
use faultline_api::routes::incidents::{self, IncidentQuery};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Incidents a page shows.
const PAGE_SIZE: i32 = 50;

/// The list's filters as the form shows them again (the API's own query type reads them).
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct Filters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    project_id: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    q: String,
    #[serde(default, skip_serializing)]
    cursor: Option<String>,
}

/// The incidents page.
#[derive(Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    chrome: Chrome,
    filters: Filters,
    items: Vec<IncidentView>,
    /// The query string of the next page, when there is one.
    next: Option<String>,
    statuses: &'static [&'static str],
    severities: &'static [&'static str],
    sources: &'static [&'static str],
}

/// Drops empty fields, so an empty select box is no filter (the API refuses `status=`).
fn without_empty(raw: &str) -> String {
    url::form_urlencoded::parse(raw.as_bytes())
        .filter(|(name, value)| !value.trim().is_empty() && name != "cursor")
        .fold(
            url::form_urlencoded::Serializer::new(String::new()),
            |mut out, (name, value)| {
                out.append_pair(&name, value.trim());
                out
            },
        )
        .finish()
}

/// `GET /console/incidents`: filters (status, severity, source, project, service, since, text).
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let raw = raw.unwrap_or_default();
    let filters: Filters = parse_query(&raw)?;
    let query: IncidentQuery = parse_query(&without_empty(&raw))?;
    let page = PageRequest {
        limit: Some(PAGE_SIZE),
        cursor: filters.cursor.clone(),
    };
    let Json(found) = incidents::list(
        State(state),
        Authorized::check(&session.principal)?,
        Query(query),
        Page(page),
    )
    .await?;
    let next = found.next_cursor.map(|cursor| {
        let mut params = without_empty(&raw);
        if !params.is_empty() {
            params.push('&');
        }
        params + &serde_urlencoded::to_string([("cursor", cursor)]).unwrap_or_default()
    });
    Ok(html(&IncidentsPage {
        chrome: Chrome::of(&session, "/console/incidents"),
        filters,
        items: found.items,
        next,
        statuses: &["open", "acknowledged", "resolved"],
        severities: &["critical", "high", "medium", "low", "info"],
        sources: &["generic", "github", "pagerduty", "sentry", "slack"],
    }))
}

/// One incident.
#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    chrome: Chrome,
    incident: IncidentDetailView,
    timeline: Vec<faultline::domain::TimelineEntry>,
    /// An issue's evidence lines (from scanned logs); empty for alerts.
    evidence: Vec<faultline::domain::log_source::EvidenceLine>,
    can_write: bool,
}

impl IncidentPage {
    fn attributes(&self) -> String {
        serde_json::to_string_pretty(&self.incident.incident.attributes).unwrap_or_default()
    }
}

/// `GET /console/incidents/{id}`: the incident, its timeline (signals, changes, suspect changes,
/// notifications) and its tickets.
pub async fn detail(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<IncidentId>,
) -> PageResult {
    let Json(incident) = incidents::get(
        State(state.clone()),
        Authorized::check(&session.principal)?,
        Path(id.clone()),
    )
    .await?;
    let Json(timeline) = incidents::timeline(
        State(state.clone()),
        Authorized::check(&session.principal)?,
        Path(id.clone()),
        super::first_page(100),
    )
    .await?;
    let evidence = if wire(incident.incident.kind) == "issue" {
        faultline_api::routes::evidence::list(
            State(state.clone()),
            Authorized::check(&session.principal)?,
            Path(id.clone()),
            super::first_page(50),
        )
        .await?
        .0
        .items
    } else {
        Vec::new()
    };
    Ok(html(&IncidentPage {
        evidence,
        can_write: session.can(Scope::IncidentsWrite),
        chrome: Chrome::of(&session, "/console/incidents"),
        incident,
        timeline: timeline.items,
    }))
}

/// The change form: a status and/or an assignee.
#[derive(Debug, Deserialize)]
pub struct Change {
    status: Option<String>,
    assignee: Option<String>,
    #[serde(default)]
    unassign: Option<String>,
}

/// `POST /console/incidents/{id}`: acknowledge, resolve, reopen or (un)assign, through
/// `PATCH /v1/incidents/{id}`.
pub async fn change(
    Path(id): Path<IncidentId>,
    SignedForm { session, form }: SignedForm<Change>,
) -> PageResult {
    let mut body = serde_json::Map::new();
    if let Some(status) = non_empty(form.status) {
        body.insert("status".into(), json!(status));
    }
    if form.unassign.is_some() {
        body.insert("assignee".into(), serde_json::Value::Null);
    } else if let Some(assignee) = non_empty(form.assignee) {
        body.insert("assignee".into(), json!(assignee));
    }
    let path = format!("/v1/incidents/{id}");
    api::call(&session, http::Method::PATCH, &path, Some(&body.into())).await?;
    Ok(Redirect::to(&format!("/console/incidents/{id}")).into_response())
}
