//! The edge of the inbound webhook functions: one handler and one `main` for every provider. It
//! reads the request (integration id, headers, the exact body bytes within the limit), runs the
//! inbound pipeline, and maps its outcome or error to HTTP — the pipeline itself knows no HTTP.

use super::{request_id, ApiError, MAX_BODY_BYTES};
use crate::services::inbound::{receive, InboundError, InboundOutcome, InboundRequest};
use crate::sources::{Headers, ReplyStatus, SourceError, WebhookSource};
use crate::AppState;
use http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};

/// Serves one delivery for `source` (`POST /v1/hooks/<source>/{integration_id}`).
pub async fn handle_webhook(
    state: &AppState,
    req: Request,
    source: &'static dyn WebhookSource,
) -> Response<Body> {
    let request_id = request_id(&req);
    let answer = async {
        let body = super::body_bytes(&req, MAX_BODY_BYTES)?;
        let inbound = InboundRequest {
            integration_id: req
                .path_parameters_ref()
                .and_then(|p| p.first("integration_id"))
                .unwrap_or_default()
                .to_owned(),
            headers: headers_of(req.headers()),
            body: body.to_vec(),
            request_id: request_id.clone(),
        };
        receive(state, &inbound, source)
            .await
            .map_err(ApiError::from)
    }
    .await;
    crate::metrics::Observation::new(&[
        ("Source", source.source().as_str()),
        ("Result", result_of(&answer)),
    ])
    .also_by(&["Result"])
    .count("InboundWebhooks", 1)
    .emit();
    match answer {
        Ok(outcome) => outcome_response(outcome),
        Err(err) => err.to_response(&request_id),
    }
}

/// The `Result` dimension of the `InboundWebhooks` metric.
fn result_of(answer: &Result<InboundOutcome, ApiError>) -> &'static str {
    match answer {
        Ok(InboundOutcome::Accepted(_)) => "accepted",
        Ok(InboundOutcome::Duplicate(_)) => "duplicate",
        Ok(InboundOutcome::Replied { .. }) => "replied",
        Err(err) => match err.status() {
            StatusCode::UNAUTHORIZED => "refused_signature",
            StatusCode::NOT_FOUND => "refused_unknown",
            StatusCode::TOO_MANY_REQUESTS => "rate_limited",
            status if status.is_client_error() => "refused_invalid",
            _ => "failed",
        },
    }
}

/// Runs the Lambda function of an inbound webhook source.
pub async fn run_webhook(source: &'static dyn WebhookSource) -> Result<(), lambda_http::Error> {
    crate::telemetry::init();
    let state = AppState::from_env(&[crate::state::KeySecret::Data]).await?;
    let state = &state;
    lambda_http::run(lambda_http::service_fn(move |req: Request| async move {
        Ok::<_, lambda_http::Error>(handle_webhook(state, req, source).await)
    }))
    .await
}

/// The core's view of HTTP headers.
pub fn headers_of(map: &http::HeaderMap) -> Headers {
    map.iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect()
}

/// The status an outcome answers with, and its body.
pub fn outcome_parts(outcome: InboundOutcome) -> (StatusCode, serde_json::Value) {
    match outcome {
        InboundOutcome::Replied { status, body } => (status_of(status), body),
        InboundOutcome::Accepted(body) => (StatusCode::ACCEPTED, body),
        InboundOutcome::Duplicate(body) => (StatusCode::OK, body),
    }
}

fn status_of(status: ReplyStatus) -> StatusCode {
    match status {
        ReplyStatus::Ok => StatusCode::OK,
        ReplyStatus::Accepted => StatusCode::ACCEPTED,
    }
}

fn outcome_response(outcome: InboundOutcome) -> Response<Body> {
    let (status, body) = outcome_parts(outcome);
    super::json_response(status, &body)
}

impl From<SourceError> for ApiError {
    fn from(err: SourceError) -> Self {
        match err {
            SourceError::Malformed(cause) => Self::MalformedJson(cause),
            SourceError::NotThisProvider { field, detail } => Self::BadRequest { field, detail },
            SourceError::Invalid { field, detail } => Self::Validation { field, detail },
        }
    }
}

impl From<InboundError> for ApiError {
    fn from(err: InboundError) -> Self {
        match err {
            InboundError::NotFound(detail) => Self::NotFound(detail),
            InboundError::Unauthorized(signature) => Self::Unauthorized(signature.to_string()),
            InboundError::Source(source) => source.into(),
            InboundError::Store(store) => store.into(),
            InboundError::Unavailable(cause) => Self::Unavailable(cause),
            InboundError::Internal(cause) => Self::Internal(cause),
            InboundError::RateLimited {
                limit,
                value,
                retry_after,
                detail,
            } => Self::RateLimited {
                limit,
                value,
                retry_after,
                detail,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_answer_is_counted_under_its_result() {
        let cases: [(Result<InboundOutcome, ApiError>, &str); 9] = [
            (Ok(InboundOutcome::Accepted(json!({}))), "accepted"),
            (Ok(InboundOutcome::Duplicate(json!({}))), "duplicate"),
            (
                Ok(InboundOutcome::Replied {
                    status: ReplyStatus::Ok,
                    body: json!({}),
                }),
                "replied",
            ),
            (
                Err(ApiError::Unauthorized("bad".into())),
                "refused_signature",
            ),
            (
                Err(ApiError::not_found("integration", "x")),
                "refused_unknown",
            ),
            (
                Err(ApiError::validation("title", "missing")),
                "refused_invalid",
            ),
            (
                Err(ApiError::RateLimited {
                    limit: "inbound_per_integration_per_minute",
                    value: 1,
                    retry_after: 30,
                    detail: "over".into(),
                }),
                "rate_limited",
            ),
            (Err(ApiError::Unavailable("down".into())), "failed"),
            (Err(ApiError::internal("bug")), "failed"),
        ];
        for (answer, expected) in &cases {
            assert_eq!(result_of(answer), *expected);
        }
    }
}
