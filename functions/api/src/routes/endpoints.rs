use faultline::auth::{Principal, Scope};
use faultline::domain::endpoint::check_custom_headers;
use faultline::domain::{Endpoint, EndpointId, EventType};
use faultline::http::{
    checked_description, decode_body, json_response, no_content, nullable, page_request,
    page_response, path_id, require_scope, ApiError,
};
use faultline::signing::WebhookSecret;
use faultline::AppState;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateEndpoint {
    url: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    event_types: Vec<String>,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    rate_limit: Option<u32>,
}

fn enabled_by_default() -> bool {
    true
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateEndpoint {
    url: Option<String>,
    description: Option<String>,
    event_types: Option<Vec<String>>,
    enabled: Option<bool>,
    headers: Option<std::collections::BTreeMap<String, String>>,
    /// `null` removes the limit.
    #[serde(default, deserialize_with = "nullable")]
    rate_limit: Option<Option<u32>>,
}

fn checked_rate_limit(limit: Option<u32>) -> Result<Option<u32>, ApiError> {
    match limit {
        Some(n) if !(1..=1000).contains(&n) => Err(ApiError::validation(
            "rate_limit",
            "`rate_limit` must be 1 to 1000 messages per second",
        )),
        other => Ok(other),
    }
}

fn checked_url(state: &AppState, url: &str) -> Result<String, ApiError> {
    let policy = state.config.url_policy();
    policy
        .check(url)
        .map(|url| url.as_str().to_owned())
        .map_err(|reason| ApiError::validation("url", format!("`url` {reason}")))
}

fn checked_event_types(names: &[String]) -> Result<Vec<EventType>, ApiError> {
    names
        .iter()
        .map(|name| {
            EventType::parse(name).ok_or_else(|| {
                let known: Vec<_> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                ApiError::validation(
                    "event_types",
                    format!("unknown event type `{name}`; known: {}", known.join(", ")),
                )
            })
        })
        .collect()
}

/// Create an endpoint.
///
/// A webhook subscription. The response carries the `whsec_` signing secret, the only time it is
/// shown. Scope: `endpoints:write`.
#[utoipa::path(
    post,
    path = "/v1/endpoints",
    tag = "endpoints",
    operation_id = "create_endpoint",
    request_body = CreateEndpoint,
    responses(
        (status = 201, description = "The endpoint and its signing secret", body = Object),
    ),
)]
pub async fn create(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::EndpointsWrite)?;
    let body: CreateEndpoint = decode_body(req)?;
    let url = checked_url(state, &body.url)?;
    let event_types = checked_event_types(&body.event_types)?;
    let description = checked_description("description", &body.description)?;
    let headers =
        check_custom_headers(&body.headers).map_err(|e| ApiError::validation("headers", e))?;
    let rate_limit = checked_rate_limit(body.rate_limit)?;
    let cipher = state.cipher().await?;
    let secret = WebhookSecret::generate();
    let now = state.clock.now();
    let id = EndpointId::generate();
    let endpoint = Endpoint {
        secret: cipher.seal(secret.expose(), &Endpoint::secret_context_for(tenant, &id)),
        id,
        tenant_id: tenant.clone(),
        url,
        description,
        event_types,
        enabled: body.enabled,
        headers,
        rate_limit,
        created_at: now,
        updated_at: now,
        failing_since: None,
        disabled_reason: None,
        previous_secrets: vec![],
    };
    state.store.create_endpoint(&endpoint).await?;
    let mut shown = endpoint.to_json();
    shown["secret"] = json!(secret.expose());
    Ok(json_response(StatusCode::CREATED, &shown))
}

pub(super) async fn find(
    state: &AppState,
    principal: &Principal,
    req: &Request,
    scope: Scope,
) -> Result<Endpoint, ApiError> {
    let tenant = require_scope(principal, scope)?;
    let id = path_id(req, "id", "endpoint", EndpointId::parse)?;
    state
        .store
        .get_endpoint(tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("endpoint", id.as_str()))
}

