use faultline::auth::{Principal, Scope};
use faultline::domain::MessageId;
use faultline::http::{page_request, page_response, path_id, require_scope, ApiError};
use faultline::AppState;
use lambda_http::{Body, Request, Response};

/// `GET /v1/messages`, newest first.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::EndpointsRead)?;
    let page = state
        .store
        .list_messages(tenant, &page_request(req)?)
        .await?;
    Ok(page_response(page.map(|m| m.to_json())))
}

/// `GET /v1/messages/{id}/attempts`: every attempt to every endpoint.
pub async fn attempts(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::EndpointsRead)?;
    let id = path_id(req, "id", "message", MessageId::parse)?;
    if state.store.get_message(tenant, &id).await?.is_none() {
        return Err(ApiError::not_found("message", id.as_str()));
    }
    let page = state
        .store
        .list_attempts(tenant, &id, &page_request(req)?)
        .await?;
    Ok(page_response(page.map(|a| a.to_json())))
}
