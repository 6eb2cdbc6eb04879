use axum::extract::State;
use faultline::domain::notification::NotificationStatus;
use faultline::domain::{DestinationId, IncidentId};
use faultline::http::scopes::NotificationsRead;
use faultline::http::{ApiError, Authorized, Json, Page, Query};
use faultline::store::NotificationFilters;
use faultline::views::{NotificationPage, NotificationView};
use faultline::AppState;
use serde::Deserialize;

/// The filters of `GET /v1/notifications`.
#[derive(Debug, Deserialize)]
pub struct NotificationQuery {
    incident_id: Option<String>,
    destination_id: Option<String>,
    status: Option<String>,
}

/// List notifications.
///
/// Every notification attempt, newest first, kept 30 days: what was sent, held (and why),
/// folded, retried or failed. Filters narrow a page after it is read, so a page may hold fewer
/// than `limit` items: follow `next_cursor` until it is `null`. Scope: `notifications:read`.
#[utoipa::path(
    get,
    path = "/v1/notifications",
    tag = "notifications",
    operation_id = "list_notifications",
    params(
        ("incident_id" = Option<String>, Query, description = "Only about this incident or issue (`inc_…`)"),
        ("destination_id" = Option<String>, Query, description = "Only at this destination (`dst_…`)"),
        ("status" = Option<String>, Query, description = "Only this status: `sent`, `accepted`, `held`, `folded`, `retrying` or `failed`"),
        faultline::http::openapi::PageQuery,
    ),
    responses((status = 200, description = "A page of notifications", body = NotificationPage)),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsRead>,
    Query(query): Query<NotificationQuery>,
    Page(page): Page,
) -> Result<Json<NotificationPage>, ApiError> {
    let incident_id = query
        .incident_id
        .as_deref()
        .map(|raw| {
            IncidentId::parse(raw).ok_or_else(|| {
                ApiError::bad_parameter("incident_id", "`incident_id` is not an incident id")
            })
        })
        .transpose()?;
    let destination_id = query
        .destination_id
        .as_deref()
        .map(|raw| {
            DestinationId::parse(raw).ok_or_else(|| {
                ApiError::bad_parameter(
                    "destination_id",
                    "`destination_id` is not a destination id",
                )
            })
        })
        .transpose()?;
    let status = query
        .status
        .as_deref()
        .map(|raw| {
            NotificationStatus::parse(raw)
                .map(|s| s.as_str().to_owned())
                .ok_or_else(|| {
                    ApiError::bad_parameter(
                        "status",
                        format!("`status` must be one of {}", NotificationStatus::NAMES),
                    )
                })
        })
        .transpose()?;
    let filters = NotificationFilters {
        incident_id,
        destination_id,
        status,
    };
    let page = state
        .store
        .list_notifications(&tenant, &filters, &page)
        .await?;
    Ok(Json(page.map(|n| NotificationView::from(&n)).into()))
}
