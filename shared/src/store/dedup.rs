//! Inbound delivery ids, recorded with a conditional write so a provider's redelivery changes
//! nothing. Records carry an expiry that readers check themselves: TTL deletion is housekeeping
//! only (it may lag by days, and the local emulator never does it).

use super::keys;
use super::table::{Keys, Store, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};

/// Whether a delivery id was seen before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DedupOutcome {
    /// First time: process it.
    First,
    /// Seen within the window: do nothing.
    Duplicate,
}

impl Store {
    /// Records `delivery_id` within `scope` (e.g. an integration id) for `window`.
    pub async fn record_delivery(
        &self,
        scope: &str,
        delivery_id: &str,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<DedupOutcome, StoreError> {
        let mut item = Keys::new(keys::dedup(scope, delivery_id), "DEDUP").key();
        item.insert(
            "expires_at".into(),
            AttributeValue::N((now + window).timestamp().to_string()),
        );
        item.insert("recorded_at".into(), AttributeValue::S(now.to_rfc3339()));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR expires_at < :now")
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            .send()
            .await
            .map_err(StoreError::from);
        match result {
            Ok(_) => Ok(DedupOutcome::First),
            Err(StoreError::Conflict) => Ok(DedupOutcome::Duplicate),
            Err(other) => Err(other),
        }
    }

    /// Forgets a delivery id whose processing failed, so the provider's retry is processed.
    pub async fn forget_delivery(&self, scope: &str, delivery_id: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(
                Keys::new(keys::dedup(scope, delivery_id), "DEDUP").key(),
            ))
            .send()
            .await?;
        Ok(())
    }
}
