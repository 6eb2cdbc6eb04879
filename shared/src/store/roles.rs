use super::keys;
use super::table::{to_item, Keys, Store, StoreError};
use crate::domain::{Role, RoleDefinition, Roles, TenantId};

fn role_keys(tenant: &TenantId, role: &Role) -> Keys {
    Keys::new(keys::tenant(tenant), keys::role_sk(role))
}

impl Store {
    /// Every role of a tenant, with its own definitions (one query: a tenant has few).
    pub async fn tenant_roles(&self, tenant: &TenantId) -> Result<Roles, StoreError> {
        let defined: Vec<RoleDefinition> = self
            .query_all(keys::tenant(tenant), keys::ROLE_PREFIX)
            .await?;
        Ok(Roles::new(defined))
    }

    /// Stores a tenant's definition of a role, replacing any earlier one.
    pub async fn put_role(&self, definition: &RoleDefinition) -> Result<(), StoreError> {
        let item = to_item(
            &role_keys(&definition.tenant_id, &definition.role),
            definition,
        )?;
        self.put(item).await
    }

    /// Removes a tenant's definition of a role; `Ok(false)` when it had none.
    pub async fn delete_role(&self, tenant: &TenantId, role: &Role) -> Result<bool, StoreError> {
        self.delete_existing(&role_keys(tenant, role)).await
    }
}
