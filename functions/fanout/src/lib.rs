//! The `fanout` function (SQS `events`): each domain event becomes one delivery task per
//! subscribed endpoint. Reports partial batch failures, so one bad record fails alone.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use faultline::domain::DomainEvent;
use faultline::queue::{process_batch, DecodedBatch};
use faultline::services::fanout::fan_out;
use faultline::services::ServiceError;
use faultline::AppState;

/// Handles one batch of domain events.
pub async fn handle(state: &AppState, event: SqsEvent) -> SqsBatchResponse {
    let batch = DecodedBatch::<DomainEvent>::decode(event);
    process_batch(batch, |_, event| {
        let state = state.clone();
        async move {
            let out = fan_out(&state, &event).await?;
            tracing::info!(
                event_id = %event.id,
                event_type = event.event_type.as_str(),
                endpoints = out.endpoints,
                notifications = out.notifications,
                "event fanned out"
            );
            Ok::<_, ServiceError>(())
        }
    })
    .await
}
