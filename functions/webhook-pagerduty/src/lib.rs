//! The `webhook-pagerduty` function: `POST /v1/hooks/pagerduty/{integration_id}`, PagerDuty's webhooks through
//! the inbound pipeline every source shares (verification and interpretation in
//! `faultline::sources::pagerduty`).

use faultline::http::handle_webhook;
use faultline::sources::pagerduty::PagerdutySource;
use faultline::AppState;
use lambda_http::{Body, Request, Response};

/// PagerDuty V3 webhooks.
///
/// PagerDuty V3 webhook subscriptions (`incident.triggered`, `incident.acknowledged`, `incident.resolved`, …), verified with `X-PagerDuty-Signature`. Verified over the exact bytes, deduplicated on the provider's delivery id, archived
/// to S3, then applied; a redelivery answers `200 {"status": "duplicate"}` and changes nothing.
#[utoipa::path(
    post,
    path = "/v1/hooks/pagerduty/{integration_id}",
    tag = "inbound webhooks",
    operation_id = "receive_pagerduty",
    params(
        ("integration_id" = String, Path, description = "The integration (`int_…`)"),
        ("X-PagerDuty-Signature" = String, Header, description = "v1=<hex HMAC-SHA256>, comma-separated during a secret rotation"),
        ("X-Webhook-Id" = Option<String>, Header, description = "The delivery id (deduplicated on)"),
    ),
    request_body(content = Object, content_type = "application/json", description = "The provider's payload, as sent"),
    responses(
        (status = 202, description = "Accepted and applied", body = Object),
        (status = 200, description = "Already received (same delivery id) or answered inline", body = Object),
        (status = 401, description = "Missing or invalid signature", body = faultline::http::openapi::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn handle(state: &AppState, req: Request) -> Response<Body> {
    handle_webhook(state, req, &PagerdutySource).await
}

/// This function's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(handle))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
