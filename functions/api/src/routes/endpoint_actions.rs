//! Acting on an endpoint: rotating its signing secret, test pings, recovering failed messages,
//! delivery statistics.

use super::endpoints::{find, save};
use faultline::auth::{Principal, Scope};
use faultline::domain::Endpoint;
use faultline::http::{decode_body, json_response, ApiError};
use faultline::signing::WebhookSecret;
use faultline::AppState;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RotateSecret {
    #[serde(default)]
    grace_period_seconds: Option<i64>,
}

/// Rotate the signing secret.
///
/// A new secret, shown once; during the grace period every valid secret signs, so receivers switch
/// with no failed verification. Scope: `endpoints:write`.
#[utoipa::path(
    post,
    path = "/v1/endpoints/{id}/rotate-secret",
    tag = "endpoints",
    operation_id = "rotate_endpoint_secret",
    params(
        ("id" = String, Path, description = "The endpoint (`ep_…`)"),
    ),
    request_body = RotateSecret,
    responses(
        (status = 200, description = "The new secret and when the old one stops signing", body = Object),
    ),
)]
pub async fn rotate_secret(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let mut endpoint = find(state, principal, req, Scope::EndpointsWrite).await?;
    let body: RotateSecret = faultline::http::decode_optional_body(req)?;
    let grace = match body.grace_period_seconds {
        None => Endpoint::DEFAULT_GRACE,
        Some(secs) if (0..=Endpoint::MAX_GRACE.num_seconds()).contains(&secs) => {
            chrono::Duration::seconds(secs)
        }
        Some(_) => {
            return Err(ApiError::validation(
                "grace_period_seconds",
                format!(
                    "`grace_period_seconds` must be 0 to {}",
                    Endpoint::MAX_GRACE.num_seconds()
                ),
            ))
        }
    };
    let cipher = state.cipher().await?;
    let secret = WebhookSecret::generate();
    let now = state.clock.now();
    endpoint.rotate_secret(
        cipher.seal(secret.expose(), &endpoint.secret_context()),
        grace,
        now,
    );
    save(state, &endpoint).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "secret": secret.expose(),
            "previous_secrets_valid_until": endpoint.previous_secrets.iter().map(|s| s.expires_at).collect::<Vec<_>>(),
        }),
    ))
}

/// Show the signing secret.
///
/// The current `whsec_` secret. Scope: `endpoints:write`.
#[utoipa::path(
    get,
    path = "/v1/endpoints/{id}/secret",
    tag = "endpoints",
    operation_id = "get_endpoint_secret",
    params(
        ("id" = String, Path, description = "The endpoint (`ep_…`)"),
    ),
    responses(
        (status = 200, description = "The current secret", body = Object),
    ),
)]
pub async fn secret(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let endpoint = find(state, principal, req, Scope::EndpointsWrite).await?;
    let cipher = state.cipher().await?;
    let secret = cipher
        .open(&endpoint.secret, &endpoint.secret_context())
        .map_err(ApiError::internal)?;
    Ok(json_response(StatusCode::OK, &json!({"secret": secret})))
}

/// Send a test ping.
///
/// Sends a `ping` message to this endpoint, whatever its event-type filter. Scope:
/// `endpoints:write`.
#[utoipa::path(
    post,
    path = "/v1/endpoints/{id}/test",
    tag = "endpoints",
    operation_id = "test_endpoint",
    params(
        ("id" = String, Path, description = "The endpoint (`ep_…`)"),
    ),
    responses(
        (status = 202, description = "The ping's message id", body = Object),
    ),
)]
pub async fn test(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let endpoint = find(state, principal, req, Scope::EndpointsWrite).await?;
    let message_id = faultline::services::ledger::send_test(state, &endpoint).await?;
    Ok(json_response(
        StatusCode::ACCEPTED,
        &json!({"message_id": message_id}),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Recover {
    since: String,
}

/// Recover failed messages.
///
/// Re-sends, now, every message whose delivery to this endpoint failed or was exhausted since
/// `since` (within 14 days). Scope: `endpoints:write`.
#[utoipa::path(
    post,
    path = "/v1/endpoints/{id}/recover",
    tag = "endpoints",
    operation_id = "recover_endpoint",
    params(
        ("id" = String, Path, description = "The endpoint (`ep_…`)"),
    ),
    request_body = Recover,
    responses(
        (status = 202, description = "How many messages were queued", body = Object),
    ),
)]
pub async fn recover(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let endpoint = find(state, principal, req, Scope::EndpointsWrite).await?;
    let body: Recover = decode_body(req)?;
    let since = chrono::DateTime::parse_from_rfc3339(&body.since)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| ApiError::validation("since", "`since` must be an RFC 3339 time"))?;
    if state.clock.now() - since > faultline::services::ledger::RECOVER_WINDOW {
        return Err(ApiError::validation(
            "since",
            "`since` must be within the last 14 days",
        ));
    }
    let queued = faultline::services::ledger::recover_endpoint(state, &endpoint, since).await?;
    Ok(json_response(
        StatusCode::ACCEPTED,
        &json!({"queued": queued}),
    ))
}

/// Delivery statistics.
///
/// Success rate, p50/p99 latency and counts by status over a window. Scope: `endpoints:read`.
#[utoipa::path(
    get,
    path = "/v1/endpoints/{id}/stats",
    tag = "endpoints",
    operation_id = "get_endpoint_stats",
    params(
        ("id" = String, Path, description = "The endpoint (`ep_…`)"),
        ("window_hours" = Option<u32>, Query, description = "The window, 1 to 720 hours (default 24)"),
    ),
    responses(
        (status = 200, description = "The statistics", body = Object),
    ),
)]
pub async fn stats(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let endpoint = find(state, principal, req, Scope::EndpointsRead).await?;
    let hours = match faultline::http::query_param(req, "window_hours") {
        None => 24,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|h| (1..=24 * 14).contains(h))
            .ok_or_else(|| {
                ApiError::bad_parameter("window_hours", "`window_hours` must be 1 to 336")
            })?,
    };
    let stats = faultline::services::ledger::endpoint_stats(
        state,
        &endpoint,
        chrono::Duration::hours(hours),
    )
    .await
    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(json_response(StatusCode::OK, &stats))
}
