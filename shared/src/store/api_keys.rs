use super::keys;
use super::page::{Page, PageRequest};
use super::table::{existed, to_item, Keys, Query, Store, StoreError};
use crate::domain::Scope;
use crate::domain::{ApiKeyId, TenantId};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    /// When it stops working (`None`: never; keys from before expiry existed).
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last accepted.
    #[serde(default)]
    pub last_used_at: Option<DateTime<Utc>>,
    /// How many requests it made.
    #[serde(default)]
    pub usage_count: u64,
    /// The minute (unix minutes) the request counter counts.
    #[serde(default)]
    pub rate_window: i64,
    /// Who created it (`user:<id>` or `key:<id>`): a user's keys are listed with the user and
    /// revoked when the user is deactivated or deleted.
    #[serde(default)]
    pub created_by: Option<String>,
    /// The networks (CIDR) the key may be used from; empty: anywhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_cidrs: Vec<String>,
}

impl ApiKeyRecord {
    /// Whether a request from `source` may use this key: always when it has no allow list;
    /// otherwise only from an address inside one of its networks (never from an unknown one).
    pub fn allows_source(&self, source: Option<std::net::IpAddr>) -> bool {
        self.allowed_cidrs.is_empty()
            || source.is_some_and(|ip| {
                self.allowed_cidrs
                    .iter()
                    .filter_map(|cidr| cidr.parse::<ipnet::IpNet>().ok())
                    .any(|net| net.contains(&ip))
            })
    }
}

impl ApiKeyRecord {
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
            ..Query::partition(keys::tenant_api_keys(tenant))
        };
        self.query_page(query, page).await
    }

    /// The tenant's keys created by `subject` (`user:<id>`), revoked or not.
    pub async fn api_keys_created_by(
        &self,
        tenant: &TenantId,
        subject: &str,
    ) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let query = Query {
            index: Some("gsi1"),
            filter: Some(super::table::Filter::default().equals("created_by", subject)),
            ..Query::partition(keys::tenant_api_keys(tenant))
        };
        self.query_every(query, usize::MAX).await
    }

    /// Counts one request of key `id` in the current minute `window` (unix minutes) and records
    /// its use: `Ok(false)` when the key already made `limit` requests this minute. One
    /// conditional update in the usual case (the counter of the minute the record was read in).
    pub async fn count_api_key_use(
        &self,
        record: &ApiKeyRecord,
        window: i64,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let same_minute = |this: &Self| {
            this.client
                .update_item()
                .table_name(&this.table)
                .set_key(Some(Keys::new(keys::api_key(&record.id), "KEY").key()))
                .update_expression(
                    "SET last_used_at = :now, rate_count = rate_count + :one ADD usage_count :one",
                )
                .condition_expression("rate_window = :w AND rate_count < :limit")
                .expression_attribute_values(":now", AttributeValue::S(now.to_rfc3339()))
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":w", AttributeValue::N(window.to_string()))
                .expression_attribute_values(":limit", AttributeValue::N(limit.to_string()))
                .send()
        };
        let new_minute = |this: &Self| {
            this.client
                .update_item()
                .table_name(&this.table)
                .set_key(Some(Keys::new(keys::api_key(&record.id), "KEY").key()))
                .update_expression(
                    "SET last_used_at = :now, rate_window = :w, rate_count = :one ADD usage_count :one",
                )
                .condition_expression(
                    "attribute_exists(pk) AND (attribute_not_exists(rate_window) OR rate_window < :w)",
                )
                .expression_attribute_values(":now", AttributeValue::S(now.to_rfc3339()))
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":w", AttributeValue::N(window.to_string()))
                .send()
        };
        let (first, second) = if record.rate_window == window {
            (
                existed(
                    same_minute(self)
                        .await
                        .map(|_| ())
                        .map_err(StoreError::from),
                )?,
                false,
            )
        } else {
            (
                existed(new_minute(self).await.map(|_| ()).map_err(StoreError::from))?,
                true,
            )
        };
        if first {
            return Ok(true);
        }
        // The record was stale: another request moved the window, or this minute is full.
        if second {
            existed(
                same_minute(self)
                    .await
                    .map(|_| ())
                    .map_err(StoreError::from),
            )
        } else {
            existed(new_minute(self).await.map(|_| ()).map_err(StoreError::from))
        }
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
