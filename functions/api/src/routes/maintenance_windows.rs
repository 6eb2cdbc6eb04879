use super::notification_rules::{checked_matchers, MatchersBody};
use axum::extract::State;
use chrono::{DateTime, Utc};
use faultline::domain::notification::{MaintenanceWindow, Schedule, Strategy, Subject};
use faultline::domain::{EventType, MaintenanceWindowId, TenantId};
use faultline::http::scopes::{NotificationsRead, NotificationsWrite};
use faultline::http::{checked_name, ApiError, Audited, Authorized, Json, Path};
use faultline::store::{IncidentFilters, PageRequest};
use faultline::views::{IncidentView, MaintenanceWindowList, MaintenanceWindowView, WindowPreview};
use faultline::AppState;
use serde::Deserialize;

/// When a window is in force: a one-off `starts_at`/`ends_at`, or a recurring `cron` (5 fields)
/// in `time_zone` for `duration_minutes`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    /// E.g. `0 2 * * SUN`.
    cron: Option<String>,
    /// An IANA zone, e.g. `Europe/Berlin` (default `UTC`).
    time_zone: Option<String>,
    /// 1 to 44,640 (31 days).
    duration_minutes: Option<u32>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWindow {
    name: String,
    schedule: ScheduleBody,
    #[serde(default)]
    matchers: MatchersBody,
    /// `suppress` (default: held, then looked at again when the window ends) or `drop`.
    #[serde(default)]
    strategy: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWindow {
    name: Option<String>,
    schedule: Option<ScheduleBody>,
    matchers: Option<MatchersBody>,
    strategy: Option<String>,
}

fn checked_schedule(body: &ScheduleBody) -> Result<Schedule, ApiError> {
    let invalid = |e: String| ApiError::validation("schedule", e);
    let schedule = match (body.starts_at, body.ends_at, &body.cron) {
        (Some(starts_at), Some(ends_at), None)
            if body.duration_minutes.is_none() && body.time_zone.is_none() =>
        {
            Schedule::OneOff { starts_at, ends_at }
        }
        (None, None, Some(cron)) => Schedule::Recurring {
            cron: cron.trim().to_owned(),
            time_zone: body.time_zone.clone().unwrap_or_else(|| "UTC".into()),
            duration_minutes: body
                .duration_minutes
                .ok_or_else(|| invalid("a recurring window needs `duration_minutes`".into()))?,
        },
        _ => {
            return Err(invalid(
                "`schedule` is either `starts_at` and `ends_at`, or `cron`, `time_zone` and \
                 `duration_minutes`"
                    .into(),
            ))
        }
    };
    schedule.check().map_err(invalid)?;
    Ok(schedule)
}

fn checked_strategy(name: Option<&str>) -> Result<Strategy, ApiError> {
    match name.unwrap_or("suppress") {
        "suppress" => Ok(Strategy::Suppress),
        "drop" => Ok(Strategy::Drop),
        _ => Err(ApiError::validation(
            "strategy",
            "`strategy` must be `suppress` or `drop`",
        )),
    }
}

/// Create a maintenance window.
///
/// While it is in force, notifications about open incidents its matchers match are held back:
/// `suppress` looks at them again when it ends (what is still open is sent then, what resolved
/// meanwhile is not), `drop` drops them. Acknowledgements and resolves always pass. Scope:
/// `notifications:write`.
#[utoipa::path(
    post,
    path = "/v1/maintenance-windows",
    tag = "notifications",
    operation_id = "create_maintenance_window",
    request_body = CreateWindow,
    responses((status = 201, description = "The window", body = MaintenanceWindowView)),
)]
pub async fn create(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsWrite>,
    Json(body): Json<CreateWindow>,
) -> Result<Audited, ApiError> {
    let now = state.clock.now();
    let window = MaintenanceWindow {
        id: MaintenanceWindowId::generate(),
        tenant_id: tenant,
        name: checked_name("name", &body.name)?,
        schedule: checked_schedule(&body.schedule)?,
        matchers: checked_matchers(&body.matchers)?,
        strategy: checked_strategy(body.strategy.as_deref())?,
        created_at: now,
        updated_at: now,
    };
    if state
        .store
        .all_maintenance_windows(&window.tenant_id)
        .await?
        .len()
        >= 100
    {
        return Err(ApiError::Conflict(
            "this tenant has its 100 maintenance windows: delete one first".into(),
        ));
    }
    state.store.create_maintenance_window(&window).await?;
    let shown = MaintenanceWindowView::at(&window, now);
    Ok(Audited::created("maintenance-windows", &window.id, &shown))
}

async fn find(
    state: &AppState,
    tenant: &TenantId,
    id: &MaintenanceWindowId,
) -> Result<MaintenanceWindow, ApiError> {
    state
        .store
        .get_maintenance_window(tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("maintenance window", id.as_str()))
}

/// List maintenance windows.
///
/// Every window with its status now (`upcoming`, `active`, `finished`), active ones first.
/// Scope: `notifications:read`.
#[utoipa::path(
    get,
    path = "/v1/maintenance-windows",
    tag = "notifications",
    operation_id = "list_maintenance_windows",
    responses((status = 200, description = "The windows", body = MaintenanceWindowList)),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsRead>,
) -> Result<Json<MaintenanceWindowList>, ApiError> {
    let now = state.clock.now();
    let mut items: Vec<MaintenanceWindowView> = state
        .store
        .all_maintenance_windows(&tenant)
        .await?
        .iter()
        .map(|w| MaintenanceWindowView::at(w, now))
        .collect();
    let rank = |w: &MaintenanceWindowView| match w.status.as_str() {
        "active" => 0,
        "upcoming" => 1,
        _ => 2,
    };
    items.sort_by(|a, b| (rank(a), a.next_start, &a.id).cmp(&(rank(b), b.next_start, &b.id)));
    Ok(Json(MaintenanceWindowList {
        items,
        next_cursor: None,
    }))
}

