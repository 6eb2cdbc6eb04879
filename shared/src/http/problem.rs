//! Errors at the HTTP edge, as RFC 9457 `application/problem+json`. Internal causes are logged
//! with the request id and never returned.

use crate::auth::AuthError;
use crate::domain::Scope;
use crate::store::StoreError;
use http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::json;

/// The problem document's media type.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// Everything a handler can answer instead of success.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON.
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    /// Something else about the request is wrong (bad cursor, bad query).
    #[error("{detail}")]
    BadRequest {
        /// The parameter at fault.
        field: Option<String>,
        /// What is wrong.
        detail: String,
    },
    /// A field is missing or has a wrong value.
    #[error("{detail}")]
    Validation {
        /// The field at fault.
        field: String,
        /// What is wrong.
        detail: String,
    },
    /// No valid credential or signature.
    #[error("{0}")]
    Unauthorized(String),
    /// The credential lacks a scope.
    #[error("this request needs the `{}` scope", .0.as_str())]
    MissingScope(Scope),
    /// Authenticated, but not allowed for another reason.
    #[error("{0}")]
    Forbidden(String),
    /// No such resource (for this tenant).
    #[error("{0}")]
    NotFound(String),
    /// The change would break a rule about the resource's state (e.g. the last active admin).
    #[error("{0}")]
    Conflict(String),
    /// The body is over the limit.
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The credential made too many requests.
    #[error("{detail}")]
    RateLimited {
        /// Which limit, e.g. `api_key_per_minute`.
        limit: &'static str,
        /// Its value.
        value: u32,
        /// Seconds until a request will be accepted.
        retry_after: u64,
        /// What happened.
        detail: String,
    },
    /// An OAuth 2.0 token request refused (RFC 6749 §5.2): the problem also carries `error` and
    /// `error_description`, so OAuth client libraries understand it.
    #[error("{description}")]
    OAuth {
        /// 400, or 401 for `invalid_client`.
        status: StatusCode,
        /// `invalid_request`, `invalid_client`, `invalid_grant`, `invalid_scope`,
        /// `unsupported_grant_type`.
        code: &'static str,
        /// What is wrong.
        description: String,
    },
    /// A provider the request had to reach (Jira, GitHub, PagerDuty) refused it; its reason
    /// (never a secret) is shown.
    #[error("{0}")]
    ProviderRefused(String),
    /// A bug or an outage: logged in full, answered vaguely.
    #[error("internal error")]
    Internal(String),
    /// A dependency is down; the caller should retry.
    #[error("temporarily unavailable")]
    Unavailable(String),
}

