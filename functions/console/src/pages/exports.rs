//! Exports (create, progress, download), scheduled exports, and reports with SVG charts.

use super::chart::BarChart;
use super::{html, non_empty, parse_query, wire, Chrome, PageResult, SignedForm};
use crate::api;
use crate::session::Session;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect};
use faultline::domain::{ExportId, Scope};
use faultline::http::{Authorized, Json, Path, Query};
use faultline::reports::IncidentSummary;
use faultline::views::{ExportScheduleView, ExportView, ReportSummaryView};
use faultline::AppState;
use faultline_api::routes::{export_schedules, exports, reports};
use serde::Deserialize;
use serde_json::json;

/// The exports page.
#[derive(Template)]
#[template(path = "exports.html")]
struct ExportsPage {
    chrome: Chrome,
    items: Vec<ExportView>,
    schedules: Vec<ExportScheduleView>,
    /// Whether a job is still running (the list then refreshes itself).
    running: bool,
    can_create: bool,
}

/// `GET /console/exports`.
pub async fn list(State(state): State<AppState>, session: Session) -> PageResult {
    let Json(found) = exports::list(
        State(state.clone()),
        session.principal.clone(),
        super::first_page(50),
    )
    .await?;
    let Json(schedules) = export_schedules::list(
        State(state),
        session.principal.clone(),
        super::first_page(50),
    )
    .await?;
    let running = found
        .items
        .iter()
        .any(|job| matches!(wire(job.status).as_str(), "queued" | "running"));
    Ok(html(&ExportsPage {
        can_create: session.can(Scope::IncidentsRead),
        chrome: Chrome::of(&session, "/console/exports"),
        items: found.items,
        schedules: schedules.items,
        running,
    }))
}

/// The new-export form.
#[derive(Debug, Deserialize)]
pub struct NewExport {
    resource: String,
    format: String,
    title: Option<String>,
    status: Option<String>,
    severity: Option<String>,
    since: Option<String>,
}

/// `POST /console/exports`, through `POST /v1/exports`.
pub async fn create(SignedForm { session, form }: SignedForm<NewExport>) -> PageResult {
    let mut filters = serde_json::Map::new();
    for (name, value) in [
        ("status", form.status),
        ("severity", form.severity),
        ("since", form.since),
    ] {
        if let Some(value) = non_empty(value) {
            filters.insert(name.into(), json!(value));
        }
    }
    let mut body = json!({"resource": form.resource, "format": form.format, "filters": filters});
    if let Some(title) = non_empty(form.title) {
        body["title"] = json!(title);
    }
    api::call(&session, http::Method::POST, "/v1/exports", Some(&body)).await?;
    Ok(Redirect::to("/console/exports").into_response())
}

/// `GET /console/exports/{id}/download`: a freshly signed link, followed at once.
pub async fn download(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<ExportId>,
) -> PageResult {
    let Json(job) = exports::get(
        State(state),
        session.principal.clone(),
        Path(id.clone()),
        Query(parse_query("expires_in=300")?),
    )
    .await?;
    match job.download_url {
        Some(url) => Ok(Redirect::to(&url).into_response()),
        None => Err(crate::error::ConsoleError::Refused {
            status: http::StatusCode::CONFLICT,
            title: "Not ready".into(),
            detail: format!("export {id} has no file yet (it is {})", wire(job.status)),
        }),
    }
}

/// The reports page.
#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    chrome: Chrome,
    report: ReportSummaryView,
    severity_chart: BarChart,
    series_chart: BarChart,
    since: String,
}

impl ReportsPage {
    fn summary(&self) -> &IncidentSummary {
        &self.report.summary
    }

    fn minutes(&self, seconds: &Option<i64>) -> String {
        seconds.map_or_else(|| "—".to_owned(), |s| format!("{:.1} min", s as f64 / 60.0))
    }
}

#[derive(Debug, Default, Deserialize)]
struct Range {
    since: Option<String>,
}

/// `GET /console/reports`: the summary (counts, MTTA/MTTR, noisiest fingerprints) and the daily
/// series of the range, drawn as SVG.
pub async fn report(
    State(state): State<AppState>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let raw = raw.unwrap_or_default();
    let range: Range = parse_query(&raw)?;
    let query = match non_empty(range.since.clone()) {
        Some(since) => serde_urlencoded::to_string([("since", since)]).unwrap_or_default(),
        None => String::new(),
    };
    let Json(summary) = reports::summary(
        State(state.clone()),
        Authorized::check(&session.principal)?,
        Query(parse_query(&query)?),
    )
    .await?;
    let Json(series) = reports::timeseries(
        State(state),
        Authorized::check(&session.principal)?,
        Query(parse_query(&query)?),
    )
    .await?;
    let severities: Vec<(String, f64, &'static str)> =
        ["critical", "high", "medium", "low", "info"]
            .iter()
            .map(|s| {
                let count = summary.summary.by_severity.get(*s).copied().unwrap_or(0);
                ((*s).to_owned(), count as f64, "bar-failed")
            })
            .collect();
    let days: Vec<(String, f64, &'static str)> = series
        .points
        .iter()
        .rev()
        .take(14)
        .rev()
        .map(|p| (p.start.format("%d").to_string(), p.opened as f64, "bar-ok"))
        .collect();
    Ok(html(&ReportsPage {
        chrome: Chrome::of(&session, "/console/reports"),
        severity_chart: BarChart::new("Incidents opened by severity", &severities),
        series_chart: BarChart::new(
            "Incidents opened per day (last 14 days of the range)",
            &days,
        ),
        report: summary,
        since: range.since.unwrap_or_default(),
    }))
}
