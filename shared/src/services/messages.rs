//! Storing and loading outgoing messages. Bodies larger than [`INLINE_BODY_LIMIT`] live in S3
//! with a reference in the table item: DynamoDB items stop at 400 KB and every read of a large
//! item costs a read unit per 4 KB, while delivery tasks on SQS carry ids only, never bodies, so
//! SQS's 256 KiB message limit is never in play.

use super::ServiceError;
use crate::domain::{
    DeliveryStatus, DeliveryTask, DomainEvent, EndpointId, Message, MessageId, TenantId,
};
use crate::store::DeliveryRecord;
use crate::AppState;

/// The largest body kept inside the message's table item.
pub const INLINE_BODY_LIMIT: usize = 32 * 1024;

/// The S3 key of a message body.
pub fn body_key(message: &Message) -> String {
    format!("messages/{}/{}.json", message.tenant_id, message.id)
}

/// Stores a message once, pending at `endpoints` (a second store of the same id is a no-op), its
/// body in S3 when large.
pub async fn store_message(
    state: &AppState,
    message: &Message,
    endpoints: &[EndpointId],
) -> Result<(), ServiceError> {
    if message.body.len() <= INLINE_BODY_LIMIT {
        state.store.put_message_once(message, endpoints).await?;
        return Ok(());
    }
    let key = body_key(message);
    // Body first: a reference is never stored to an object that does not exist.
    state
        .archive
        .put_object(&key, message.body.clone().into_bytes())
        .await?;
    let item = Message {
        body: String::new(),
        body_ref: Some(key),
        body_bytes: message.body.len(),
        ..message.clone()
    };
    state.store.put_message_once(&item, endpoints).await?;
    Ok(())
}

/// A tenant's message with its body, loaded from S3 when it lives there.
pub async fn load_message(
    state: &AppState,
    tenant: &TenantId,
    id: &MessageId,
) -> Result<Option<Message>, ServiceError> {
    match state.store.get_message(tenant, id).await? {
        Some(message) => Ok(Some(with_body(state, message).await?)),
        None => Ok(None),
    }
}

/// A stored message with its body, loaded from S3 when it lives there.
pub async fn with_body(state: &AppState, mut message: Message) -> Result<Message, ServiceError> {
    if let Some(key) = &message.body_ref {
        let bytes = state.archive.get_object(key).await?;
        message.body = String::from_utf8(bytes)
            .map_err(|_| ServiceError::Malformed(format!("message body {key} is not UTF-8")))?;
    }
    Ok(message)
}

/// The message carrying `event`, with the tenant's retry schedule when it set one.
pub async fn message_for(
    state: &AppState,
    event: &crate::domain::DomainEvent,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Message, ServiceError> {
    let mut message = Message::for_event(event, now);
    message.retry_schedule = state
        .store
        .get_tenant(&event.tenant_id)
        .await?
        .and_then(|tenant| tenant.settings.retry_schedule);
    Ok(message)
}

/// Stores the event's message once and queues its first attempt to each of `endpoints`: the one
/// way a domain event becomes deliveries (fan-out, test pings). The message item holds the
/// endpoints it is pending at (its status set), so no delivery record is written before an
/// attempt is made: [`deliveries_of`] shows the pending ones from the set, and the first attempt
/// writes the record. Safe to run twice for the same event: the message is written once, and a
/// duplicate task is absorbed by the attempt claim in `dispatch`.
pub async fn send_first_attempts(
    state: &AppState,
    event: &DomainEvent,
    endpoints: &[EndpointId],
) -> Result<MessageId, ServiceError> {
    let now = state.clock.now();
    let message = message_for(state, event, now).await?;
    store_message(state, &message, endpoints).await?;
    let tasks: Vec<DeliveryTask> = endpoints
        .iter()
        .map(|endpoint_id| DeliveryTask {
            tenant_id: event.tenant_id.clone(),
            message_id: message.id.clone(),
            endpoint_id: endpoint_id.clone(),
            attempt: 1,
            not_before: now,
        })
        .collect();
    state.deliveries.enqueue_now(&tasks).await?;
    Ok(message.id)
}

/// A message's deliveries by endpoint: the recorded ones, and a `pending` one (no attempt yet,
/// due since the message was created) for each endpoint the message is pending at without a
/// record — a delivery is recorded at its first attempt, not when it is queued.
pub async fn deliveries_of(
    state: &AppState,
    message: &Message,
) -> Result<Vec<DeliveryRecord>, ServiceError> {
    let mut deliveries = state
        .store
        .list_deliveries(&message.tenant_id, &message.id)
        .await?;
    let unrecorded: Vec<DeliveryRecord> = message
        .deliveries_pending
        .iter()
        .filter(|endpoint| !deliveries.iter().any(|d| &d.endpoint_id == *endpoint))
        .map(|endpoint| DeliveryRecord {
            message_id: message.id.clone(),
            endpoint_id: endpoint.clone(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(message.created_at),
            updated_at: message.created_at,
        })
        .collect();
    deliveries.extend(unrecorded);
    deliveries.sort_by(|a, b| a.endpoint_id.as_str().cmp(b.endpoint_id.as_str()));
    Ok(deliveries)
}
