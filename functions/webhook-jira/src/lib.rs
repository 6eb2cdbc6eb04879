//! The `webhook-jira` function: `POST /v1/hooks/jira/{integration_id}`, Jira Cloud's admin
//! webhooks through the inbound pipeline every source shares (verification and interpretation in
//! `faultline::sources::jira`): an issue the hub opened that is done resolves its incident, one
//! reopened reopens it.

use faultline::http::handle_webhook;
use faultline::sources::jira::JiraSource;
use faultline::AppState;
use lambda_http::{Body, Request, Response};

/// Jira webhooks.
///
/// Jira Cloud admin webhooks (`jira:issue_updated`) with a secret, verified with `X-Hub-Signature`. An issue the hub opened (it carries the incident's `faultline-inc_…` label) moving to a status in the *Done* category resolves its incident; moving out of it reopens it. Verified over the exact bytes, deduplicated on `X-Atlassian-Webhook-Identifier`, archived
/// to S3, then applied; a redelivery answers `200 {"status": "duplicate"}` and changes nothing.
#[utoipa::path(
    post,
    path = "/v1/hooks/jira/{integration_id}",
    tag = "inbound webhooks",
    operation_id = "receive_jira",
    params(
        ("integration_id" = String, Path, description = "The integration (`int_…`)"),
        ("X-Hub-Signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of the body with the webhook's secret>"),
        ("X-Atlassian-Webhook-Identifier" = Option<String>, Header, description = "The delivery id (deduplicated on)"),
    ),
    request_body(content = Object, content_type = "application/json", description = "The provider's payload, as sent"),
    responses(
        (status = 202, description = "Accepted and applied", body = Object),
        (status = 200, description = "Already received (same delivery id) or answered inline", body = Object),
        (status = 401, description = "Missing or invalid signature", body = faultline::http::openapi::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn handle(state: &AppState, req: Request) -> Response<Body> {
    handle_webhook(state, req, &JiraSource).await
}

/// This function's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(handle))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
