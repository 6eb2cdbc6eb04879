//! The `fanout` function (SQS `events`): each domain event becomes one delivery task per
//! subscribed endpoint. Reports partial batch failures, so one bad record fails alone.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use faultline::domain::DomainEvent;
use faultline::queue::process_batch;
use faultline::services::fanout::fan_out;
use faultline::services::ServiceError;
use faultline::AppState;

/// Handles one batch of domain events.
pub async fn handle(state: &AppState, event: SqsEvent) -> SqsBatchResponse {
    process_batch(event, |record| {
        let state = state.clone();
        async move {
            let body = record.body.unwrap_or_default();
            let event: DomainEvent =
                serde_json::from_str(&body).map_err(|e| ServiceError::Malformed(e.to_string()))?;
            let endpoints = fan_out(&state, &event).await?;
            tracing::info!(event_id = %event.id, event_type = event.event_type.as_str(), endpoints, "event fanned out");
            Ok::<_, ServiceError>(())
        }
    })
    .await
}
