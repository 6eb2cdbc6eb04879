//! Writing JSON responses.

use crate::store::Page;
use http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::{json, Value};

/// A JSON response.
pub fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::Text(value.to_string()))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

/// A 204.
pub fn no_content() -> Response<Body> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

/// A list response: `{"items": [...], "next_cursor": ...}`.
pub fn page_response(page: Page<Value>) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &json!({"items": page.items, "next_cursor": page.next_cursor}),
    )
}
