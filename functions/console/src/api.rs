//! Changes the console makes go through the API itself, in-process: the same router, handlers,
//! validation, scope checks and audit entries as a `curl` would meet, with the session's token
//! as the credential. Nothing about a change is implemented twice.

use crate::error::ConsoleError;
use crate::session::Session;
use faultline::AppState;
use http::{Method, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

/// The API's and the auth function's routers, built once per container (building one assembles
/// its OpenAPI description) and handed to every request in its extensions.
#[derive(Clone, Debug)]
pub struct ApiRouters {
    api: axum::Router,
    auth: axum::Router,
}

impl ApiRouters {
    /// Both routers over `state`.
    pub fn new(state: &AppState) -> Self {
        Self {
            api: faultline_api::app(state.clone()),
            auth: faultline_auth::app(state.clone()),
        }
    }
}

/// The largest answer the console reads back from the API: 8 MiB.
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// Calls the API as the session's caller; the answer's JSON on success (`Null` when empty), else
/// the API's refusal (title and detail of its problem document).
pub async fn call(
    session: &Session,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, ConsoleError> {
    let mut request = http::Request::builder().method(method).uri(path).header(
        http::header::AUTHORIZATION,
        format!("Bearer {}", session.token),
    );
    if body.is_some() {
        request = request.header(http::header::CONTENT_TYPE, "application/json");
    }
    let bytes = body.map(|b| b.to_string()).unwrap_or_default();
    let mut request = request
        .body(axum::body::Body::from(bytes))
        .map_err(|e| ConsoleError::Api(faultline::http::ApiError::internal(e)))?;
    if let Some(context) = &session.context {
        request.extensions_mut().insert(context.clone());
    }
    let routers = &session.routers;
    let app = if path.starts_with("/v1/auth/") || path.starts_with("/v1/oauth-apps") {
        routers.auth.clone()
    } else {
        routers.api.clone()
    };
    let response = match app.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), MAX_ANSWER_BYTES)
        .await
        .map_err(|e| ConsoleError::Api(faultline::http::ApiError::internal(e)))?;
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(body);
    }
    Err(refusal(status, &body))
}

/// The API's problem document as the console shows it.
fn refusal(status: StatusCode, problem: &Value) -> ConsoleError {
    if status == StatusCode::UNAUTHORIZED {
        return ConsoleError::SignIn {
            next: "/console".into(),
        };
    }
    let text = |name: &str| problem[name].as_str().unwrap_or_default().to_owned();
    let detail = if status.is_server_error() {
        "Something went wrong on our side; it has been logged. Try again shortly.".to_owned()
    } else {
        text("detail")
    };
    ConsoleError::Refused {
        status,
        title: match text("title") {
            t if t.is_empty() => "That did not work".to_owned(),
            t => t,
        },
        detail,
    }
}
