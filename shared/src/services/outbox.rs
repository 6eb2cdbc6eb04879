//! Publishing events parked in the outbox: right after the write that parked them, and again by
//! the relay for any whose publish did not complete.

use crate::domain::DomainEvent;
use crate::AppState;
use chrono::Duration;

/// Publishes events already parked in the outbox and removes each once SQS has it. A failure is
/// logged and left for the relay: the event is safe in the table either way.
pub async fn publish_parked(state: &AppState, events: &[DomainEvent]) -> usize {
    let mut published = 0;
    for event in events {
        match state.events.publish(event).await {
            Ok(()) => {
                published += 1;
                if let Err(err) = state.store.outbox_remove(event).await {
                    // Published but still parked: the relay publishes it again; fan-out is
                    // idempotent per event id, so subscribers still get it once.
                    tracing::warn!(event_id = %event.id, error = %err, "outbox entry not removed");
                }
            }
            Err(err) => {
                tracing::warn!(event_id = %event.id, error = %err, "event publish failed; the outbox relay will retry");
            }
        }
    }
    published
}

/// What one relay run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RelayReport {
    /// Events found parked past the grace period.
    pub found: usize,
    /// Of those, published now.
    pub published: usize,
}

/// Events younger than this are still being published by the writer that parked them.
pub const RELAY_GRACE: Duration = Duration::seconds(30);

/// Publishes every event parked for longer than the grace period.
pub async fn relay_pending(state: &AppState) -> Result<RelayReport, crate::store::StoreError> {
    let cutoff = state.clock.now() - RELAY_GRACE;
    let pending = state.store.outbox_pending(cutoff, 500).await?;
    let published = publish_parked(state, &pending).await;
    Ok(RelayReport {
        found: pending.len(),
        published,
    })
}
