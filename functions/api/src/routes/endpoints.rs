use axum::extract::State;
use faultline::domain::endpoint::check_custom_headers;
use faultline::domain::{Endpoint, EndpointId, EventType, TenantId};
use faultline::http::scopes::{EndpointsRead, EndpointsWrite};
use faultline::http::{
    checked_description, nullable, ApiError, Audited, Authorized, Json, Page, Path,
};
use faultline::signing::WebhookSecret;
use faultline::views::{EndpointPage, EndpointView};
use faultline::AppState;
use serde::Deserialize;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpoint {
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
pub struct UpdateEndpoint {
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
        (status = 201, description = "The endpoint and its signing secret", body = EndpointView),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsWrite>,
    Json(body): Json<CreateEndpoint>,
) -> Result<Audited, ApiError> {
    let tenant = &tenant;
    let url = checked_url(&state, &body.url)?;
    let event_types = checked_event_types(&body.event_types)?;
    let description = checked_description("description", &body.description)?;
    let headers =
        check_custom_headers(&body.headers).map_err(|e| ApiError::validation("headers", e))?;
    let rate_limit = checked_rate_limit(body.rate_limit)?;
    let most = state
        .store
        .get_tenant(tenant)
        .await?
        .and_then(|t| t.settings.max_endpoints)
        .unwrap_or(faultline::domain::TenantSettings::DEFAULT_MAX_ENDPOINTS);
    // Checked before the write, so two racing creates may pass it together: a soft limit.
    if state.store.all_endpoints(tenant).await?.len() >= most as usize {
        return Err(ApiError::Conflict(format!(
            "this tenant has its {most} endpoints (the tenant's `max_endpoints`): delete one \
             or raise the limit"
        )));
    }
    let cipher = state.cipher().await?;
    let secret = WebhookSecret::generate();
    let now = state.clock.now();
    let id = EndpointId::generate();
    let mut endpoint = Endpoint {
        secret: cipher.seal(secret.expose(), &Endpoint::secret_context_for(tenant, &id)),
        id,
        tenant_id: tenant.clone(),
        url,
        description,
        event_types,
        enabled: body.enabled,
        headers: Default::default(),
        rate_limit,
        created_at: now,
        updated_at: now,
        failing_since: None,
        disabled_reason: None,
        previous_secrets: vec![],
    };
    endpoint.set_headers(headers, &cipher);
    state.store.create_endpoint(&endpoint).await?;
    let shown = EndpointView {
        secret: Some(secret.expose().to_owned()),
        ..EndpointView::from(&endpoint)
    };
    Ok(Audited::created("endpoints", &endpoint.id, &shown))
}

/// The tenant's endpoint `id`, or 404.
pub(super) async fn find(
    state: &AppState,
    tenant: &TenantId,
    id: &EndpointId,
) -> Result<Endpoint, ApiError> {
    state
        .store
        .get_endpoint(tenant, id)
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
        (status = 200, description = "A page of endpoints", body = EndpointPage),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsRead>,
    Page(page): Page,
) -> Result<Json<EndpointPage>, ApiError> {
    let page = state.store.list_endpoints(&tenant, &page).await?;
    Ok(Json(page.map(|e| EndpointView::from(&e)).into()))
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
        (status = 200, description = "The endpoint (never its secret)", body = EndpointView),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsRead>,
    Path(id): Path<EndpointId>,
) -> Result<Json<EndpointView>, ApiError> {
    let endpoint = find(&state, &tenant, &id).await?;
    Ok(Json(EndpointView::from(&endpoint)))
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
        (status = 200, description = "The changed endpoint", body = EndpointView),
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsWrite>,
    Path(id): Path<EndpointId>,
    Json(body): Json<UpdateEndpoint>,
) -> Result<Audited, ApiError> {
    let mut endpoint = find(&state, &tenant, &id).await?;
    let before = EndpointView::from(&endpoint);
    if let Some(url) = &body.url {
        endpoint.url = checked_url(&state, url)?;
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
        let headers =
            check_custom_headers(headers).map_err(|e| ApiError::validation("headers", e))?;
        endpoint.set_headers(headers, &state.cipher().await?);
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
    save(&state, &endpoint).await?;
    Ok(Audited::updated(
        "endpoints",
        &endpoint.id,
        &before,
        &EndpointView::from(&endpoint),
    ))
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
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsWrite>,
    Path(id): Path<EndpointId>,
) -> Result<Audited, ApiError> {
    let endpoint = find(&state, &tenant, &id).await?;
    if state.store.delete_endpoint(&tenant, &id).await? {
        Ok(Audited::deleted(
            "endpoints",
            &id,
            &EndpointView::from(&endpoint),
        ))
    } else {
        Err(ApiError::not_found("endpoint", id.as_str()))
    }
}
