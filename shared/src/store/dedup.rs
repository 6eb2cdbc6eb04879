//! Inbound delivery ids, recorded with a conditional write so a provider's redelivery changes
//! nothing. Records carry an expiry that readers check themselves: TTL deletion is housekeeping
//! only (it may lag by days, and the local emulator never does it).

use super::keys;
use super::table::{Keys, Store, StoreError};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::{DateTime, Duration, Utc};

impl Store {
    /// The conditional put remembering `delivery_id` within `scope` (e.g. an integration id) for
    /// `window`: it fails while the same id is remembered.
    pub(crate) fn dedup_put(
        &self,
        scope: &str,
        delivery_id: &str,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item = Keys::new(keys::dedup(scope, delivery_id), "DEDUP").key();
        item.insert(
            "expires_at".into(),
            AttributeValue::N((now + window).timestamp().to_string()),
        );
        item.insert("recorded_at".into(), AttributeValue::S(now.to_rfc3339()));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR expires_at < :now")
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            .build()
            .map_err(|e| StoreError::Codec(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Forgets a delivery id whose processing failed, so the provider's retry is processed: it
    /// expires at once (an update, so the inbound path needs no delete permission).
    pub async fn forget_delivery(&self, scope: &str, delivery_id: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(
                Keys::new(keys::dedup(scope, delivery_id), "DEDUP").key(),
            ))
            .update_expression("SET expires_at = :expired")
            .expression_attribute_values(":expired", AttributeValue::N("0".into()))
            .send()
            .await?;
        Ok(())
    }
}
