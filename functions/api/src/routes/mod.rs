pub mod endpoints;
pub mod incidents;
pub mod integrations;
pub mod messages;
pub mod tenants;

use faultline::http::json_response;
use http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::json;

/// Liveness: answers without touching AWS, so it stays cheap and says only that the function runs.
pub fn health() -> Response<Body> {
    json_response(StatusCode::OK, &json!({"status": "ok"}))
}
