//! The transactional outbox: a domain event is written in the same transaction as the change it
//! describes, published right after, and deleted once published. The outbox relay publishes what a
//! crash or an SQS outage left behind, so an accepted change never loses its event.

use super::keys;
use super::table::{Keys, Store, StoreError};
use crate::domain::DomainEvent;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::{DateTime, Utc};

/// Events are spread over a few partitions so a burst of writes does not heat one key.
pub(crate) const SHARDS: u8 = 4;

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
    /// The transaction item that parks `event` in the outbox.
    pub(crate) fn outbox_put(&self, event: &DomainEvent) -> Result<TransactWriteItem, StoreError> {
        let json = serde_json::to_string(event).map_err(|e| StoreError::Codec(e.to_string()))?;
        let mut item = outbox_keys(event).key();
        item.insert("event".into(), AttributeValue::S(json));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .map_err(|e| StoreError::Codec(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Removes published events from the outbox, 25 per request (DynamoDB's batch limit).
    /// Unprocessed keys are left: the relay publishes them again and fan-out is idempotent.
    pub async fn outbox_remove_all(&self, events: &[&DomainEvent]) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
        for chunk in events.chunks(25) {
            let requests = chunk
                .iter()
                .map(|event| {
                    DeleteRequest::builder()
                        .set_key(Some(outbox_keys(event).key()))
                        .build()
                        .map(|delete| WriteRequest::builder().delete_request(delete).build())
                        .map_err(|e| StoreError::Codec(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            self.client
                .batch_write_item()
                .request_items(&self.table, requests)
                .send()
                .await?;
        }
        Ok(())
    }

    /// Events parked before `cutoff` (their direct publish did not complete), oldest first.
    pub async fn outbox_pending(
        &self,
        cutoff: DateTime<Utc>,
        max: usize,
    ) -> Result<Vec<DomainEvent>, StoreError> {
        let mut events = Vec::new();
        for shard in 0..SHARDS {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk < :cutoff")
                .expression_attribute_values(":pk", AttributeValue::S(keys::outbox_shard(shard)))
                .expression_attribute_values(":cutoff", AttributeValue::S(cutoff.to_rfc3339()))
                .limit(i32::try_from(max).unwrap_or(i32::MAX))
                .consistent_read(true)
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                let json = item
                    .get("event")
                    .and_then(|v| v.as_s().ok())
                    .ok_or_else(|| StoreError::Codec("outbox item without event".into()))?;
                let event =
                    serde_json::from_str(json).map_err(|e| StoreError::Codec(e.to_string()))?;
                events.push(event);
            }
        }
        events.sort_by_key(|e: &DomainEvent| e.timestamp);
        events.truncate(max);
        Ok(events)
    }
}
