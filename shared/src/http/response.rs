//! Writing JSON responses.

use http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::Value;

/// A JSON response.
pub fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::Text(value.to_string()))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}
