//! The `webhook-sentry` function: `POST /v1/hooks/sentry/{integration_id}`, Sentry's webhooks through
//! the inbound pipeline every source shares (verification and interpretation in
//! `faultline::sources::sentry`).

use faultline::http::handle_webhook;
use faultline::sources::sentry::SentrySource;
use faultline::AppState;
use lambda_http::{Body, Request, Response};

/// Sentry integration webhooks.
///
/// Sentry internal-integration webhooks (`issue`, `event_alert`, `metric_alert`, `error`), verified with `Sentry-Hook-Signature` over the body with the client secret. Verified over the exact bytes, deduplicated on the provider's delivery id, archived
/// to S3, then applied; a redelivery answers `200 {"status": "duplicate"}` and changes nothing.
#[utoipa::path(
    post,
    path = "/v1/hooks/sentry/{integration_id}",
    tag = "inbound webhooks",
    operation_id = "receive_sentry",
    params(
        ("integration_id" = String, Path, description = "The integration (`int_…`)"),
        ("Sentry-Hook-Signature" = String, Header, description = "hex HMAC-SHA256 of the body with the client secret"),
        ("Sentry-Hook-Resource" = String, Header, description = "issue, event_alert, metric_alert, error or installation"),
        ("Sentry-Hook-Timestamp" = Option<String>, Header, description = "Unix seconds; stale requests are refused"),
    ),
    request_body(content = Object, content_type = "application/json", description = "The provider's payload, as sent"),
    responses(
        (status = 202, description = "Accepted and applied", body = Object),
        (status = 200, description = "Already received (same delivery id) or answered inline", body = Object),
        (status = 401, description = "Missing or invalid signature", body = faultline::http::openapi::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn handle(state: &AppState, req: Request) -> Response<Body> {
    handle_webhook(state, req, &SentrySource).await
}

/// This function's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(handle))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
