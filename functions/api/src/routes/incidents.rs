use faultline::auth::{Principal, Scope};
use faultline::domain::IncidentId;
use faultline::http::{
    json_response, page_request, page_response, path_id, require_scope, ApiError,
};
use faultline::AppState;
use http::StatusCode;
use lambda_http::{Body, Request, Response};

/// List incidents.
///
/// Newest first. Scope: `incidents:read`.
#[utoipa::path(
    get,
    path = "/v1/incidents",
    tag = "incidents",
    operation_id = "list_incidents",
    params(
        faultline::http::openapi::PageQuery,
    ),
    responses(
        (status = 200, description = "A page of incidents", body = faultline::http::openapi::ItemList),
    ),
)]
pub async fn list(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::IncidentsRead)?;
    let page = state
        .store
        .list_incidents(tenant, &page_request(req)?)
        .await?;
    Ok(page_response(page.map(|i| i.to_json())))
}

/// Get an incident.
///
/// Scope: `incidents:read`.
#[utoipa::path(
    get,
    path = "/v1/incidents/{id}",
    tag = "incidents",
    operation_id = "get_incident",
    params(
        ("id" = String, Path, description = "The incident (`inc_…`)"),
    ),
    responses(
        (status = 200, description = "The incident", body = Object),
    ),
)]
pub async fn get(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::IncidentsRead)?;
    let id = path_id(req, "id", "incident", IncidentId::parse)?;
    let incident = state
        .store
        .get_incident(tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("incident", id.as_str()))?;
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
    responses(
        (status = 200, description = "A page of timeline entries", body = faultline::http::openapi::ItemList),
    ),
)]
pub async fn timeline(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::IncidentsRead)?;
    let id = path_id(req, "id", "incident", IncidentId::parse)?;
    if state.store.get_incident(tenant, &id).await?.is_none() {
        return Err(ApiError::not_found("incident", id.as_str()));
    }
    let page = state
        .store
        .incident_timeline(tenant, &id, &page_request(req)?)
        .await?;
    Ok(page_response(page.map(|entry| serde_json::json!(entry))))
}
