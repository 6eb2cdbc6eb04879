//! Log sources, one item each under the tenant, in the `cloudwatch-scan` job's index while
//! enabled; each with its scan state (checkpoint and health) beside it.

use super::keys;
use super::table::{to_item, Item, Keys, Store, StoreError};
use super::{Page, PageRequest};
use crate::domain::log_source::LogScanState;
use crate::domain::{LogSource, LogSourceId, TenantId};

fn source_keys(tenant: &TenantId, id: &LogSourceId) -> Keys {
    Keys::new(keys::log_sources(tenant), keys::log_source_sk(id))
}

fn scan_keys(tenant: &TenantId, id: &LogSourceId) -> Keys {
    Keys::new(keys::log_sources(tenant), keys::log_scan_sk(id))
}

/// The stored source: an enabled one is also in the scan job's sparse index.
fn source_item(source: &LogSource) -> Result<Item, StoreError> {
    let mut keys = source_keys(&source.tenant_id, &source.id);
    if source.enabled {
        keys = keys.with_gsi1(
            keys::LOG_SCAN_JOBS.to_owned(),
            keys::job_sk(&source.tenant_id, &source.id),
        );
    }
    to_item(&keys, source)
}

impl Store {
    /// Stores a new log source.
    pub async fn create_log_source(&self, source: &LogSource) -> Result<(), StoreError> {
        self.put_new(source_item(source)?).await
    }

    /// Replaces an existing log source (`Conflict` when it is gone).
    pub async fn update_log_source(&self, source: &LogSource) -> Result<(), StoreError> {
        self.put_existing(source_item(source)?).await
    }

    /// Deletes a log source and then its scan state; false when there was none.
    pub async fn delete_log_source(
        &self,
        tenant: &TenantId,
        id: &LogSourceId,
    ) -> Result<bool, StoreError> {
        let existed = self.delete_existing(&source_keys(tenant, id)).await?;
        self.delete_existing(&scan_keys(tenant, id)).await?;
        Ok(existed)
    }

    /// A tenant's log source.
    pub async fn get_log_source(
        &self,
        tenant: &TenantId,
        id: &LogSourceId,
    ) -> Result<Option<LogSource>, StoreError> {
        self.get(&source_keys(tenant, id)).await
    }

    /// A page of a tenant's log sources, oldest first.
    pub async fn list_log_sources(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<LogSource>, StoreError> {
        let query = super::table::Query {
            sort_prefix: Some(keys::LOG_SOURCE_PREFIX.to_owned()),
            ..super::table::Query::partition(keys::log_sources(tenant))
        };
        self.query_page(query, page).await
    }

    /// A page of the enabled log sources of every tenant (the scan job's index).
    pub async fn scannable_log_sources(
        &self,
        page: &PageRequest,
    ) -> Result<Page<LogSource>, StoreError> {
        self.job_page(keys::LOG_SCAN_JOBS, page).await
    }

    /// A source's scan state (the default when it never ran).
    pub async fn log_scan_state(&self, source: &LogSource) -> Result<LogScanState, StoreError> {
        Ok(self
            .get(&scan_keys(&source.tenant_id, &source.id))
            .await?
            .unwrap_or_default())
    }

    /// Saves a source's scan state.
    pub async fn put_log_scan_state(
        &self,
        source: &LogSource,
        state: &LogScanState,
    ) -> Result<(), StoreError> {
        self.put_state(&scan_keys(&source.tenant_id, &source.id), state)
            .await
    }
}
