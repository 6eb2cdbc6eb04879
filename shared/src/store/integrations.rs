use super::keys;
use super::page::{Page, PageRequest};
use super::table::{to_item, Keys, Query, Store, StoreError};
use crate::domain::{Integration, IntegrationId, TenantId};

fn integration_keys(integration: &Integration) -> Keys {
    Keys::new(keys::integration(&integration.id), "INTEGRATION").with_gsi1(
        keys::tenant_integrations(&integration.tenant_id),
        integration.id.to_string(),
    )
}

impl Store {
    /// Stores a new integration.
    pub async fn create_integration(&self, integration: &Integration) -> Result<(), StoreError> {
        self.put_new(to_item(&integration_keys(integration), integration)?)
            .await
    }

    /// An integration by id alone: inbound webhooks carry only the id; the tenant comes from the
    /// record.
    pub async fn get_integration(
        &self,
        id: &IntegrationId,
    ) -> Result<Option<Integration>, StoreError> {
        self.get(&Keys::new(keys::integration(id), "INTEGRATION"))
            .await
    }

    /// A tenant's integrations, oldest first.
    pub async fn list_integrations(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<Integration>, StoreError> {
        let query = Query {
            index: Some("gsi1"),
            ..Query::partition(keys::tenant_integrations(tenant))
        };
        self.query_page(query, page).await
    }
}
