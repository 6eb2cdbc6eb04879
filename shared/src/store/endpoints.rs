use super::keys;
use super::page::{Page, PageRequest};
use super::table::{existed, to_item, Keys, Query, Store, StoreError};
use crate::domain::{Endpoint, EndpointId, TenantId};

fn endpoint_keys(tenant: &TenantId, id: &EndpointId) -> Keys {
    Keys::new(keys::tenant(tenant), keys::endpoint_sk(id))
}

impl Store {
    /// Stores a new endpoint.
    pub async fn create_endpoint(&self, endpoint: &Endpoint) -> Result<(), StoreError> {
        let item = to_item(&endpoint_keys(&endpoint.tenant_id, &endpoint.id), endpoint)?;
        self.put_new(item).await
    }

    /// Replaces an existing endpoint; `Conflict` if it was deleted meanwhile.
    pub async fn update_endpoint(&self, endpoint: &Endpoint) -> Result<(), StoreError> {
        let item = to_item(&endpoint_keys(&endpoint.tenant_id, &endpoint.id), endpoint)?;
        self.put_existing(item).await
    }

    /// A tenant's endpoint.
    pub async fn get_endpoint(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
    ) -> Result<Option<Endpoint>, StoreError> {
        self.get(&endpoint_keys(tenant, id)).await
    }

    /// Deletes a tenant's endpoint; `Ok(false)` when there was none.
    pub async fn delete_endpoint(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(endpoint_keys(tenant, id).key()))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await
            .map(|_| ())
            .map_err(StoreError::from);
        existed(result)
    }

    /// One page of a tenant's endpoints.
    pub async fn list_endpoints(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<Endpoint>, StoreError> {
        let query = Query {
            index: None,
            partition: keys::tenant(tenant),
            sort_prefix: Some(keys::ENDPOINT_PREFIX.to_owned()),
            newest_first: false,
        };
        self.query_page(query, page).await
    }

    /// Every endpoint of a tenant (fan-out reads them all).
    pub async fn all_endpoints(&self, tenant: &TenantId) -> Result<Vec<Endpoint>, StoreError> {
        self.query_all(keys::tenant(tenant), keys::ENDPOINT_PREFIX)
            .await
    }
}
