//! The `webhook-github` function: `POST /v1/hooks/github/{integration_id}`, GitHub's webhooks through
//! the inbound pipeline every source shares (verification and interpretation in
//! `faultline::sources::github`).

use faultline::http::handle_webhook;
use faultline::sources::github::GithubSource;
use faultline::AppState;
use lambda_http::{Body, Request, Response};

/// GitHub webhooks.
///
/// GitHub deliveries (`workflow_run`, `check_run`, `pull_request`, `deployment_status`, `ping`, …), verified with `X-Hub-Signature-256`. Verified over the exact bytes, deduplicated on the provider's delivery id, archived
/// to S3, then applied; a redelivery answers `200 {"status": "duplicate"}` and changes nothing.
#[utoipa::path(
    post,
    path = "/v1/hooks/github/{integration_id}",
    tag = "inbound webhooks",
    operation_id = "receive_github",
    params(
        ("integration_id" = String, Path, description = "The integration (`int_…`)"),
        ("X-Hub-Signature-256" = String, Header, description = "sha256=<hex HMAC-SHA256 of the body with the webhook secret>"),
        ("X-GitHub-Event" = String, Header, description = "The event name"),
        ("X-GitHub-Delivery" = String, Header, description = "The delivery id (deduplicated on)"),
    ),
    request_body(content = Object, content_type = "application/json", description = "The provider's payload, as sent"),
    responses(
        (status = 202, description = "Accepted and applied", body = Object),
        (status = 200, description = "Already received (same delivery id) or answered inline", body = Object),
        (status = 401, description = "Missing or invalid signature", body = faultline::http::openapi::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn handle(state: &AppState, req: Request) -> Response<Body> {
    handle_webhook(state, req, &GithubSource).await
}

/// This function's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(handle))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
