//! Domain event → one delivery task per subscribed endpoint.

use super::messages::send_first_attempts;
use super::ServiceError;
use crate::domain::DomainEvent;
use crate::AppState;

/// Stores the event's message once and enqueues a first-attempt task for every enabled endpoint
/// subscribed to its type. Safe to run twice for the same event. Returns how many endpoints the
/// event goes to.
pub async fn fan_out(state: &AppState, event: &DomainEvent) -> Result<usize, ServiceError> {
    let endpoints = state.store.all_endpoints(&event.tenant_id).await?;
    let subscribed: Vec<_> = endpoints
        .iter()
        .filter(|endpoint| endpoint.subscribes_to(event.event_type))
        .map(|endpoint| endpoint.id.clone())
        .collect();
    if subscribed.is_empty() {
        return Ok(0);
    }
    send_first_attempts(state, event, &subscribed).await?;
    Ok(subscribed.len())
}