/// List endpoints.
///
/// Scope: `endpoints:read`.
#[utoipa::path(
    get,
    path = "/v1/endpoints",
    tag = "endpoints",
    operation_id = "list_endpoints",
    params(
        faultline::http::openapi::PageQuery,
    ),
    responses(
        (status = 200, description = "A page of endpoints", body = faultline::http::openapi::ItemList),
    ),
)]
pub async fn list(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::EndpointsRead)?;
    let page = state
        .store
        .list_endpoints(tenant, &page_request(req)?)
        .await?;
    Ok(page_response(page.map(|e| e.to_json())))
}

/// Get an endpoint.
///
/// Scope: `endpoints:read`.
#[utoipa::path(
    get,
    path = "/v1/endpoints/{id}",
    tag = "endpoints",
    operation_id = "get_endpoint",
    params(
        ("id" = String, Path, description = "The endpoint (`ep_…`)"),
    ),
    responses(
        (status = 200, description = "The endpoint (never its secret)", body = Object),
    ),
)]
pub async fn get(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let endpoint = find(state, principal, req, Scope::EndpointsRead).await?;
    Ok(json_response(StatusCode::OK, &endpoint.to_json()))
}

/// Change an endpoint.
///
/// Only the fields given change; re-enabling clears an automatic disable. Scope:
/// `endpoints:write`.
#[utoipa::path(
    patch,
    path = "/v1/endpoints/{id}",
    tag = "endpoints",
    operation_id = "update_endpoint",
    params(
        ("id" = String, Path, description = "The endpoint (`ep_…`)"),
    ),
    request_body = UpdateEndpoint,
    responses(
        (status = 200, description = "The changed endpoint", body = Object),
    ),
)]
pub async fn update(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let mut endpoint = find(state, principal, req, Scope::EndpointsWrite).await?;
    let body: UpdateEndpoint = decode_body(req)?;
    if let Some(url) = &body.url {
        endpoint.url = checked_url(state, url)?;
    }
    if let Some(description) = &body.description {
        endpoint.description = checked_description("description", description)?;
    }
    if let Some(event_types) = &body.event_types {
        endpoint.event_types = checked_event_types(event_types)?;
    }
    if let Some(limit) = body.rate_limit {
        endpoint.rate_limit = checked_rate_limit(limit)?;
    }
    if let Some(headers) = &body.headers {
        endpoint.headers =
            check_custom_headers(headers).map_err(|e| ApiError::validation("headers", e))?;
    }
    if let Some(enabled) = body.enabled {
        if enabled && !endpoint.enabled {
            // Re-enabled by a person: start the health clock afresh.
            endpoint.failing_since = None;
            endpoint.disabled_reason = None;
        }
        endpoint.enabled = enabled;
    }
    endpoint.updated_at = state.clock.now();
    save(state, &endpoint).await?;
    Ok(json_response(StatusCode::OK, &endpoint.to_json()))
}

/// Writes a changed endpoint back; one deleted meanwhile is "not found".
pub(super) async fn save(state: &AppState, endpoint: &Endpoint) -> Result<(), ApiError> {
    match state.store.update_endpoint(endpoint).await {
        Ok(()) => Ok(()),
        Err(faultline::store::StoreError::Conflict) => {
            Err(ApiError::not_found("endpoint", endpoint.id.as_str()))
        }
        Err(other) => Err(other.into()),
    }
}

/// Delete an endpoint.
///
/// Scope: `endpoints:write`.
#[utoipa::path(
    delete,
    path = "/v1/endpoints/{id}",
    tag = "endpoints",
    operation_id = "delete_endpoint",
    params(
        ("id" = String, Path, description = "The endpoint (`ep_…`)"),
    ),
    responses(
        (status = 204, description = "Deleted"),
    ),
)]
pub async fn delete(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::EndpointsWrite)?;
    let id = path_id(req, "id", "endpoint", EndpointId::parse)?;
    if state.store.delete_endpoint(tenant, &id).await? {
        Ok(no_content())
    } else {
        Err(ApiError::not_found("endpoint", id.as_str()))
    }
}
