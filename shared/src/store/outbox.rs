//! The transactional outbox: a domain event is written in the same transaction as the change it
//! describes. The table's stream hands it to the outbox relay, which publishes it; the parked item
//! then only waits for its TTL (nothing reads it again), so parking costs one item in the writer's
//! transaction and nothing after it.

use super::keys;
use super::table::{Keys, Store, StoreError};
use crate::domain::DomainEvent;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::Duration;

/// Events are spread over a few partitions so a burst of writes does not heat one key.
pub(crate) const SHARDS: u8 = 4;

/// What every outbox partition key starts with (the relay's stream filter matches it).
pub const OUTBOX_PARTITION_PREFIX: &str = "OUTBOX#";

/// How long a parked event stays after it was parked (housekeeping: the stream keeps records for
/// 24 hours, and nothing reads a parked event but the relay).
const PARKED_FOR: Duration = Duration::days(7);

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
        let json = serde_json::to_string(events).map_err(|e| StoreError::Codec(e.to_string()))?;
        let mut item = outbox_keys(first).key();
        item.insert("events".into(), AttributeValue::S(json));
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
    #[test]
    fn every_outbox_partition_starts_with_the_prefix_the_relay_filters_on() {
        for shard in 0..super::SHARDS {
            assert!(super::keys::outbox_shard(shard).starts_with(super::OUTBOX_PARTITION_PREFIX));
        }
    }
}
