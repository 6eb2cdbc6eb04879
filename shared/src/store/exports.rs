//! Export jobs, one item each under the tenant, newest first.

use super::keys;
use super::table::{to_item, Keys, Query, Store, StoreError};
use super::{Page, PageRequest};
use crate::domain::{ExportId, ExportJob, TenantId};

fn export_keys(tenant: &TenantId, id: &ExportId) -> Keys {
    Keys::new(keys::exports(tenant), keys::export_sk(id))
}

impl Store {
    /// Stores a new export job.
    pub async fn create_export(&self, job: &ExportJob) -> Result<(), StoreError> {
        self.put_new(to_item(&export_keys(&job.tenant_id, &job.id), job)?)
            .await
    }

    /// Saves a job's progress or outcome.
    pub async fn put_export(&self, job: &ExportJob) -> Result<(), StoreError> {
        self.put(to_item(&export_keys(&job.tenant_id, &job.id), job)?)
            .await
    }

    /// A tenant's export job.
    pub async fn get_export(
        &self,
        tenant: &TenantId,
        id: &ExportId,
    ) -> Result<Option<ExportJob>, StoreError> {
        self.get(&export_keys(tenant, id)).await
    }

    /// A page of a tenant's export jobs, newest first.
    pub async fn list_exports(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<ExportJob>, StoreError> {
        let query = Query {
            newest_first: true,
            sort_prefix: Some("EXPORT#".into()),
            ..Query::partition(keys::exports(tenant))
        };
        self.query_page(query, page).await
    }
}
