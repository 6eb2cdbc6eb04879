//! Reports: what happened over a time range, for managers (MTTA, MTTR), on-call leads (noisy
//! fingerprints, changes followed by incidents) and charts (counts per hour or day).

use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use faultline::domain::{Scope, Source};
use faultline::http::scopes::IncidentsRead;
use faultline::http::{ApiError, Authorized, Json, Query};
use faultline::reports::Bucket;
use faultline::services::reports::{
    endpoint_deliveries, incident_series, incident_summary, notification_volume, ReportRange,
};
use faultline::views::{ReportSummaryView, TimeseriesView};
use faultline::AppState;
use serde::Deserialize;

/// The longest range a report covers.
const MAX_DAYS: i64 = 366;

/// The range and filters of a report.
#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    project_id: Option<String>,
    service: Option<String>,
    source: Option<Source>,
    change_window_hours: Option<i64>,
    bucket: Option<Bucket>,
}

impl ReportQuery {
    /// The range (default: the last 30 days), at most `max_days` long.
    fn range(&self, now: DateTime<Utc>, max_days: i64) -> Result<ReportRange, ApiError> {
        let until = self.until.unwrap_or(now);
        let since = self.since.unwrap_or(until - Duration::days(30));
        if since >= until {
            return Err(ApiError::bad_parameter(
                "since",
                "`since` must be before `until`",
            ));
        }
        if until - since > Duration::days(max_days) {
            return Err(ApiError::bad_parameter(
                "since",
                format!("the range is at most {max_days} days"),
            ));
        }
        Ok(ReportRange {
            since,
            until,
            project_id: self.project_id.clone(),
            service: self.service.clone(),
            source: self.source.map(|s| s.as_str().to_owned()),
        })
    }
}

/// Summary report.
///
/// For the incidents opened in a range (default the last 30 days, at most 366) and optionally a
/// project, service or source: counts by severity, status, source and service; time to
/// acknowledge (MTTA) and to resolve (MTTR) as p50, p90 and mean, overall, by service and by
/// severity; the ten noisiest fingerprints; incidents opened within `change_window_hours`
/// (default 2) after a merged change, per repository. With `endpoints:read`, delivery success
/// and latency per endpoint; with `notifications:read`, notifications per destination. Scope:
/// `incidents:read`.
#[utoipa::path(
    get,
    path = "/v1/reports/summary",
    tag = "reports",
    operation_id = "report_summary",
    params(
        ("since" = Option<String>, Query, description = "From (RFC 3339; default 30 days before `until`)"),
        ("until" = Option<String>, Query, description = "To (RFC 3339; default now)"),
        ("project_id" = Option<String>, Query, description = "Only this project's incidents"),
        ("service" = Option<String>, Query, description = "Only this service's"),
        ("source" = Option<String>, Query, description = "Only this source's"),
        ("change_window_hours" = Option<i64>, Query, description = "How soon after a merged change an incident counts as following it (1 to 72, default 2)"),
    ),
    responses((status = 200, description = "The report", body = ReportSummaryView)),
)]
pub async fn summary(
    State(state): State<AppState>,
    Authorized {
        tenant, principal, ..
    }: Authorized<IncidentsRead>,
    Query(query): Query<ReportQuery>,
) -> Result<Json<ReportSummaryView>, ApiError> {
    let range = query.range(state.clock.now(), MAX_DAYS)?;
    let hours = query.change_window_hours.unwrap_or(2);
    if !(1..=72).contains(&hours) {
        return Err(ApiError::bad_parameter(
            "change_window_hours",
            "`change_window_hours` must be 1 to 72",
        ));
    }
    let (summary, truncated) =
        incident_summary(&state, &tenant, &range, Duration::hours(hours)).await?;
    let holds = |scope: Scope| principal.scopes().contains(&scope);
    let deliveries = match holds(Scope::EndpointsRead) {
        true => Some(endpoint_deliveries(&state, &tenant, range.since).await?),
        false => None,
    };
    let notifications = match holds(Scope::NotificationsRead) {
        true => Some(notification_volume(&state, &tenant, &range).await?),
        false => None,
    };
    Ok(Json(ReportSummaryView {
        since: range.since,
        until: range.until,
        project_id: range.project_id,
        service: range.service,
        source: range.source,
        truncated,
        summary,
        deliveries,
        notifications,
    }))
}

/// Time series report.
///
/// Incidents opened, acknowledged and resolved (of those opened in the range) per `hour`
/// (ranges up to 31 days) or `day` (up to 366), every bucket present, with the opened ones by
/// severity: for charts. Same filters as the summary. Scope: `incidents:read`.
#[utoipa::path(
    get,
    path = "/v1/reports/timeseries",
    tag = "reports",
    operation_id = "report_timeseries",
    params(
        ("since" = Option<String>, Query, description = "From (RFC 3339; default 30 days before `until`)"),
        ("until" = Option<String>, Query, description = "To (RFC 3339; default now)"),
        ("bucket" = Option<String>, Query, description = "`hour` or `day` (default)"),
        ("project_id" = Option<String>, Query, description = "Only this project's incidents"),
        ("service" = Option<String>, Query, description = "Only this service's"),
        ("source" = Option<String>, Query, description = "Only this source's"),
    ),
    responses((status = 200, description = "The series", body = TimeseriesView)),
)]
pub async fn timeseries(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IncidentsRead>,
    Query(query): Query<ReportQuery>,
) -> Result<Json<TimeseriesView>, ApiError> {
    let bucket = query.bucket.unwrap_or(Bucket::Day);
    let max_days = match bucket {
        Bucket::Hour => 31,
        Bucket::Day => MAX_DAYS,
    };
    let range = query.range(state.clock.now(), max_days)?;
    let (points, truncated) = incident_series(&state, &tenant, &range, bucket).await?;
    Ok(Json(TimeseriesView {
        since: points.first().map_or(range.since, |p| p.start),
        until: range.until,
        bucket,
        truncated,
        points,
    }))
}
