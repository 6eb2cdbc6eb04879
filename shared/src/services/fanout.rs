//! Domain event → one delivery task per subscribed endpoint.

use super::messages::send_first_attempts;
use super::notify::route_event;
use super::ServiceError;
use crate::domain::DomainEvent;
use crate::AppState;

/// Where one event went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FannedOut {
    /// Webhook endpoints subscribed to it.
    pub endpoints: usize,
    /// Notifications the tenant's rules route it to.
    pub notifications: usize,
}

/// Records what the event says for analysis (a `deadlock.detected` event's occurrence), stores
/// the event's message once and enqueues a first-attempt task for every enabled endpoint
/// subscribed to its type, and one notification task per destination the tenant's rules route
/// it to. Safe to run twice for the same event (deliveries are keyed by message and endpoint;
/// `notify` sends nothing twice).
pub async fn fan_out(state: &AppState, event: &DomainEvent) -> Result<FannedOut, ServiceError> {
    super::deadlocks::record(state, event).await?;
    let endpoints = state.store.all_endpoints(&event.tenant_id).await?;
    let subscribed: Vec<_> = endpoints
        .iter()
        .filter(|endpoint| endpoint.subscribes_to(event.event_type))
        .map(|endpoint| endpoint.id.clone())
        .collect();
    if !subscribed.is_empty() {
        send_first_attempts(state, event, &subscribed).await?;
    }
    let notifications = route_event(state, event).await?;
    if !notifications.is_empty() {
        state.notifications.enqueue_now(&notifications).await?;
    }
    Ok(FannedOut {
        endpoints: subscribed.len(),
        notifications: notifications.len(),
    })
}
