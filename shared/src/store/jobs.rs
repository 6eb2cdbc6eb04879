//! What the scheduled jobs read and write: the configurations they work for (a sparse `gsi1`
//! index per job, across tenants) and each configuration's state (checkpoint and health), kept
//! beside it so editing a configuration never resets its checkpoint.

use super::keys;
use super::table::{Keys, Query, Store, StoreError};
use super::{Page, PageRequest};
use crate::domain::sentry_config::SentrySyncState;
use crate::domain::{ProjectId, SentryConfig, SentryConfigId, TenantId};
use serde::de::DeserializeOwned;
use serde::Serialize;

fn sentry_sync_keys(tenant: &TenantId, project: &ProjectId, id: &SentryConfigId) -> Keys {
    Keys::new(
        keys::sentry_configs(tenant, project),
        keys::sentry_sync_sk(id),
    )
}

impl Store {
    /// A page of every job's configurations in `partition` (`gsi1`; eventually consistent, which
    /// a schedule can afford).
    pub(crate) async fn job_page<T: DeserializeOwned>(
        &self,
        partition: &str,
        page: &PageRequest,
    ) -> Result<Page<T>, StoreError> {
        let query = Query {
            index: Some("gsi1"),
            ..Query::partition(partition.to_owned())
        };
        self.query_page(query, page).await
    }

    /// A page of the Sentry configurations the sync job works for (active, with a token).
    pub async fn syncable_sentry_configs(
        &self,
        page: &PageRequest,
    ) -> Result<Page<SentryConfig>, StoreError> {
        self.job_page(keys::SENTRY_SYNC_JOBS, page).await
    }

    /// A configuration's sync state (the default when it never ran).
    pub async fn sentry_sync_state(
        &self,
        config: &SentryConfig,
    ) -> Result<SentrySyncState, StoreError> {
        let keys = sentry_sync_keys(&config.tenant_id, &config.project_id, &config.id);
        Ok(self.get(&keys).await?.unwrap_or_default())
    }

    /// Saves a configuration's sync state.
    pub async fn put_sentry_sync_state(
        &self,
        config: &SentryConfig,
        state: &SentrySyncState,
    ) -> Result<(), StoreError> {
        let keys = sentry_sync_keys(&config.tenant_id, &config.project_id, &config.id);
        self.put_state(&keys, state).await
    }

    pub(crate) async fn put_state<T: Serialize>(
        &self,
        keys: &Keys,
        state: &T,
    ) -> Result<(), StoreError> {
        self.put(super::table::to_item(keys, state)?).await
    }
}
