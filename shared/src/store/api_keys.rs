use super::keys;
use super::page::{Page, PageRequest};
use super::table::{existed, to_item, Keys, Query, Store, StoreError};
use crate::auth::Scope;
use crate::domain::{ApiKeyId, TenantId};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A stored API key: only the SHA-256 digest of the key, never the key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// The public prefix (`sk_<id>_…`).
    pub id: ApiKeyId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Display name.
    pub name: String,
    /// Hex SHA-256 of the whole key.
    pub digest: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKeyRecord {
    /// The public JSON form: never the digest.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "scopes": self.scopes,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        })
    }

    fn keys(&self) -> Keys {
        Keys::new(keys::api_key(&self.id), "KEY").with_gsi1(
            keys::tenant_api_keys(&self.tenant_id),
            format!("{}#{}", self.created_at.to_rfc3339(), self.id),
        )
    }
}

impl Store {
    /// Stores a new key record.
    pub async fn create_api_key(&self, record: &ApiKeyRecord) -> Result<(), StoreError> {
        self.put_new(to_item(&record.keys(), record)?).await
    }

    /// A key record by its public id (any tenant: this is how a presented key is found).
    pub async fn get_api_key(&self, id: &ApiKeyId) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.get(&Keys::new(keys::api_key(id), "KEY")).await
    }

    /// A tenant's keys, oldest first.
    pub async fn list_api_keys(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<ApiKeyRecord>, StoreError> {
        let query = Query {
            index: Some("gsi1"),
            partition: keys::tenant_api_keys(tenant),
            sort_prefix: None,
            newest_first: false,
            sort_from: None,
            filter: None,
        };
        self.query_page(query, page).await
    }

    /// Revokes a tenant's key. `Ok(false)` when the tenant has no such key (another tenant's key
    /// looks exactly like a missing one).
    pub async fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Keys::new(keys::api_key(id), "KEY").key()))
            // A plain SET: the record stores an absent revocation as NULL, which if_not_exists
            // would keep.
            .update_expression("SET revoked_at = :at")
            .condition_expression("attribute_exists(pk) AND tenant_id = :tenant")
            .expression_attribute_values(":at", AttributeValue::S(at.to_rfc3339()))
            .expression_attribute_values(":tenant", AttributeValue::S(tenant.to_string()))
            .send()
            .await
            .map(|_| ())
            .map_err(StoreError::from);
        existed(result)
    }
}
