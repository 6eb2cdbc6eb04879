//! The functions this stack hosts, by the binary name the template gives them. Each is called
//! through the same `handle` its Lambda `main` calls.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use faultline::AppState;
use lambda_http::{Body, Request, Response};
use serde_json::Value;

/// Functions invoked by HttpApi routes.
pub const HTTP_FUNCTIONS: &[&str] = &[
    "faultline-api",
    "faultline-auth",
    "faultline-console",
    "faultline-webhook-generic",
    "faultline-webhook-github",
    "faultline-webhook-jira",
    "faultline-webhook-pagerduty",
    "faultline-webhook-sentry",
    "faultline-webhook-slack",
];
/// Functions invoked by SQS event sources.
pub const SQS_FUNCTIONS: &[&str] = &[
    "faultline-fanout",
    "faultline-dispatch",
    "faultline-notify",
    "faultline-export",
];
/// Functions invoked by schedules.
pub const SCHEDULED_FUNCTIONS: &[&str] = &[
    "faultline-outbox-relay",
    "faultline-notify",
    "faultline-sentry-sync",
    "faultline-cloudwatch-scan",
    "faultline-export",
];
/// Functions invoked by the table's stream.
pub const STREAM_FUNCTIONS: &[&str] = &["faultline-outbox-relay"];

/// Calls an HTTP function.
pub async fn invoke_http(state: &AppState, binary: &str, req: Request) -> Option<Response<Body>> {
    Some(match binary {
        "faultline-api" => faultline_api::handle(state, req).await,
        "faultline-auth" => faultline_auth::handle(state, req).await,
        "faultline-console" => faultline_console::handle(state, req).await,
        "faultline-webhook-generic" => faultline_webhook_generic::handle(state, req).await,
        "faultline-webhook-github" => faultline_webhook_github::handle(state, req).await,
        "faultline-webhook-jira" => faultline_webhook_jira::handle(state, req).await,
        "faultline-webhook-pagerduty" => faultline_webhook_pagerduty::handle(state, req).await,
        "faultline-webhook-sentry" => faultline_webhook_sentry::handle(state, req).await,
        "faultline-webhook-slack" => faultline_webhook_slack::handle(state, req).await,
        _ => return None,
    })
}

/// Calls an SQS function.
pub async fn invoke_sqs(
    state: &AppState,
    binary: &str,
    event: SqsEvent,
) -> Option<SqsBatchResponse> {
    Some(match binary {
        "faultline-fanout" => faultline_fanout::handle(state, event).await,
        "faultline-dispatch" => faultline_dispatch::handle(state, event).await,
        "faultline-notify" => faultline_notify::handle(state, event).await,
        "faultline-export" => faultline_export::handle(state, event).await,
        _ => return None,
    })
}

/// Calls a function that takes a JSON event: a schedule's, or a batch of the table's stream
/// records (`{"Records": [...]}`, answered with a `DynamoDbEventResponse`).
pub async fn invoke_json(
    state: &AppState,
    binary: &str,
    event: Value,
) -> Option<Result<Value, String>> {
    Some(match binary {
        "faultline-outbox-relay" => faultline_outbox_relay::handle(state, event)
            .await
            .map_err(|e| e.to_string()),
        "faultline-notify" => faultline_notify::handle_any(state, event).await,
        "faultline-export" => faultline_export::handle_any(state, event).await,
        "faultline-sentry-sync" => faultline_sentry_sync::handle(state, scheduled_deadline())
            .await
            .map_err(|e| e.to_string()),
        "faultline-cloudwatch-scan" => {
            faultline_cloudwatch_scan::handle(state, scheduled_deadline())
                .await
                .map_err(|e| e.to_string())
        }
        _ => return None,
    })
}

/// A scheduled run's deadline locally: the template's timeout for these functions (60 s) less
/// the margin the function keeps.
fn scheduled_deadline() -> tokio::time::Instant {
    tokio::time::Instant::now() + std::time::Duration::from_secs(60)
        - faultline::services::jobs::DEADLINE_MARGIN
}
