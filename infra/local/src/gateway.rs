//! The local API Gateway: an HTTP server that turns each request into the same HTTP API
//! (payload 2.0) event AWS sends, and the function's response back into HTTP.

use crate::functions::invoke_http;
use crate::routes::{Matched, RouteTable};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use faultline::AppState;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// API Gateway's own payload limit.
pub const GATEWAY_MAX_BODY: usize = 10 * 1024 * 1024;

/// What the gateway needs per request.
#[derive(Debug)]
pub struct Gateway {
    /// The routes.
    pub routes: RouteTable,
    /// The functions' shared state.
    pub state: AppState,
}

fn gateway_response(status: u16, message: &str) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(
        json!({"message": message}).to_string(),
    )));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// Builds the payload 2.0 event for a request, as API Gateway does: lower-case header names with
/// repeated values comma-joined, the body base64-encoded.
pub fn http_api_event(
    parts: &http::request::Parts,
    body: &[u8],
    route_key: &str,
    path_parameters: &HashMap<String, String>,
    source: SocketAddr,
) -> Value {
    let mut headers = Map::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match headers.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            _ => {
                headers.insert(name.as_str().to_owned(), Value::String(value));
            }
        }
    }
    let now = chrono::Utc::now();
    let path = parts.uri.path();
    json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": parts.uri.query().unwrap_or_default(),
        "headers": headers,
        "pathParameters": path_parameters,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": parts.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": parts.method.as_str(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source.ip().to_string(),
                "userAgent": parts.headers.get("user-agent").and_then(|h| h.to_str().ok()).unwrap_or_default(),
            },
            "requestId": ulid::Ulid::new().to_string(),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "body": BASE64.encode(body),
        "isBase64Encoded": true,
    })
}

impl Gateway {
    /// Serves one request.
    pub async fn serve(
        self: Arc<Self>,
        request: hyper::Request<Incoming>,
        source: SocketAddr,
    ) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
        let (parts, body) = request.into_parts();
        let body = match Limited::new(body, GATEWAY_MAX_BODY).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return Ok(gateway_response(413, "Request Entity Too Large")),
        };
        let (route, params) = match self.routes.find(parts.method.as_str(), parts.uri.path()) {
            Matched::Route(route, params) => (route, params),
            Matched::MethodNotAllowed | Matched::NotFound => {
                return Ok(gateway_response(404, "Not Found"))
            }
        };
        let event = http_api_event(&parts, &body, &route.key(), &params, source);
        let request = match lambda_http::request::from_str(&event.to_string()) {
            Ok(request) => request,
            Err(err) => {
                tracing::error!(error = %err, "could not build the API Gateway event");
                return Ok(gateway_response(500, "Internal Server Error"));
            }
        };
        let Some(response) = invoke_http(&self.state, &route.function, request).await else {
            return Ok(gateway_response(500, "Internal Server Error"));
        };
        let (parts, body) = response.into_parts();
        let bytes = match body {
            lambda_http::Body::Empty => Bytes::new(),
            lambda_http::Body::Text(text) => Bytes::from(text),
            lambda_http::Body::Binary(bytes) => Bytes::from(bytes),
            _ => Bytes::new(),
        };
        Ok(hyper::Response::from_parts(parts, Full::new(bytes)))
    }
}
