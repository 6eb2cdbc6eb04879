use super::keys;
use super::table::{to_item, Keys, Store, StoreError};
use crate::domain::{ErrorEvent, TenantId};
use aws_sdk_dynamodb::types::TransactWriteItem;

fn event_keys(tenant: &TenantId, event_id: &str) -> Keys {
    Keys::new(keys::error_events(tenant), event_id.to_owned())
}

impl Store {
    /// The transaction item that stores an error event with the change its signal made.
    pub(crate) fn error_event_put(
        &self,
        tenant: &TenantId,
        event: &ErrorEvent,
    ) -> Result<TransactWriteItem, StoreError> {
        self.put_item(to_item(&event_keys(tenant, &event.event_id), event)?, None)
    }

    /// Stores an error event (a redelivery writes the same item again).
    pub async fn put_error_event(
        &self,
        tenant: &TenantId,
        event: &ErrorEvent,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&event_keys(tenant, &event.event_id), event)?))
            .send()
            .await?;
        Ok(())
    }

    /// A tenant's error event by the tracker's event id.
    pub async fn get_error_event(
        &self,
        tenant: &TenantId,
        event_id: &str,
    ) -> Result<Option<ErrorEvent>, StoreError> {
        self.get(&event_keys(tenant, event_id)).await
    }
}
