//! The `webhook-slack` function: `POST /v1/hooks/slack/{integration_id}`, Slack's webhooks through
//! the inbound pipeline every source shares (verification and interpretation in
//! `faultline::sources::slack`).

use faultline::http::handle_webhook;
use faultline::sources::slack::SlackSource;
use faultline::AppState;
use lambda_http::{Body, Request, Response};

/// Slack slash commands and interactivity.
///
/// Slack slash commands and interactive payloads (form-encoded), verified with `X-Slack-Signature` (v0) and `X-Slack-Request-Timestamp`. Verified over the exact bytes, deduplicated on the provider's delivery id, archived
/// to S3, then applied; a redelivery answers `200 {"status": "duplicate"}` and changes nothing.
#[utoipa::path(
    post,
    path = "/v1/hooks/slack/{integration_id}",
    tag = "inbound webhooks",
    operation_id = "receive_slack",
    params(
        ("integration_id" = String, Path, description = "The integration (`int_…`)"),
        ("X-Slack-Signature" = String, Header, description = "v0=<hex HMAC-SHA256 of v0:{timestamp}:{body}>"),
        ("X-Slack-Request-Timestamp" = String, Header, description = "Unix seconds; older than 5 minutes is refused"),
    ),
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "The provider's payload, as sent"),
    responses(
        (status = 202, description = "Accepted and applied", body = Object),
        (status = 200, description = "Already received (same delivery id) or answered inline", body = Object),
        (status = 401, description = "Missing or invalid signature", body = faultline::http::openapi::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn handle(state: &AppState, req: Request) -> Response<Body> {
    handle_webhook(state, req, &SlackSource).await
}

/// This function's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(handle))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
