use axum::extract::State;
use chrono::{DateTime, Utc};
use faultline::domain::{DeliveryStatus, EndpointId, EventType, MessageId};
use faultline::http::scopes::{EndpointsRead, EndpointsWrite};
use faultline::http::{ApiError, Audited, Authorized, Json, OptionalJson, Page, Path, Query};
use faultline::services::ledger::retry_message;
use faultline::services::messages::load_message;
use faultline::store::MessageFilters;
use faultline::views::{
    AttemptPage, AttemptView, DeadLetterPage, MessagePage, MessageView, RedrivenView, RetriedView,
};
use faultline::AppState;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

/// The filters of `GET /v1/messages`.
#[derive(Debug, Deserialize)]
pub struct MessageQuery {
    event_type: Option<EventType>,
    status: Option<DeliveryStatus>,
    endpoint_id: Option<EndpointId>,
    since: Option<DateTime<Utc>>,
}

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
        (status = 200, description = "A page of messages", body = MessagePage),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsRead>,
    Query(query): Query<MessageQuery>,
    Page(page): Page,
) -> Result<Json<MessagePage>, ApiError> {
    if let Some(raw) = &query.endpoint_id {
        EndpointId::parse(raw.as_str()).ok_or_else(|| {
            ApiError::bad_parameter("endpoint_id", "`endpoint_id` is not an endpoint id")
        })?;
    }
    let filters = MessageFilters {
        event_type: query.event_type,
        since: query.since,
        status: query.status,
        endpoint: query.endpoint_id,
    };
    let page = state
        .store
        .list_messages_filtered(&tenant, &filters, &page)
        .await?;
    Ok(Json(page.map(|m| MessageView::from(&m)).into()))
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
        (status = 200, description = "The message", body = MessageView),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsRead>,
    Path(id): Path<MessageId>,
) -> Result<Json<MessageView>, ApiError> {
    let message = load_message(&state, &tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("message", id.as_str()))?;
    let deliveries = faultline::services::messages::deliveries_of(&state, &message).await?;
    Ok(Json(
        MessageView::from(&message).with_deliveries(&deliveries),
    ))
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
        (status = 200, description = "A page of attempts", body = AttemptPage),
    ),
)]
pub async fn attempts(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsRead>,
    Path(id): Path<MessageId>,
    Page(page): Page,
) -> Result<Json<AttemptPage>, ApiError> {
    if state.store.get_message(&tenant, &id).await?.is_none() {
        return Err(ApiError::not_found("message", id.as_str()));
    }
    let page = state.store.list_attempts(&tenant, &id, &page).await?;
    Ok(Json(page.map(|a| AttemptView::from(&a)).into()))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {
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
        (status = 202, description = "The endpoints queued", body = RetriedView),
    ),
)]
pub async fn retry(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsWrite>,
    Path(id): Path<MessageId>,
    OptionalJson(body): OptionalJson<Retry>,
) -> Result<Audited, ApiError> {
    let endpoint = match body.endpoint_id.as_deref() {
        None => None,
        Some(raw) => Some(
            EndpointId::parse(raw)
                .ok_or_else(|| ApiError::validation("endpoint_id", "not an endpoint id"))?,
        ),
    };
    let before = message_state(&state, &tenant, &id).await?;
    let queued = retry_message(&state, &tenant, &id, endpoint.as_ref())
        .await?
        .ok_or_else(|| ApiError::not_found("message", id.as_str()))?;
    if endpoint.is_some() && queued.is_empty() {
        return Err(ApiError::validation(
            "endpoint_id",
            "this message was never sent to that endpoint",
        ));
    }
    let after = message_state(&state, &tenant, &id).await?;
    Ok(Audited::action(
        StatusCode::ACCEPTED,
        &RetriedView {
            queued_endpoints: queued.iter().map(ToString::to_string).collect(),
        },
        "messages",
        &id,
        &before,
        &after,
    ))
}

/// A message's deliveries by endpoint (`{"ep_…": "failed"}`), what a retry changes.
async fn message_state(
    state: &AppState,
    tenant: &faultline::domain::TenantId,
    id: &MessageId,
) -> Result<Value, ApiError> {
    let deliveries = match state.store.get_message(tenant, id).await? {
        Some(message) => faultline::services::messages::deliveries_of(state, &message).await?,
        None => Vec::new(),
    };
    Ok(Value::Object(
        deliveries
            .iter()
            .map(|d| (d.endpoint_id.to_string(), json!(d.status)))
            .collect(),
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
        (status = 200, description = "The dead letters", body = DeadLetterPage),
    ),
)]
pub async fn dead_letters(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsRead>,
) -> Result<Json<DeadLetterPage>, ApiError> {
    let items = state
        .dead_letters
        .peek(&tenant)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(Json(DeadLetterPage {
        items,
        next_cursor: None,
    }))
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
        (status = 202, description = "How many were moved", body = RedrivenView),
    ),
)]
pub async fn redrive(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsWrite>,
) -> Result<Audited, ApiError> {
    let moved = state
        .dead_letters
        .redrive(&tenant)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(Audited::action(
        StatusCode::ACCEPTED,
        &RedrivenView { redriven: moved },
        "dead-letters",
        &tenant,
        &Value::Null,
        &RedrivenView { redriven: moved },
    ))
}
