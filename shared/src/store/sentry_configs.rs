use super::keys;
use super::table::{to_item, Keys, Store, StoreError};
use crate::domain::{ProjectId, SentryConfig, SentryConfigId, TenantId};
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};

/// One item per project and environment: the key itself keeps environments unique.
fn config_keys(tenant: &TenantId, project: &ProjectId, environment: &str) -> Keys {
    Keys::new(
        keys::sentry_configs(tenant, project),
        keys::sentry_config_sk(environment),
    )
}

/// The stored configuration: an active one with a token is also in the `sentry-sync` job's
/// index (a sparse index, so the job never reads a configuration it has nothing to do for).
fn config_item(config: &SentryConfig) -> Result<super::table::Item, StoreError> {
    let mut keys = config_keys(&config.tenant_id, &config.project_id, &config.environment);
    if config.active && config.auth_token.is_some() {
        keys = keys.with_gsi1(
            keys::SENTRY_SYNC_JOBS.to_owned(),
            keys::job_sk(&config.tenant_id, &config.id),
        );
    }
    to_item(&keys, config)
}

impl Store {
    /// Stores a new configuration; `Conflict` when the project already has one for its
    /// environment.
    pub async fn create_sentry_config(&self, config: &SentryConfig) -> Result<(), StoreError> {
        self.put_new(config_item(config)?).await
    }

    /// Replaces a configuration; when its environment changed from `old_environment`, moves it
    /// (`Conflict` when the new environment is taken).
    pub async fn update_sentry_config(
        &self,
        config: &SentryConfig,
        old_environment: &str,
    ) -> Result<(), StoreError> {
        if config.environment == old_environment {
            return self.put_existing(config_item(config)?).await;
        }
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(
                config_keys(&config.tenant_id, &config.project_id, old_environment).key(),
            ))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(|e| StoreError::Codec(e.to_string()))?;
        self.transact(vec![
            self.put_item(
                config_item(config)?,
                Some(("attribute_not_exists(pk)", vec![])),
            )?,
            TransactWriteItem::builder().delete(delete).build(),
        ])
        .await
    }

    /// Deletes a configuration, and then its sync state.
    pub async fn delete_sentry_config(&self, config: &SentryConfig) -> Result<(), StoreError> {
        let sync = Keys::new(
            keys::sentry_configs(&config.tenant_id, &config.project_id),
            keys::sentry_sync_sk(&config.id),
        );
        for keys in [
            config_keys(&config.tenant_id, &config.project_id, &config.environment),
            sync,
        ] {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(keys.key()))
                .send()
                .await?;
        }
        Ok(())
    }

    /// Every configuration of a project (one per environment), by environment.
    pub async fn project_sentry_configs(
        &self,
        tenant: &TenantId,
        project: &ProjectId,
    ) -> Result<Vec<SentryConfig>, StoreError> {
        self.query_all(
            keys::sentry_configs(tenant, project),
            keys::SENTRY_ENV_PREFIX,
        )
        .await
    }

    /// A project's configuration by id.
    pub async fn get_sentry_config(
        &self,
        tenant: &TenantId,
        project: &ProjectId,
        id: &SentryConfigId,
    ) -> Result<Option<SentryConfig>, StoreError> {
        Ok(self
            .project_sentry_configs(tenant, project)
            .await?
            .into_iter()
            .find(|c| &c.id == id))
    }

    /// A project's configuration for one environment.
    pub async fn sentry_config_for(
        &self,
        tenant: &TenantId,
        project: &ProjectId,
        environment: &str,
    ) -> Result<Option<SentryConfig>, StoreError> {
        self.get(&config_keys(tenant, project, environment)).await
    }
}
