//! Source files read from GitHub for code context, cached per tenant, repository, commit and
//! path for 30 days (a file at a commit never changes).

use super::keys;
use super::table::{to_item, Keys, Store, StoreError};
use crate::domain::TenantId;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

/// A cached file: its lines, or that it is not there (or too large to show).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Whether GitHub had it.
    pub found: bool,
    /// Its lines.
    #[serde(default)]
    pub lines: Vec<String>,
}

fn file_keys(tenant: &TenantId, key: &str) -> Keys {
    Keys::new(keys::source_files(tenant), key.to_owned())
}

impl Store {
    /// A cached file by `{repository}@{commit}:{path}`.
    pub async fn source_file(
        &self,
        tenant: &TenantId,
        key: &str,
    ) -> Result<Option<SourceFile>, StoreError> {
        self.get(&file_keys(tenant, key)).await
    }

    /// Caches a file for 30 days.
    pub async fn put_source_file(
        &self,
        tenant: &TenantId,
        key: &str,
        file: &SourceFile,
    ) -> Result<(), StoreError> {
        let mut item = to_item(&file_keys(tenant, key), file)?;
        let expires = chrono::Utc::now() + chrono::Duration::days(30);
        item.insert(
            "expires_at".into(),
            AttributeValue::N(expires.timestamp().to_string()),
        );
        self.put(item).await
    }
}
