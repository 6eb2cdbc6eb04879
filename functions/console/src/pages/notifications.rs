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
    State(state): State<AppState>,
    Path(id): Path<DestinationId>,
    SignedForm { session, .. }: SignedForm<super::Fields>,
) -> PageResult {
    let path = format!("/v1/destinations/{id}/test");
    api::call(
        &state,
        &session,
        http::Method::POST,
        &path,
        Some(&serde_json::json!({})),
    )
    .await?;
    Ok(Redirect::to("/console/notifications").into_response())
}
