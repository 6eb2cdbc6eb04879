//! Publishing events parked in the outbox: right after the write that parked them, and again by
//! the relay for any whose publish did not complete.

use crate::domain::DomainEvent;
use crate::AppState;
use chrono::Duration;

/// Publishes events already parked in the outbox (one SQS batch) and removes the published ones
/// (one DynamoDB batch). A failure is logged and left for the relay: the event is safe in the
/// table either way, and fan-out is idempotent per event id if one is published twice.
pub async fn publish_parked(state: &AppState, events: &[DomainEvent]) -> usize {
    if events.is_empty() {
        return 0;
    }
    let accepted = state.events.publish_all(events).await;
    let published: Vec<&DomainEvent> = events
        .iter()
        .zip(&accepted)
        .filter_map(|(event, ok)| ok.then_some(event))
        .collect();
    if published.len() < events.len() {
        tracing::warn!(
            unpublished = events.len() - published.len(),
            "events not published; the outbox relay will retry"
        );
    }
    if let Err(err) = state.store.outbox_remove_all(&published).await {
        tracing::warn!(error = %err, "published events not removed from the outbox; the relay will republish them");
    }
    published.len()
}

/// What one relay run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RelayReport {
    /// Events found parked past the grace period.
    pub found: usize,
    /// Of those, published now.
    pub published: usize,
    /// Audit entries parked because their append failed.
    pub audit_found: usize,
    /// Of those, appended to their chains now.
    pub audit_appended: usize,
    /// Refusal counts of past minutes folded into their chains as entries.
    pub refusals_folded: usize,
}

/// Events younger than this are still being published by the writer that parked them.
pub const RELAY_GRACE: Duration = Duration::seconds(30);

/// A mutating request parks its audit intent before its change and settles it when its entry is
/// appended; an intent older than this (longer than any function runs) belongs to a request that
/// stopped before settling, and the relay appends it as it stands.
pub const AUDIT_INTENT_GRACE: Duration = Duration::minutes(2);

/// Publishes every event parked for longer than the grace period.
pub async fn relay_pending(state: &AppState) -> Result<RelayReport, crate::store::StoreError> {
    let cutoff = state.clock.now() - RELAY_GRACE;
    let pending = state.store.outbox_pending(cutoff, 500).await?;
    let published = publish_parked(state, &pending).await;
    // Entries parked before the grace period: younger ones may be intents of requests still running.
    let settled_before = state.clock.now() - AUDIT_INTENT_GRACE;
    let (audit_found, audit_appended) = state
        .store
        .append_parked_audits(500, settled_before)
        .await?;
    let refusals_folded = state.store.fold_refusals(state.clock.now()).await?;
    Ok(RelayReport {
        found: pending.len(),
        published,
        audit_found,
        audit_appended,
        refusals_folded,
    })
}
