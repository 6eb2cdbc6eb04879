//! The `webhook-generic` function: `POST /v1/hooks/generic/{integration_id}` turns any JSON alert
//! into an incident, through the inbound pipeline every source shares.

use faultline::http::handle_webhook;
use faultline::sources::generic::GenericSource;
use faultline::AppState;
use lambda_http::{Body, Request, Response};

/// Generic JSON alerts.
///
/// Any sender: a JSON alert (`title`, `status`, `severity`, `fingerprint`, …). When the integration has a secret, `X-Signature-256: sha256=<hex HMAC-SHA256 of the body>` (or Standard Webhooks headers) is required. Verified over the exact bytes, deduplicated on the provider's delivery id, archived
/// to S3, then applied; a redelivery answers `200 {"status": "duplicate"}` and changes nothing.
#[utoipa::path(
    post,
    path = "/v1/hooks/generic/{integration_id}",
    tag = "inbound webhooks",
    operation_id = "receive_generic",
    params(
        ("integration_id" = String, Path, description = "The integration (`int_…`)"),
        ("X-Signature-256" = Option<String>, Header, description = "sha256=<hex HMAC-SHA256 of the exact body>, when the integration has a secret"),
    ),
    request_body(content = Object, content_type = "application/json", description = "The provider's payload, as sent"),
    responses(
        (status = 202, description = "Accepted and applied", body = Object),
        (status = 200, description = "Already received (same delivery id) or answered inline", body = Object),
        (status = 401, description = "Missing or invalid signature", body = faultline::http::openapi::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn handle(state: &AppState, req: Request) -> Response<Body> {
    handle_webhook(state, req, &GenericSource).await
}

/// This function's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(handle))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
