//! Acting on the delivery ledger: re-sending a message, sending a test ping.

use super::ServiceError;
use crate::domain::{
    DeliveryStatus, DeliveryTask, DomainEvent, Endpoint, EndpointId, EventType, MessageId, TenantId,
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
    let Some(message) = state.store.get_message(tenant, message).await? else {
        return Ok(None);
    };
    let deliveries = super::messages::deliveries_of(state, &message).await?;
    let chosen: Vec<DeliveryRecord> = deliveries
        .into_iter()
        .filter(|d| match endpoint {
            Some(id) => &d.endpoint_id == id,
            None => matches!(d.status, DeliveryStatus::Failed | DeliveryStatus::Exhausted),
        })
        .collect();
    requeue_now(state, tenant, &chosen).await?;
    Ok(Some(chosen.into_iter().map(|d| d.endpoint_id).collect()))
}

/// Marks deliveries pending and queues their next attempt now. The next attempt number's claim
/// keeps a racing scheduled retry from sending it twice.
async fn requeue_now(
    state: &AppState,
    tenant: &TenantId,
    deliveries: &[DeliveryRecord],
) -> Result<(), ServiceError> {
    let now = state.clock.now();
    let mut tasks = Vec::with_capacity(deliveries.len());
    let mut by_message: std::collections::HashMap<&MessageId, Vec<EndpointId>> =
        std::collections::HashMap::new();
    for delivery in deliveries {
        let pending = DeliveryRecord {
            status: DeliveryStatus::Pending,
            next_attempt_at: Some(now),
            updated_at: now,
            ..delivery.clone()
        };
        state.store.set_delivery(tenant, &pending).await?;
        by_message
            .entry(&delivery.message_id)
            .or_default()
            .push(delivery.endpoint_id.clone());
        tasks.push(DeliveryTask {
            tenant_id: tenant.clone(),
            message_id: delivery.message_id.clone(),
            endpoint_id: delivery.endpoint_id.clone(),
            attempt: delivery.attempts + 1,
            not_before: now,
        });
    }
    // The status sets before the tasks: a task must never finish before its `pending` lands.
    for (message, endpoints) in by_message {
        state
            .store
            .index_delivery_status(tenant, message, &endpoints, DeliveryStatus::Pending)
            .await?;
    }
    state.deliveries.enqueue_now(&tasks).await?;
    Ok(())
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
    super::messages::send_first_attempts(state, &event, std::slice::from_ref(&endpoint.id)).await
}

/// How far back `recover` may reach.
pub const RECOVER_WINDOW: chrono::Duration = chrono::Duration::days(14);

/// Re-sends, now, every message with an attempt to `endpoint` that failed since `since` (within
/// the last 14 days) whose delivery is still failed or exhausted. Returns how many were queued.
pub async fn recover_endpoint(
    state: &AppState,
    endpoint: &Endpoint,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<usize, ServiceError> {
    let now = state.clock.now();
    let since = since.max(now - RECOVER_WINDOW);
    let tenant = &endpoint.tenant_id;
    // The messages whose attempt to the endpoint failed since then (from the attempts' index),
    // then where each of those deliveries stands now: a later success is left alone.
    let mut messages: Vec<MessageId> = state
        .store
        .endpoint_attempts_since(tenant, &endpoint.id, since)
        .await?
        .into_iter()
        .filter(|a| a.outcome == crate::domain::AttemptOutcome::Failed)
        .map(|a| a.message_id)
        .collect();
    messages.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    messages.dedup();
    let failed: Vec<DeliveryRecord> = state
        .store
        .get_deliveries(tenant, &endpoint.id, &messages)
        .await?
        .into_iter()
        .filter(|d| matches!(d.status, DeliveryStatus::Failed | DeliveryStatus::Exhausted))
        .collect();
    requeue_now(state, tenant, &failed).await?;
    Ok(failed.len())
}

/// Delivery statistics of an endpoint over the last `window`: attempts by outcome and status
/// code, success rate, and p50/p99 latency of the attempts that got a response.
pub async fn endpoint_stats(
    state: &AppState,
    endpoint: &Endpoint,
    window: chrono::Duration,
) -> Result<crate::views::EndpointStatsView, ServiceError> {
    use crate::domain::AttemptOutcome;
    let now = state.clock.now();
    let attempts = state
        .store
        .endpoint_attempts_since(&endpoint.tenant_id, &endpoint.id, now - window)
        .await?;
    let finished: Vec<_> = attempts
        .iter()
        .filter(|a| a.outcome != AttemptOutcome::InFlight)
        .collect();
    let succeeded = finished
        .iter()
        .filter(|a| a.outcome == AttemptOutcome::Succeeded)
        .count();
    let mut by_status = std::collections::BTreeMap::<String, usize>::new();
    for attempt in &finished {
        *by_status
            .entry(attempt.status_code.to_string())
            .or_default() += 1;
    }
    let mut latencies: Vec<u64> = finished
        .iter()
        .filter(|a| a.status_code != 0)
        .map(|a| a.latency_ms)
        .collect();
    latencies.sort_unstable();
    let percentile = |p: f64| -> Option<u64> {
        let last = latencies.len().checked_sub(1)?;
        let rank = ((p / 100.0) * last as f64).round() as usize;
        latencies.get(rank.min(last)).copied()
    };
    Ok(crate::views::EndpointStatsView {
        endpoint_id: endpoint.id.to_string(),
        window_hours: window.num_hours(),
        attempts: finished.len(),
        succeeded,
        failed: finished.len() - succeeded,
        success_rate: (!finished.is_empty()).then(|| succeeded as f64 / finished.len() as f64),
        latency_ms: crate::views::LatencyView {
            p50: percentile(50.0),
            p99: percentile(99.0),
        },
        by_status_code: by_status,
    })
}
