use super::keys;
use super::table::{to_item, Keys, Store, StoreError};
use crate::domain::{Tenant, TenantId};

impl Store {
    /// Creates a tenant; ids are fresh ULIDs, so a conflict means a bug, not a race.
    pub async fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let item = to_item(&Keys::new(keys::tenant(&tenant.id), keys::META), tenant)?;
        self.put_new(item).await
    }

    /// Replaces an existing tenant (name, settings); `Conflict` if it does not exist.
    pub async fn save_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let item = to_item(&Keys::new(keys::tenant(&tenant.id), keys::META), tenant)?;
        self.put_existing(item).await
    }

    /// A tenant by id.
    pub async fn get_tenant(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        self.get(&Keys::new(keys::tenant(id), keys::META)).await
    }
}