impl ApiError {
    /// A 422 for `field`.
    pub fn validation(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            detail: detail.into(),
        }
    }

    /// A 400 for a query parameter.
    pub fn bad_parameter(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            field: Some(field.into()),
            detail: detail.into(),
        }
    }

    /// A 404 naming what was not found.
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::NotFound(format!("no {what} with id `{id}`"))
    }

    /// An internal error from any displayable cause.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::MalformedJson(_) => (StatusCode::BAD_REQUEST, "malformed-json", "Malformed JSON"),
            Self::BadRequest { .. } => (StatusCode::BAD_REQUEST, "bad-request", "Bad request"),
            Self::Validation { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation-failed",
                "Validation failed",
            ),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            Self::MissingScope(_) => (StatusCode::FORBIDDEN, "missing-scope", "Missing scope"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            Self::ProviderRefused(_) => (
                StatusCode::BAD_GATEWAY,
                "provider-refused",
                "The provider refused it",
            ),
            Self::PayloadTooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            Self::OAuth { status, .. } => (*status, "oauth-error", "Token request refused"),
            Self::RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal-error",
                "Internal error",
            ),
            Self::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Temporarily unavailable",
            ),
        }
    }

    /// The status code this error answers with.
    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    /// The problem document, its status and extra headers. Logs the hidden cause of 5xx errors
    /// with the request id.
    fn problem(&self, request_id: &str) -> (StatusCode, Vec<(http::HeaderName, String)>, String) {
        let (status, slug, title) = self.parts();
        match self {
            Self::Internal(cause) | Self::Unavailable(cause) => {
                tracing::error!(request_id, status = status.as_u16(), cause = %cause, "request failed");
            }
            other => {
                tracing::info!(request_id, status = status.as_u16(), problem = %other, "request refused")
            }
        }
        let mut problem = json!({
            "type": format!("https://faultline.dev/problems/{slug}"),
            "title": title,
            "status": status.as_u16(),
            "detail": self.to_string(),
            "request_id": request_id,
        });
        let field = match self {
            Self::Validation { field, .. } => Some(field.clone()),
            Self::BadRequest { field, .. } => field.clone(),
            Self::MissingScope(scope) => {
                problem["missing_scope"] = json!(scope.as_str());
                None
            }
            Self::OAuth {
                code, description, ..
            } => {
                problem["error"] = json!(code);
                problem["error_description"] = json!(description);
                None
            }
            Self::RateLimited {
                limit,
                value,
                retry_after,
                ..
            } => {
                problem["limit"] = json!(limit);
                problem["limit_value"] = json!(value);
                problem["retry_after"] = json!(retry_after);
                None
            }
            _ => None,
        };
        if let Some(field) = field {
            problem["field"] = json!(field);
        }
        let mut headers = vec![(http::header::CONTENT_TYPE, PROBLEM_CONTENT_TYPE.to_owned())];
        if status == StatusCode::UNAUTHORIZED {
            headers.push((http::header::WWW_AUTHENTICATE, "Bearer".to_owned()));
        }
        if let Self::RateLimited { retry_after, .. } = self {
            headers.push((http::header::RETRY_AFTER, retry_after.to_string()));
        }
        (status, headers, problem.to_string())
    }

    /// The problem+json response, as the inbound webhook functions answer it.
    pub fn to_response(&self, request_id: &str) -> Response<Body> {
        let (status, headers, text) = self.problem(request_id);
        let mut builder = Response::builder().status(status);
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        builder
            .body(Body::Text(text))
            .unwrap_or_else(|_| Response::new(Body::Empty))
    }

    /// The problem+json response of an axum application.
    pub fn to_problem_response(&self, request_id: &str) -> axum::response::Response {
        let (status, headers, text) = self.problem(request_id);
        let mut builder = http::Response::builder().status(status);
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        builder
            .body(axum::body::Body::from(text))
            .unwrap_or_else(|_| http::Response::new(axum::body::Body::empty()))
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::BadCursor => {
                Self::bad_parameter("cursor", "the cursor is not valid for this list")
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<crate::services::ServiceError> for ApiError {
    /// A flow failed on a dependency: the caller may retry; a stored-data problem is internal.
    fn from(err: crate::services::ServiceError) -> Self {
        use crate::services::ServiceError;
        match err {
            ServiceError::Store(store) => store.into(),
            ServiceError::Malformed(cause) => Self::Internal(cause),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

impl From<crate::secrets::KeyError> for ApiError {
    /// The data key could not be read (a dependency is down, the caller may retry), or is not a
    /// key (the deployment is misconfigured).
    fn from(err: crate::secrets::KeyError) -> Self {
        match err {
            crate::secrets::KeyError::Unavailable(_) => Self::Unavailable(err.to_string()),
            crate::secrets::KeyError::TooShort { .. } => Self::Internal(err.to_string()),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Missing
            | AuthError::Invalid
            | AuthError::Revoked
            | AuthError::Expired(_)
            | AuthError::Token(_) => Self::Unauthorized(err.to_string()),
            AuthError::RateLimited { limit, retry_after } => Self::RateLimited {
                limit: "api_key_per_minute",
                value: limit,
                retry_after,
                detail: err.to_string(),
            },
            AuthError::SourceNotAllowed => Self::Forbidden(err.to_string()),
            AuthError::Store(store) => Self::Internal(store.to_string()),
            AuthError::Secrets(cause) => Self::Unavailable(cause),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(response: &Response<Body>) -> serde_json::Value {
        match response.body() {
            Body::Text(text) => serde_json::from_str(text).expect("problem is JSON"),
            other => panic!("unexpected body {other:?}"),
        }
    }

    #[test]
    fn validation_problem_names_the_field_and_request() {
        let response = ApiError::validation("severity", "must be one of …").to_response("req-1");
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            response.headers()[http::header::CONTENT_TYPE],
            PROBLEM_CONTENT_TYPE
        );
        let problem = body(&response);
        assert_eq!(problem["field"], "severity");
        assert_eq!(problem["request_id"], "req-1");
        assert_eq!(problem["status"], 422);
        assert_eq!(
            problem["type"],
            "https://faultline.dev/problems/validation-failed"
        );
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let response = ApiError::internal("dynamodb: secret table name xyz").to_response("r");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body(&response).to_string().contains("xyz"));
    }

    #[test]
    fn missing_scope_is_403_naming_the_scope() {
        let response = ApiError::MissingScope(Scope::EndpointsWrite).to_response("r");
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(body(&response)["missing_scope"], "endpoints:write");
    }
}
