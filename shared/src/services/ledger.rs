//! Acting on the delivery ledger: re-sending a message, sending a test ping.

use super::ServiceError;
use crate::domain::{
    DeliveryStatus, DeliveryTask, DomainEvent, Endpoint, EndpointId, EventType, Message, MessageId,
    TenantId,
};
use crate::store::DeliveryRecord;
use crate::AppState;
use serde_json::json;

/// Queues the next attempt of a message now: to `endpoint` whatever its state (a manual re-send),
/// or to every endpoint whose delivery failed or was exhausted. Returns the endpoints queued;
/// `None` when the tenant has no such message.
pub async fn retry_message(
    state: &AppState,
    tenant: &TenantId,
    message: &MessageId,
    endpoint: Option<&EndpointId>,
) -> Result<Option<Vec<EndpointId>>, ServiceError> {
    if state.store.get_message(tenant, message).await?.is_none() {
        return Ok(None);
    }
    let now = state.clock.now();
    let deliveries = state.store.list_deliveries(tenant, message).await?;
    let chosen: Vec<DeliveryRecord> = deliveries
        .into_iter()
        .filter(|d| match endpoint {
            Some(id) => &d.endpoint_id == id,
            None => matches!(d.status, DeliveryStatus::Failed | DeliveryStatus::Exhausted),
        })
        .collect();
    let tasks: Vec<DeliveryTask> = chosen
        .iter()
        .map(|d| DeliveryTask {
            tenant_id: tenant.clone(),
            message_id: message.clone(),
            endpoint_id: d.endpoint_id.clone(),
            // The next attempt number: its claim keeps a racing scheduled retry from doubling it.
            attempt: d.attempts + 1,
            not_before: now,
        })
        .collect();
    for delivery in &chosen {
        let pending = DeliveryRecord {
            status: DeliveryStatus::Pending,
            next_attempt_at: Some(now),
            updated_at: now,
            ..delivery.clone()
        };
        state.store.set_delivery(tenant, &pending).await?;
    }
    state.deliveries.enqueue_now(&tasks).await?;
    Ok(Some(tasks.into_iter().map(|t| t.endpoint_id).collect()))
}

/// Sends a `ping` message to one endpoint (whatever its event-type filter) and returns its id.
pub async fn send_test(state: &AppState, endpoint: &Endpoint) -> Result<MessageId, ServiceError> {
    let now = state.clock.now();
    let event = DomainEvent::new(
        endpoint.tenant_id.clone(),
        EventType::Ping,
        json!({"endpoint_id": endpoint.id, "message": "This is a test message from Faultline."}),
        now,
    );
    let message = Message {
        id: MessageId::for_event(&event.id),
        tenant_id: endpoint.tenant_id.clone(),
        event_id: event.id.clone(),
        event_type: EventType::Ping,
        body: event.webhook_body(),
        created_at: now,
    };
    state.store.put_message_once(&message).await?;
    let delivery = DeliveryRecord {
        message_id: message.id.clone(),
        endpoint_id: endpoint.id.clone(),
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: Some(now),
        updated_at: now,
    };
    state
        .store
        .put_delivery_once(&endpoint.tenant_id, &delivery)
        .await?;
    state
        .deliveries
        .enqueue_now(&[DeliveryTask {
            tenant_id: endpoint.tenant_id.clone(),
            message_id: message.id.clone(),
            endpoint_id: endpoint.id.clone(),
            attempt: 1,
            not_before: now,
        }])
        .await?;
    Ok(message.id)
}
