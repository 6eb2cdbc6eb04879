//! Accepted inbound deliveries: where each archived request is, so it can be replayed.

use super::keys;
use super::table::{to_item, Keys, Store, StoreError};
use crate::domain::{DeliveryId, IntegrationId, Source, TenantId};
use chrono::{DateTime, Utc};
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
    /// The archived request's S3 key.
    pub archive_key: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

fn delivery_keys(tenant: &TenantId, id: &DeliveryId) -> Keys {
    Keys::new(keys::deliveries(tenant), id.to_string())
}

impl Store {
    /// Records an accepted delivery.
    pub async fn put_inbound_delivery(&self, delivery: &InboundDelivery) -> Result<(), StoreError> {
        self.put_new(to_item(
            &delivery_keys(&delivery.tenant_id, &delivery.id),
            delivery,
        )?)
        .await
    }

    /// A tenant's accepted delivery.
    pub async fn get_inbound_delivery(
        &self,
        tenant: &TenantId,
        id: &DeliveryId,
    ) -> Result<Option<InboundDelivery>, StoreError> {
        self.get(&delivery_keys(tenant, id)).await
    }
}
