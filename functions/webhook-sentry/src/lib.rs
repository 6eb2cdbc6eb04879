//! The `webhook-sentry` function: `POST /v1/hooks/sentry/{integration_id}`, Sentry's webhooks through
//! the inbound pipeline every source shares (verification and interpretation in
//! `faultline::sources::sentry`).

use faultline::http::request_id;
use faultline::services::inbound::receive;
use faultline::sources::sentry::SentrySource;
use faultline::AppState;
use lambda_http::{Body, Request, Response};

/// Handles one inbound alert; every failure becomes a problem+json response.
pub async fn handle(state: &AppState, req: Request) -> Response<Body> {
    let request_id = request_id(&req);
    receive(state, &req, &request_id, &SentrySource)
        .await
        .unwrap_or_else(|err| err.to_response(&request_id))
}
