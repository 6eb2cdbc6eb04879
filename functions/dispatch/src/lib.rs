//! The `dispatch` function (SQS `deliveries`): delivers each task's signed webhook, concurrently
//! within the batch over one pooled client, and reports partial batch failures.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use faultline::domain::DeliveryTask;
use faultline::queue::{process_batch, DecodedBatch};
use faultline::services::delivery::{dispatch_with, index_outcomes, BatchLookups, DispatchOutcome};
use faultline::services::ServiceError;
use faultline::AppState;
use std::sync::{Arc, Mutex};

/// Handles one batch of delivery tasks. A task fails (and SQS redelivers it) only when its outcome
/// could not be recorded or its successor not queued; a failed POST is a recorded attempt, not a
/// failed task.
pub async fn handle(state: &AppState, event: SqsEvent) -> SqsBatchResponse {
    let batch = DecodedBatch::<DeliveryTask>::decode(event);
    let tasks: Vec<DeliveryTask> = batch.records.iter().map(|(_, t)| t.clone()).collect();
    // One read per endpoint and message of the batch; if that fails, each task reads its own.
    let lookups = Arc::new(BatchLookups::load(state, &tasks).await.unwrap_or_default());
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let mut response = process_batch(batch, |message_id, task| {
        let state = state.clone();
        let lookups = lookups.clone();
        let outcomes = outcomes.clone();
        async move {
            let outcome = dispatch_with(&state, &task, &lookups).await?;
            if let Ok(mut outcomes) = outcomes.lock() {
                outcomes.push((message_id, task, outcome));
            }
            Ok::<_, ServiceError>(())
        }
    })
    .await;
    // The messages' status sets, once per message and status for the whole batch; a record whose
    // update failed is redelivered, and its duplicate run repairs the sets.
    let done: Vec<(String, DeliveryTask, DispatchOutcome)> = outcomes
        .lock()
        .map(|mut o| std::mem::take(&mut *o))
        .unwrap_or_default();
    for (_, _, outcome) in &done {
        faultline::metrics::Observation::new(&[("Outcome", outcome.name())])
            .count("Deliveries", 1)
            .emit();
    }
    let pairs: Vec<(DeliveryTask, DispatchOutcome)> = done
        .iter()
        .map(|(_, task, outcome)| (task.clone(), outcome.clone()))
        .collect();
    for i in index_outcomes(state, &pairs).await {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = done[i].0.clone();
        response.batch_item_failures.push(failure);
    }
    response
}
