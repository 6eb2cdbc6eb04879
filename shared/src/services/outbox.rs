//! The transactional outbox, published through the table's stream. Every write that changes state
//! parks its domain events in the table in the same transaction; the table's stream hands each
//! parked event to the outbox relay, which publishes it to the events queue. The writer makes no
//! publish call and no clean-up call; an event whose publish fails is reported back as a partial
//! batch failure and handed over again, so an accepted change never loses its event. Parked
//! events expire by TTL. The relay's schedule appends audit entries parked by requests that
//! stopped before settling them.

use crate::domain::DomainEvent;
use crate::store::{inflate_events, StoreError, EVENTS_DEFLATED, EVENTS_JSON};
use crate::AppState;
use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use chrono::Duration;

/// What one scheduled relay run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RelayReport {
    /// Audit entries parked because their append failed.
    pub audit_found: usize,
    /// Of those, appended to their chains now.
    pub audit_appended: usize,
    /// Refusal counts of past minutes folded into their chains as entries.
    pub refusals_folded: usize,
}

/// What one batch of stream records came to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamReport {
    /// Parked events published (a record parks a change's events together).
    pub published: usize,
    /// Records passed over: not a parked event, or not its first write.
    pub passed_over: usize,
    /// Parked events that do not decode (logged; handing them over again cannot help).
    pub undecodable: usize,
    /// The sequence numbers of records whose publish failed, for the stream to hand over again.
    pub failed: Vec<String>,
}

/// A mutating request parks its audit intent before its change and settles it when its entry is
/// appended; an intent older than this (longer than any function runs) belongs to a request that
/// stopped before settling, and the relay appends it as it stands.
pub const AUDIT_INTENT_GRACE: Duration = Duration::minutes(2);

/// The events an outbox item parked together (`None` when the image is not an outbox item).
fn parked_events(image: &serde_dynamo::Item) -> Option<Result<Vec<DomainEvent>, StoreError>> {
    use serde_dynamo::AttributeValue as Value;
    match image.get("pk") {
        Some(Value::S(pk)) if pk.starts_with(crate::store::OUTBOX_PARTITION_PREFIX) => {}
        _ => return None,
    }
    Some(match (image.get(EVENTS_DEFLATED), image.get(EVENTS_JSON)) {
        (Some(Value::B(deflated)), _) => inflate_events(deflated),
        // Parked before events were deflated.
        (None, Some(Value::S(json))) => {
            serde_json::from_str(json).map_err(|e| StoreError::Codec(e.to_string()))
        }
        _ => Err(StoreError::Codec("an outbox item holds no events".into())),
    })
}

/// Publishes the events parked by the stream records of `batch` (one SQS batch per ten), and says
/// which records failed.
pub async fn relay_stream(state: &AppState, batch: &StreamEvent) -> StreamReport {
    let mut report = StreamReport::default();
    // (the record's sequence number, one of its events)
    let mut parked: Vec<(String, DomainEvent)> = Vec::new();
    for record in &batch.records {
        let sequence = record.change.sequence_number.clone().unwrap_or_default();
        let parked_here = (record.event_name == "INSERT")
            .then(|| parked_events(&record.change.new_image))
            .flatten();
        let Some(decoded) = parked_here else {
            report.passed_over += 1;
            continue;
        };
        match decoded {
            Ok(events) => parked.extend(events.into_iter().map(|e| (sequence.clone(), e))),
            Err(err) => {
                report.undecodable += 1;
                tracing::error!(sequence = %sequence, error = %err, "a parked event does not decode; passed over");
            }
        }
    }
    let events: Vec<DomainEvent> = parked.iter().map(|(_, event)| event.clone()).collect();
    let accepted = state.events.publish_all(&events).await;
    // A record fails when any of its events does (publishing its others again is harmless:
    // fan-out is idempotent per event id).
    for ((sequence, _), ok) in parked.iter().zip(&accepted) {
        if *ok {
            report.published += 1;
        } else if !report.failed.contains(sequence) {
            report.failed.push(sequence.clone());
        }
    }
    if !report.failed.is_empty() {
        tracing::warn!(
            failed = report.failed.len(),
            "events not published; the stream hands them over again"
        );
    }
    report
}

/// Appends audit entries parked by requests that stopped before settling them, and folds past
/// minutes' refusal counts into their chains.
pub async fn relay_pending(state: &AppState) -> Result<RelayReport, crate::store::StoreError> {
    // Entries parked before the grace period: younger ones may be intents of requests still running.
    let settled_before = state.clock.now() - AUDIT_INTENT_GRACE;
    let (audit_found, audit_appended) = state
        .store
        .append_parked_audits(500, settled_before)
        .await?;
    let refusals_folded = state.store.fold_refusals(state.clock.now()).await?;
    Ok(RelayReport {
        audit_found,
        audit_appended,
        refusals_folded,
    })
}
