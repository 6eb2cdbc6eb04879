//! Acting on an endpoint: rotating its signing secret, test pings, recovering failed messages,
//! delivery statistics.

use super::endpoints::{find, save};
use axum::extract::State;
use faultline::domain::{Endpoint, EndpointId};
use faultline::http::scopes::{EndpointsRead, EndpointsWrite};
use faultline::http::{ApiError, Audited, Authorized, Json, OptionalJson, Path, Query};
use faultline::signing::WebhookSecret;
use faultline::views::{
    EndpointStatsView, EndpointView, HeadersView, RecoveredView, RotatedSecretView, SecretView,
    TestMessageView,
};
use faultline::AppState;
use http::StatusCode;
use serde::Deserialize;

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecret {
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
        (status = 200, description = "The new secret and when the old one stops signing", body = RotatedSecretView),
    ),
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsWrite>,
    Path(id): Path<EndpointId>,
    OptionalJson(body): OptionalJson<RotateSecret>,
) -> Result<Audited, ApiError> {
    let mut endpoint = find(&state, &tenant, &id).await?;
    let before = EndpointView::from(&endpoint);
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
    save(&state, &endpoint).await?;
    let answer = RotatedSecretView {
        secret: secret.expose().to_owned(),
        previous_secrets_valid_until: endpoint
            .previous_secrets
            .iter()
            .map(|s| s.expires_at)
            .collect(),
    };
    Ok(Audited::action(
        StatusCode::OK,
        &answer,
        "endpoints",
        &endpoint.id,
        &before,
        &EndpointView::from(&endpoint),
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
        (status = 200, description = "The current secret", body = SecretView),
    ),
)]
pub async fn secret(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsWrite>,
    Path(id): Path<EndpointId>,
) -> Result<Json<SecretView>, ApiError> {
    let endpoint = find(&state, &tenant, &id).await?;
    let cipher = state.cipher().await?;
    let secret = cipher
        .open(&endpoint.secret, &endpoint.secret_context())
        .map_err(ApiError::internal)?;
    Ok(Json(SecretView { secret }))
}

/// Reveal the custom headers.
///
/// The endpoint's custom headers with their values in clear (listings and the audit log show
/// them masked, e.g. `Bear****`). Scope: `endpoints:write`.
#[utoipa::path(
    get,
    path = "/v1/endpoints/{id}/headers",
    tag = "endpoints",
    operation_id = "get_endpoint_headers",
    params(
        ("id" = String, Path, description = "The endpoint (`ep_…`)"),
    ),
    responses(
        (status = 200, description = "The headers as sent", body = HeadersView),
    ),
)]
pub async fn headers(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsWrite>,
    Path(id): Path<EndpointId>,
) -> Result<Json<HeadersView>, ApiError> {
    let endpoint = find(&state, &tenant, &id).await?;
    let headers = endpoint
        .open_headers(&state.cipher().await?)
        .map_err(ApiError::internal)?;
    Ok(Json(HeadersView { headers }))
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
        (status = 202, description = "The ping's message id", body = TestMessageView),
    ),
)]
pub async fn test(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsWrite>,
    Path(id): Path<EndpointId>,
) -> Result<Audited, ApiError> {
    let endpoint = find(&state, &tenant, &id).await?;
    let message_id = faultline::services::ledger::send_test(&state, &endpoint).await?;
    let shown = EndpointView::from(&endpoint);
    Ok(Audited::action(
        StatusCode::ACCEPTED,
        &TestMessageView {
            message_id: message_id.to_string(),
        },
        "endpoints",
        &endpoint.id,
        &shown,
        &shown,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recover {
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
        (status = 202, description = "How many messages were queued", body = RecoveredView),
    ),
)]
pub async fn recover(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsWrite>,
    Path(id): Path<EndpointId>,
    Json(body): Json<Recover>,
) -> Result<Audited, ApiError> {
    let endpoint = find(&state, &tenant, &id).await?;
    let since = chrono::DateTime::parse_from_rfc3339(&body.since)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| ApiError::validation("since", "`since` must be an RFC 3339 time"))?;
    if state.clock.now() - since > faultline::services::ledger::RECOVER_WINDOW {
        return Err(ApiError::validation(
            "since",
            "`since` must be within the last 14 days",
        ));
    }
    let queued = faultline::services::ledger::recover_endpoint(&state, &endpoint, since).await?;
    let shown = EndpointView::from(&endpoint);
    Ok(Audited::action(
        StatusCode::ACCEPTED,
        &RecoveredView { queued },
        "endpoints",
        &endpoint.id,
        &shown,
        &shown,
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
        (status = 200, description = "The statistics", body = EndpointStatsView),
    ),
)]
pub async fn stats(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<EndpointsRead>,
    Path(id): Path<EndpointId>,
    Query(query): Query<StatsQuery>,
) -> Result<Json<EndpointStatsView>, ApiError> {
    let endpoint = find(&state, &tenant, &id).await?;
    let hours = match query.window_hours {
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
        &state,
        &endpoint,
        chrono::Duration::hours(hours),
    )
    .await
    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(Json(stats))
}

/// `?window_hours=`.
#[derive(Deserialize)]
pub struct StatsQuery {
    window_hours: Option<String>,
}