/// Get a maintenance window.
///
/// Scope: `notifications:read`.
#[utoipa::path(
    get,
    path = "/v1/maintenance-windows/{id}",
    tag = "notifications",
    operation_id = "get_maintenance_window",
    params(("id" = String, Path, description = "The window (`mw_…`)")),
    responses((status = 200, description = "The window", body = MaintenanceWindowView)),
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsRead>,
    Path(id): Path<MaintenanceWindowId>,
) -> Result<Json<MaintenanceWindowView>, ApiError> {
    let window = find(&state, &tenant, &id).await?;
    Ok(Json(MaintenanceWindowView::at(&window, state.clock.now())))
}

/// Change a maintenance window.
///
/// Only the fields given change (`schedule` and `matchers` are replaced whole). Scope:
/// `notifications:write`.
#[utoipa::path(
    patch,
    path = "/v1/maintenance-windows/{id}",
    tag = "notifications",
    operation_id = "update_maintenance_window",
    params(("id" = String, Path, description = "The window (`mw_…`)")),
    request_body = UpdateWindow,
    responses((status = 200, description = "The changed window", body = MaintenanceWindowView)),
)]
pub async fn update(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsWrite>,
    Path(id): Path<MaintenanceWindowId>,
    Json(body): Json<UpdateWindow>,
) -> Result<Audited, ApiError> {
    let now = state.clock.now();
    let mut window = find(&state, &tenant, &id).await?;
    let before = MaintenanceWindowView::at(&window, now);
    if let Some(name) = &body.name {
        window.name = checked_name("name", name)?;
    }
    if let Some(schedule) = &body.schedule {
        window.schedule = checked_schedule(schedule)?;
    }
    if let Some(matchers) = &body.matchers {
        window.matchers = checked_matchers(matchers)?;
    }
    if body.strategy.is_some() {
        window.strategy = checked_strategy(body.strategy.as_deref())?;
    }
    window.updated_at = now;
    match state.store.update_maintenance_window(&window).await {
        Ok(()) => {}
        Err(faultline::store::StoreError::Conflict) => {
            return Err(ApiError::not_found("maintenance window", id.as_str()))
        }
        Err(other) => return Err(other.into()),
    }
    Ok(Audited::updated(
        "maintenance-windows",
        &window.id,
        &before,
        &MaintenanceWindowView::at(&window, now),
    ))
}

/// Delete a maintenance window.
///
/// What it suppressed is looked at again at the time it would have ended, and sent then.
/// Scope: `notifications:write`.
#[utoipa::path(
    delete,
    path = "/v1/maintenance-windows/{id}",
    tag = "notifications",
    operation_id = "delete_maintenance_window",
    params(("id" = String, Path, description = "The window (`mw_…`)")),
    responses((status = 204, description = "Deleted")),
)]
pub async fn delete(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsWrite>,
    Path(id): Path<MaintenanceWindowId>,
) -> Result<Audited, ApiError> {
    let window = find(&state, &tenant, &id).await?;
    if state.store.delete_maintenance_window(&tenant, &id).await? {
        Ok(Audited::deleted(
            "maintenance-windows",
            &id,
            &MaintenanceWindowView::at(&window, state.clock.now()),
        ))
    } else {
        Err(ApiError::not_found("maintenance window", id.as_str()))
    }
}

/// Preview a maintenance window.
///
/// The open incidents and issues the window's matchers match now (at most 500, newest first):
/// what it suppresses while it is in force. Scope: `notifications:read`.
#[utoipa::path(
    get,
    path = "/v1/maintenance-windows/{id}/preview",
    tag = "notifications",
    operation_id = "preview_maintenance_window",
    params(("id" = String, Path, description = "The window (`mw_…`)")),
    responses((status = 200, description = "What it holds back now", body = WindowPreview)),
)]
pub async fn preview(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsRead>,
    Path(id): Path<MaintenanceWindowId>,
) -> Result<Json<WindowPreview>, ApiError> {
    let window = find(&state, &tenant, &id).await?;
    let filters = IncidentFilters {
        status: Some("open".into()),
        ..IncidentFilters::default()
    };
    let mut page = PageRequest {
        limit: Some(PageRequest::MAX_LIMIT),
        cursor: None,
    };
    let mut items = Vec::new();
    loop {
        let found = state
            .store
            .list_incidents_filtered(&tenant, &filters, &page)
            .await?;
        for incident in &found.items {
            let view = IncidentView::from(incident);
            let subject = Subject {
                event_type: EventType::IncidentUpdated,
                incident: &view,
            };
            if window.matchers.matches(&subject) && items.len() < 500 {
                items.push(view);
            }
        }
        match found.next_cursor {
            Some(cursor) if items.len() < 500 => page.cursor = Some(cursor),
            _ => break,
        }
    }
    Ok(Json(WindowPreview {
        active: window.schedule.active_at(state.clock.now()).is_some(),
        items,
    }))
}
