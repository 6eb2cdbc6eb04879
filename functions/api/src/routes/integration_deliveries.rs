//! `GET /v1/integrations/{id}/deliveries`: what an integration received, to pick one to replay.

use axum::extract::State;
use faultline::domain::IntegrationId;
use faultline::http::scopes::IntegrationsRead;
use faultline::http::{ApiError, Authorized, Json, Page, Path};
use faultline::views::{InboundDeliveryPage, InboundDeliveryView};
use faultline::AppState;

/// List an integration's deliveries.
///
/// The webhooks it received, newest first, with the ids to replay them by
/// (`POST /v1/hooks/deliveries/{id}/replay`). Scope: `integrations:read`.
#[utoipa::path(
    get,
    path = "/v1/integrations/{id}/deliveries",
    tag = "integrations",
    operation_id = "list_integration_deliveries",
    params(
        ("id" = String, Path, description = "The integration (`int_…`)"),
        faultline::http::openapi::PageQuery,
    ),
    responses((status = 200, description = "A page of deliveries", body = InboundDeliveryPage)),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IntegrationsRead>,
    Path(id): Path<IntegrationId>,
    Page(page): Page,
) -> Result<Json<InboundDeliveryPage>, ApiError> {
    state
        .store
        .get_integration(&id)
        .await?
        .filter(|i| i.tenant_id == tenant)
        .ok_or_else(|| ApiError::not_found("integration", id.as_str()))?;
    let found = state
        .store
        .list_inbound_deliveries(&tenant, &id, &page)
        .await?;
    Ok(Json(found.map(|d| InboundDeliveryView::from(&d)).into()))
}
