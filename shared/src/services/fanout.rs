//! Domain event → one delivery task per subscribed endpoint.

use super::ServiceError;
use crate::domain::{DeliveryStatus, DeliveryTask, DomainEvent};
use crate::store::DeliveryRecord;
use crate::AppState;

/// Stores the event's message once and enqueues a first-attempt task for every enabled endpoint
/// subscribed to its type. Safe to run twice for the same event: the message and delivery records
/// are written once, and a duplicate task is absorbed by the attempt claim in `dispatch`.
/// Returns how many endpoints the event goes to.
pub async fn fan_out(state: &AppState, event: &DomainEvent) -> Result<usize, ServiceError> {
    let endpoints = state.store.all_endpoints(&event.tenant_id).await?;
    let subscribed: Vec<_> = endpoints
        .iter()
        .filter(|endpoint| endpoint.subscribes_to(event.event_type))
        .collect();
    if subscribed.is_empty() {
        return Ok(0);
    }
    let now = state.clock.now();
    let message = super::messages::message_for(state, event, now).await?;
    let ids: Vec<_> = subscribed.iter().map(|e| e.id.clone()).collect();
    super::messages::store_message(state, &message, &ids).await?;
    let mut tasks = Vec::with_capacity(subscribed.len());
    for endpoint in &subscribed {
        let record = DeliveryRecord {
            message_id: message.id.clone(),
            endpoint_id: endpoint.id.clone(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(now),
            updated_at: now,
        };
        state
            .store
            .put_delivery_once(&event.tenant_id, &record)
            .await?;
        tasks.push(DeliveryTask {
            tenant_id: event.tenant_id.clone(),
            message_id: message.id.clone(),
            endpoint_id: endpoint.id.clone(),
            attempt: 1,
            not_before: now,
        });
    }
    state.deliveries.enqueue_now(&tasks).await?;
    Ok(tasks.len())
}
