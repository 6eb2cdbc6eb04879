//! The sample Lambda events in `events/`, edited for a test, and reading what a function answered.

use aws_lambda_events::event::sqs::SqsEvent;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use lambda_http::{Body, Request, Response};
use serde_json::Value;

/// A sample event from `events/`, e.g. `api/get-incident.json`.
pub fn load_event(path: &str) -> Value {
    let file = super::workspace_root().join("events").join(path);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    serde_json::from_str(&text).expect("event is JSON")
}

/// Edits a sample HTTP API event before use.
#[derive(Debug, Clone)]
pub struct HttpEvent(pub Value);

impl HttpEvent {
    /// Loads `events/<path>`.
    pub fn load(path: &str) -> Self {
        Self(load_event(path))
    }

    /// Authenticates with `Authorization: Bearer <key>` (or removes the header for `None`).
    pub fn key(mut self, key: Option<&str>) -> Self {
        let headers = self.0["headers"].as_object_mut().expect("headers");
        match key {
            Some(key) => headers.insert(
                "authorization".into(),
                Value::String(format!("Bearer {key}")),
            ),
            None => headers.remove("authorization"),
        };
        self
    }

    /// Sets a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.0["headers"][name] = Value::String(value.to_owned());
        self
    }

    /// Removes a header.
    pub fn without_header(mut self, name: &str) -> Self {
        if let Some(headers) = self.0["headers"].as_object_mut() {
            headers.remove(name);
        }
        self
    }

    /// Sets a path parameter (and rewrites the raw path to match).
    pub fn path_param(mut self, name: &str, value: &str) -> Self {
        let old = self.0["pathParameters"][name]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.0["pathParameters"][name] = Value::String(value.to_owned());
        for pointer in ["/rawPath", "/requestContext/http/path"] {
            if let Some(Value::String(path)) = self.0.pointer_mut(pointer) {
                *path = path.replace(&old, value);
            }
        }
        self
    }

    /// Sets the caller's address (`requestContext.http.sourceIp`).
    pub fn source_ip(mut self, address: &str) -> Self {
        self.0["requestContext"]["http"]["sourceIp"] = Value::String(address.to_owned());
        self
    }

    /// Sets the raw query string.
    pub fn query(mut self, query: &str) -> Self {
        self.0["rawQueryString"] = Value::String(query.to_owned());
        self
    }

    /// Replaces the body with exact bytes (sent base64-encoded, as API Gateway does for binary).
    pub fn body_bytes(mut self, body: &[u8]) -> Self {
        self.0["body"] = Value::String(BASE64.encode(body));
        self.0["isBase64Encoded"] = Value::Bool(true);
        self
    }

    /// Replaces the body with a JSON value.
    pub fn body_json(mut self, body: &Value) -> Self {
        self.0["body"] = Value::String(body.to_string());
        self.0["isBase64Encoded"] = Value::Bool(false);
        self
    }

    /// The body as sent (decoded), for signing.
    pub fn body(&self) -> Vec<u8> {
        let text = self.0["body"].as_str().unwrap_or_default();
        if self.0["isBase64Encoded"].as_bool().unwrap_or(false) {
            BASE64.decode(text).expect("base64 body")
        } else {
            text.as_bytes().to_vec()
        }
    }

    /// The request lambda_http builds from this event, exactly as in Lambda.
    pub fn request(&self) -> Request {
        lambda_http::request::from_str(&self.0.to_string()).expect("a valid HTTP API event")
    }
}

/// Status and JSON body of a response (`Value::Null` when empty, a string when not JSON).
pub fn json_of(response: &Response<Body>) -> (u16, Value) {
    let body = match response.body() {
        Body::Text(text) => {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
        }
        Body::Binary(bytes) => serde_json::from_slice(bytes).expect("JSON response"),
        _ => Value::Null,
    };
    (response.status().as_u16(), body)
}

/// A sample SQS event whose first record's body is replaced by each of `bodies`, with distinct
/// message ids `m0`, `m1`, ….
pub fn sqs_event(path: &str, bodies: &[String]) -> SqsEvent {
    let mut event = load_event(path);
    let template = event["Records"][0].clone();
    event["Records"] = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let mut record = template.clone();
            record["messageId"] = Value::String(format!("m{i}"));
            record["body"] = Value::String(body.clone());
            record
        })
        .collect();
    serde_json::from_value(event).expect("an SQS event")
}
