//! Accepted inbound deliveries and their receipts. A receipt — the delivery record (with the
//! request kept inline or its archive key) and the keys that make a redelivery a duplicate — is
//! written in the same transaction as the first change the delivery makes, so a delivery is
//! recorded and applied, or neither: a crash in between cannot turn the provider's retry into a
//! "duplicate" of something never applied, and the common path costs one write call, not three.

use super::keys;
use super::table::{from_item, to_item, Item, Keys, Store, StoreError};
use crate::archive::KeptRequest;
use crate::domain::{DeliveryId, IntegrationId, Source, TenantId};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// One accepted inbound webhook.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboundDelivery {
    /// Its id (replay it with `POST /v1/hooks/deliveries/{id}/replay`).
    pub id: DeliveryId,
    /// Whose.
    pub tenant_id: TenantId,
    /// Which integration received it.
    pub integration_id: IntegrationId,
    /// Which provider.
    pub source: Source,
    /// The provider's delivery id, when it sent one.
    pub provider_delivery_id: Option<String>,
    /// Where the request is kept (stored as `inline_request` or `archive_key`).
    #[serde(skip, default = "nothing_kept")]
    pub request: KeptRequest,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

fn nothing_kept() -> KeptRequest {
    KeptRequest::Inline(Vec::new())
}

/// What proves a delivery was received, written with its first change.
#[derive(Clone, Debug)]
pub struct Receipt {
    /// The delivery record.
    pub delivery: InboundDelivery,
    /// What makes a redelivery a duplicate (the provider's delivery id, the signed body's hash),
    /// remembered within `scope` for `window` from the delivery's arrival.
    pub dedup_keys: Vec<String>,
    /// The scope of the keys (the integration's id).
    pub scope: String,
    /// How long the keys are remembered.
    pub window: Duration,
}

fn delivery_keys(tenant: &TenantId, id: &DeliveryId) -> Keys {
    Keys::new(keys::deliveries(tenant), id.to_string())
}

fn delivery_item(delivery: &InboundDelivery) -> Result<Item, StoreError> {
    let mut item = to_item(&delivery_keys(&delivery.tenant_id, &delivery.id), delivery)?;
    let (name, value) = match &delivery.request {
        KeptRequest::Inline(deflated) => (
            "inline_request",
            AttributeValue::B(Blob::new(deflated.clone())),
        ),
        KeptRequest::Archived(key) => ("archive_key", AttributeValue::S(key.clone())),
    };
    item.insert(name.into(), value);
    Ok(item)
}

fn delivery_from(mut item: Item) -> Result<InboundDelivery, StoreError> {
    let request = match (item.remove("inline_request"), item.remove("archive_key")) {
        (Some(AttributeValue::B(blob)), _) => KeptRequest::Inline(blob.into_inner()),
        (_, Some(AttributeValue::S(key))) => KeptRequest::Archived(key),
        _ => {
            return Err(StoreError::Codec(
                "a delivery record keeps no request".into(),
            ))
        }
    };
    Ok(InboundDelivery {
        request,
        ..from_item(item)?
    })
}

impl Store {
    /// The receipt's writes, dedup keys first (in order), then the delivery record.
    fn receipt_items(&self, receipt: &Receipt) -> Result<Vec<TransactWriteItem>, StoreError> {
        let at = receipt.delivery.received_at;
        let mut items = receipt
            .dedup_keys
            .iter()
            .map(|key| self.dedup_put(&receipt.scope, key, at, receipt.window))
            .collect::<Result<Vec<_>, _>>()?;
        items.push(self.put_item(delivery_item(&receipt.delivery)?, None)?);
        Ok(items)
    }

    /// Writes `items` in one transaction, with `receipt`'s writes when there is one.
    /// `AlreadyReceived` when a dedup key of the receipt is remembered (nothing was written);
    /// `Conflict` when another condition failed.
    pub(crate) async fn transact_receipted(
        &self,
        receipt: Option<&Receipt>,
        items: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let Some(receipt) = receipt else {
            return self.transact(items).await;
        };
        let mut all = self.receipt_items(receipt)?;
        all.extend(items);
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(all))
            .send()
            .await;
        let Err(err) = result else {
            return Ok(());
        };
        let reasons: Vec<Option<String>> = match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        for (index, key) in receipt.dedup_keys.iter().enumerate() {
            if reasons.get(index).and_then(Option::as_deref) == Some("ConditionalCheckFailed") {
                return Err(StoreError::AlreadyReceived(key.clone()));
            }
        }
        Err(err.into())
    }

    /// Writes a receipt on its own, for a delivery whose change is not an incident write.
    pub async fn record_receipt(&self, receipt: &Receipt) -> Result<(), StoreError> {
        if receipt.dedup_keys.is_empty() {
            return self.put(delivery_item(&receipt.delivery)?).await;
        }
        self.transact_receipted(Some(receipt), Vec::new()).await
    }

    /// An integration's inbound deliveries, newest first (their ids are time-ordered ULIDs), so
    /// an operator can pick one to replay. The kept request is not read.
    pub async fn list_inbound_deliveries(
        &self,
        tenant: &TenantId,
        integration: &IntegrationId,
        page: &super::page::PageRequest,
    ) -> Result<super::page::Page<InboundDelivery>, StoreError> {
        let query = super::table::Query {
            newest_first: true,
            filter: Some(
                super::table::Filter::default().equals("integration_id", integration.as_str()),
            ),
            ..super::table::Query::partition(keys::deliveries(tenant))
        };
        self.query_page(query, page).await
    }

    /// A tenant's accepted delivery.
    pub async fn get_inbound_delivery(
        &self,
        tenant: &TenantId,
        id: &DeliveryId,
    ) -> Result<Option<InboundDelivery>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(delivery_keys(tenant, id).key()))
            .consistent_read(true)
            .send()
            .await?;
        output.item.map(delivery_from).transpose()
    }
}
