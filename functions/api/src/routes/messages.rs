use faultline::auth::{Principal, Scope};
use faultline::domain::{DeliveryStatus, EndpointId, EventType, MessageId};
use faultline::http::{
    json_response, page_request, page_response, path_id, query_param, require_scope, time_param,
    ApiError,
};
use faultline::services::ledger::retry_message;
use faultline::services::messages::load_message;
use faultline::store::MessageFilters;
use faultline::AppState;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;

/// List messages.
///
/// The delivery ledger, newest first. Filters narrow a page after it is read, so a page may hold
/// fewer than `limit` items: follow `next_cursor` until it is `null`. Scope: `endpoints:read`.
#[utoipa::path(
    get,
    path = "/v1/messages",
    tag = "messages",
    operation_id = "list_messages",
    params(
        ("event_type" = Option<String>, Query, description = "Only this event type"),
        ("status" = Option<String>, Query, description = "Only messages with a delivery in this status: `pending`, `succeeded`, `failed` (retrying) or `exhausted`; with `endpoint_id`, that endpoint's delivery"),
        ("endpoint_id" = Option<String>, Query, description = "Only messages sent to this endpoint (`ep_…`)"),
        ("since" = Option<String>, Query, description = "Only messages created at or after this RFC 3339 time"),
        faultline::http::openapi::PageQuery,
    ),
    responses(
        (status = 200, description = "A page of messages", body = faultline::http::openapi::ItemList),
    ),
)]
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
    let since = time_param(req, "since")?;
    let status = match query_param(req, "status") {
        None => None,
        Some(name) => Some(DeliveryStatus::parse(&name).ok_or_else(|| {
            ApiError::bad_parameter(
                "status",
                "`status` must be pending, succeeded, failed or exhausted",
            )
        })?),
    };
    let endpoint = match query_param(req, "endpoint_id") {
        None => None,
        Some(raw) => Some(EndpointId::parse(&raw).ok_or_else(|| {
            ApiError::bad_parameter("endpoint_id", "`endpoint_id` is not an endpoint id")
        })?),
    };
    let filters = MessageFilters {
        event_type,
        since,
        status,
        endpoint,
    };
    let page = state
        .store
        .list_messages_filtered(tenant, &filters, &page_request(req)?)
        .await?;
    Ok(page_response(page.map(|m| m.to_json())))
}

/// Get a message.
///
/// The message, its payload, and its delivery state at every endpoint. Scope: `endpoints:read`.
#[utoipa::path(
    get,
    path = "/v1/messages/{id}",
    tag = "messages",
    operation_id = "get_message",
    params(
        ("id" = String, Path, description = "The message (`msg_…`)"),
    ),
    responses(
        (status = 200, description = "The message", body = Object),
    ),
)]
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

/// A message's attempts.
///
/// Every attempt to every endpoint: time, number, URL, status code (0 without a response),
/// latency, response excerpt, error kind, next attempt. Scope: `endpoints:read`.
#[utoipa::path(
    get,
    path = "/v1/messages/{id}/attempts",
    tag = "messages",
    operation_id = "list_message_attempts",
    params(
        ("id" = String, Path, description = "The message (`msg_…`)"),
        faultline::http::openapi::PageQuery,
    ),
    responses(
        (status = 200, description = "A page of attempts", body = faultline::http::openapi::ItemList),
    ),
)]
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

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Retry {
    #[serde(default)]
    endpoint_id: Option<String>,
}

/// Retry a message.
///
/// Re-sends now to one endpoint, or to every endpoint whose delivery failed. Scope:
/// `endpoints:write`.
#[utoipa::path(
    post,
    path = "/v1/messages/{id}/retry",
    tag = "messages",
    operation_id = "retry_message",
    params(
        ("id" = String, Path, description = "The message (`msg_…`)"),
    ),
    request_body = Retry,
    responses(
        (status = 202, description = "The endpoints queued", body = Object),
    ),
)]
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

/// List dead letters.
///
/// The tenant's queue records that failed five times, left in place. Scope: `endpoints:read`.
#[utoipa::path(
    get,
    path = "/v1/dead-letters",
    tag = "messages",
    operation_id = "list_dead_letters",
    responses(
        (status = 200, description = "The dead letters", body = faultline::http::openapi::ItemList),
    ),
)]
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

/// Redrive dead letters.
///
/// Moves the tenant's dead letters back to the queues they came from. Scope: `endpoints:write`.
#[utoipa::path(
    post,
    path = "/v1/dead-letters/redrive",
    tag = "messages",
    operation_id = "redrive_dead_letters",
    responses(
        (status = 202, description = "How many were moved", body = Object),
    ),
)]
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
