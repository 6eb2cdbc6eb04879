//! Where notifications go and when: destinations (with a test send), notification rules in
//! evaluation order, maintenance windows (with the preview of what they would silence now) and
//! the CloudWatch log sources scanned for errors.

use super::{html, Chrome, PageResult, SignedForm};
use crate::api;
use crate::session::Session;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use faultline::domain::{DestinationId, MaintenanceWindowId, Scope};
use faultline::http::{Authorized, Json, Path};
use faultline::views::{
    DestinationView, IncidentView, LogSourceView, MaintenanceWindowView, NotificationRuleView,
};
use faultline::AppState;
use faultline_api::routes::{destinations, log_sources, maintenance_windows, notification_rules};

/// The notifications page.
#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    destinations: Vec<DestinationView>,
    rules: Vec<NotificationRuleView>,
    windows: Vec<MaintenanceWindowView>,
    log_sources: Vec<LogSourceView>,
    can_write: bool,
}

/// `GET /console/notifications`.
pub async fn list(State(state): State<AppState>, session: Session) -> PageResult {
    let check = || Authorized::check(&session.principal);
    let Json(found) =
        destinations::list(State(state.clone()), check()?, super::first_page(100)).await?;
    let Json(rules) = notification_rules::list(State(state.clone()), check()?).await?;
    let Json(windows) = maintenance_windows::list(State(state.clone()), check()?).await?;
    let log_sources = match session.can(Scope::IntegrationsRead) {
        true => {
            log_sources::list(
                State(state),
                Authorized::check(&session.principal)?,
                super::first_page(100),
            )
            .await?
            .0
            .items
        }
        false => Vec::new(),
    };
    Ok(html(&NotificationsPage {
        can_write: session.can(Scope::NotificationsWrite),
        chrome: Chrome::of(&session, "/console/notifications"),
        destinations: found.items,
        rules: rules.items,
        windows: windows.items,
        log_sources,
    }))
}

/// A maintenance window's preview: the open incidents it would silence now.
#[derive(Template)]
#[template(path = "window_preview.html")]
struct PreviewPage {
    chrome: Chrome,
    window_id: String,
    active: bool,
    items: Vec<IncidentView>,
}

/// `GET /console/maintenance-windows/{id}/preview`.
pub async fn preview(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<MaintenanceWindowId>,
) -> PageResult {
    let Json(preview) = maintenance_windows::preview(
        State(state),
        Authorized::check(&session.principal)?,
        Path(id.clone()),
    )
    .await?;
    Ok(html(&PreviewPage {
        chrome: Chrome::of(&session, "/console/notifications"),
        window_id: id.to_string(),
        active: preview.active,
        items: preview.items,
    }))
}

/// `POST /console/destinations/{id}/test`: a test notification, through the API.
pub async fn test_destination(
    Path(id): Path<DestinationId>,
    SignedForm { session, .. }: SignedForm<super::Fields>,
) -> PageResult {
    let path = format!("/v1/destinations/{id}/test");
    api::call(
        &session,
        http::Method::POST,
        &path,
        Some(&serde_json::json!({})),
    )
    .await?;
    Ok(Redirect::to("/console/notifications").into_response())
}

/// The one-off maintenance window form.
#[derive(Debug, serde::Deserialize)]
pub struct NewWindow {
    name: String,
    starts_at: String,
    minutes: String,
    #[serde(default)]
    services: String,
    #[serde(default)]
    strategy: Option<String>,
}

/// `POST /console/maintenance-windows`: a one-off window from `starts_at` (RFC 3339, or `now`) for
/// `minutes`, over the named services (none: every incident), through
/// `POST /v1/maintenance-windows`; then its preview.
pub async fn create_window(
    State(state): State<AppState>,
    SignedForm { session, form }: SignedForm<NewWindow>,
) -> PageResult {
    let invalid = |field: &str, why: &str| faultline::http::ApiError::validation(field, why);
    let starts_at = match form.starts_at.trim() {
        "" | "now" => state.clock.now(),
        text => chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|_| invalid("starts_at", "`starts_at` must be an RFC 3339 time or `now`"))?,
    };
    let minutes: i64 = form
        .minutes
        .trim()
        .parse()
        .ok()
        .filter(|m| (1..=60 * 24 * 14).contains(m))
        .ok_or_else(|| invalid("minutes", "the window lasts 1 minute to 14 days"))?;
    let services: Vec<&str> = form
        .services
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let body = serde_json::json!({
        "name": form.name,
        "schedule": {
            "starts_at": starts_at.to_rfc3339(),
            "ends_at": (starts_at + chrono::Duration::minutes(minutes)).to_rfc3339(),
        },
        "matchers": {"services": services},
        "strategy": form.strategy.unwrap_or_else(|| "suppress".into()),
    });
    let created = api::call(
        &session,
        http::Method::POST,
        "/v1/maintenance-windows",
        Some(&body),
    )
    .await?;
    let id = created["id"].as_str().unwrap_or_default();
    Ok(Redirect::to(&format!("/console/maintenance-windows/{id}/preview")).into_response())
}
