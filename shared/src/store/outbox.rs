//! The transactional outbox: a domain event is written in the same transaction as the change it
//! describes. The table's stream hands it to the outbox relay, which publishes it; the parked item
//! then only waits for its TTL (nothing reads it again), so parking costs one item in the writer's
//! transaction and nothing after it.

use super::keys;
use super::table::{Keys, Store, StoreError};
use crate::domain::DomainEvent;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::Duration;

/// Events are spread over a few partitions so a burst of writes does not heat one key.
pub(crate) const SHARDS: u8 = 4;

/// What every outbox partition key starts with (the relay's stream filter matches it).
pub const OUTBOX_PARTITION_PREFIX: &str = "OUTBOX#";

/// How long a parked event stays after it was parked (housekeeping: the stream keeps records for
/// 24 hours, and nothing reads a parked event but the relay).
const PARKED_FOR: Duration = Duration::days(7);

/// The attribute that holds a change's events: their JSON array, deflated. A change's events
/// each carry the resource as it stood (an opened incident's `incident.created` and
/// `alert.triggered` carry the same incident), so they deflate to a fraction: a transactional
/// write pays two units per KB.
pub const EVENTS_DEFLATED: &str = "events_z";

/// The attribute that held the events as plain JSON before they were deflated (the relay still
/// reads it: a stream hands over records written before an upgrade for 24 hours).
pub const EVENTS_JSON: &str = "events";

/// The most a parked item's events inflate to (an item holds at most 400 KB deflated).
const EVENTS_INFLATED_LIMIT: usize = 16 * 1024 * 1024;

/// A change's events as the outbox keeps them.
pub fn deflate_events(events: &[DomainEvent]) -> Result<Vec<u8>, StoreError> {
    let json = serde_json::to_vec(events).map_err(|e| StoreError::Codec(e.to_string()))?;
    Ok(miniz_oxide::deflate::compress_to_vec(&json, 6))
}

/// The events [`deflate_events`] kept.
pub fn inflate_events(deflated: &[u8]) -> Result<Vec<DomainEvent>, StoreError> {
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(deflated, EVENTS_INFLATED_LIMIT)
        .map_err(|e| StoreError::Codec(format!("parked events do not inflate: {e}")))?;
    serde_json::from_slice(&json).map_err(|e| StoreError::Codec(e.to_string()))
}

fn shard_of(event: &DomainEvent) -> u8 {
    event
        .id
        .as_str()
        .bytes()
        .fold(0u8, |acc, b| acc.wrapping_add(b))
        % SHARDS
}

fn outbox_keys(event: &DomainEvent) -> Keys {
    Keys::new(
        keys::outbox_shard(shard_of(event)),
        format!("{}#{}", event.timestamp.to_rfc3339(), event.id),
    )
}

impl Store {
    /// The transaction item that parks `events` in the outbox, together in one item (a write
    /// pays per item and per KB, so a change's two or three events cost one item, not three);
    /// `None` when there are none.
    pub(crate) fn outbox_put(
        &self,
        events: &[DomainEvent],
    ) -> Result<Option<TransactWriteItem>, StoreError> {
        let Some(first) = events.first() else {
            return Ok(None);
        };
        let mut item = outbox_keys(first).key();
        item.insert(
            EVENTS_DEFLATED.into(),
            AttributeValue::B(Blob::new(deflate_events(events)?)),
        );
        item.insert(
            "expires_at".into(),
            AttributeValue::N((first.timestamp + PARKED_FOR).timestamp().to_string()),
        );
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .map_err(|e| StoreError::Codec(e.to_string()))?;
        Ok(Some(TransactWriteItem::builder().put(put).build()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventType, TenantId};
    use serde_json::json;

    #[test]
    fn a_changes_events_deflate_to_a_fraction_and_inflate_to_the_same_events() {
        // An opened incident's two events carry the same incident (about 1 KB of JSON each).
        let incident = json!({
            "id": "inc_01JDQ0Z8W3K5Q2Y7H9B6N4M1XC",
            "title": "CPU above 90% on checkout-api-7f9c in eu-west-1 for 10 minutes",
            "labels": (0..20).map(|n| (format!("label_{n}"), json!(format!("value {n} of the alert")))).collect::<serde_json::Map<_, _>>(),
            "status": "open",
            "severity": "critical",
        });
        let now = chrono::Utc::now();
        let tenant = TenantId::generate();
        let events = vec![
            DomainEvent::new(
                tenant.clone(),
                EventType::IncidentCreated,
                incident.clone(),
                now,
            ),
            DomainEvent::new(tenant, EventType::AlertTriggered, incident, now),
        ];
        let json = serde_json::to_vec(&events).expect("encodes");
        let deflated = deflate_events(&events).expect("deflates");
        assert!(
            deflated.len() * 3 < json.len(),
            "{} bytes deflated from {}",
            deflated.len(),
            json.len()
        );
        assert_eq!(inflate_events(&deflated).expect("inflates"), events);
        assert!(inflate_events(b"not deflated").is_err());
    }

    #[test]
    fn every_outbox_partition_starts_with_the_prefix_the_relay_filters_on() {
        for shard in 0..super::SHARDS {
            assert!(super::keys::outbox_shard(shard).starts_with(super::OUTBOX_PARTITION_PREFIX));
        }
    }
}
