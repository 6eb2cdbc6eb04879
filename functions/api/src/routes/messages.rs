use faultline::auth::{Principal, Scope};
use faultline::domain::{EndpointId, EventType, MessageId};
use faultline::http::{
    json_response, page_request, page_response, path_id, query_param, require_scope, ApiError,
};
use faultline::services::ledger::retry_message;
use faultline::services::messages::load_message;
use faultline::AppState;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;

/// `GET /v1/messages?event_type=&since=`, newest first.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::EndpointsRead)?;
    let event_type = match query_param(req, "event_type") {
        None => None,
        Some(name) => Some(EventType::parse(&name).ok_or_else(|| {
            ApiError::bad_parameter("event_type", format!("unknown event type `{name}`"))
        })?),
    };
    let since = match query_param(req, "since") {
        None => None,
        Some(text) => Some(
            chrono::DateTime::parse_from_rfc3339(&text)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| {
                    ApiError::bad_parameter("since", "`since` must be an RFC 3339 time")
                })?,
        ),
    };
    let page = state
        .store
        .list_messages_filtered(tenant, event_type, since, &page_request(req)?)
        .await?;
    Ok(page_response(page.map(|m| m.to_json())))
}

/// `GET /v1/messages/{id}`: the message and its delivery state at every endpoint.
pub async fn get(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::EndpointsRead)?;
    let id = path_id(req, "id", "message", MessageId::parse)?;
    let message = load_message(state, tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("message", id.as_str()))?;
    let deliveries = state.store.list_deliveries(tenant, &id).await?;
    let mut body = message.to_json();
    body["deliveries"] = json!(deliveries
        .iter()
        .map(|d| json!({
            "endpoint_id": d.endpoint_id, "status": d.status, "attempts": d.attempts,
            "next_attempt_at": d.next_attempt_at, "updated_at": d.updated_at,
        }))
        .collect::<Vec<_>>());
    Ok(json_response(StatusCode::OK, &body))
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Retry {
    #[serde(default)]
    endpoint_id: Option<String>,
}

/// `POST /v1/messages/{id}/retry`: re-send now to one endpoint, or to every failed one.
pub async fn retry(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::EndpointsWrite)?;
    let id = path_id(req, "id", "message", MessageId::parse)?;
    let body: Retry = faultline::http::decode_optional_body(req)?;
    let endpoint = match body.endpoint_id.as_deref() {
        None => None,
        Some(raw) => Some(
            EndpointId::parse(raw)
                .ok_or_else(|| ApiError::validation("endpoint_id", "not an endpoint id"))?,
        ),
    };
    let queued = retry_message(state, tenant, &id, endpoint.as_ref())
        .await?
        .ok_or_else(|| ApiError::not_found("message", id.as_str()))?;
    if endpoint.is_some() && queued.is_empty() {
        return Err(ApiError::validation(
            "endpoint_id",
            "this message was never sent to that endpoint",
        ));
    }
    Ok(json_response(
        StatusCode::ACCEPTED,
        &json!({"queued_endpoints": queued}),
    ))
}

/// `GET /v1/dead-letters`: the tenant's records that failed five times in a row, left in place.
pub async fn dead_letters(
    state: &AppState,
    principal: &Principal,
    _req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::EndpointsRead)?;
    let items = state
        .dead_letters
        .peek(tenant)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"items": items, "next_cursor": null}),
    ))
}

/// `POST /v1/dead-letters/redrive`: moves the tenant's dead letters back to their queues.
pub async fn redrive(
    state: &AppState,
    principal: &Principal,
    _req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::EndpointsWrite)?;
    let moved = state
        .dead_letters
        .redrive(tenant)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(json_response(
        StatusCode::ACCEPTED,
        &json!({"redriven": moved}),
    ))
}
