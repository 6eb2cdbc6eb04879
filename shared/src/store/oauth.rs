//! Third-party applications, their single-use authorization codes and their rotating refresh
//! tokens. Codes and refresh tokens are stored under the digest of their value (never the value)
//! and carry `expires_at` (epoch seconds, the table's TTL attribute); every read checks the time
//! itself, since TTL deletion is late (and never happens in the emulator).

use super::keys;
use super::page::{Page, PageRequest};
use super::table::{existed, from_item, to_item, Keys, Query, Store, StoreError};
use crate::domain::{OAuthApp, OAuthAppId, Pkce, Scope, TenantId, UserId};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An authorization code waiting to be exchanged (once).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OAuthCode {
    /// The app it was issued to.
    pub app_id: OAuthAppId,
    /// The app's tenant.
    pub tenant_id: TenantId,
    /// The user who consented.
    pub user_id: UserId,
    /// What the user granted.
    pub scopes: Vec<Scope>,
    /// The redirect URI it was sent to (the exchange must name the same).
    pub redirect_uri: String,
    /// The client's PKCE challenge.
    pub pkce: Pkce,
    /// When it stops working (epoch seconds; the TTL attribute).
    pub expires_at: i64,
}

/// A refresh token: each is used once and replaced by the next of its family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OAuthRefresh {
    /// The app.
    pub app_id: OAuthAppId,
    /// The tenant.
    pub tenant_id: TenantId,
    /// The user.
    pub user_id: UserId,
    /// What the user granted.
    pub scopes: Vec<Scope>,
    /// The chain of tokens descending from one authorization: a reused token revokes it all.
    pub family: String,
    /// When it stops working (epoch seconds; the TTL attribute).
    pub expires_at: i64,
    /// When it was exchanged (epoch seconds). Absent, not NULL, until then: the use is a
    /// conditional write on its absence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_at: Option<i64>,
}

/// What using a refresh token found.
#[derive(Debug)]
pub enum RefreshUse {
    /// It was unused and is now used: issue the next one.
    Fresh(OAuthRefresh),
    /// It had been used before: someone holds a copy; the family must be revoked.
    Reused(OAuthRefresh),
    /// No such token.
    Unknown,
}

fn app_keys(app: &OAuthApp) -> Keys {
    Keys::new(keys::oauth_app(&app.id), "APP").with_gsi1(
        keys::tenant_oauth_apps(&app.tenant_id),
        format!("{}#{}", keys::sort_time(app.created_at), app.id),
    )
}

impl Store {
    /// Stores a newly registered app.
    pub async fn create_oauth_app(&self, app: &OAuthApp) -> Result<(), StoreError> {
        self.put_new(to_item(&app_keys(app), app)?).await
    }

    /// An app by its client id (any tenant: the token endpoint knows only the client id).
    pub async fn get_oauth_app(&self, id: &OAuthAppId) -> Result<Option<OAuthApp>, StoreError> {
        self.get(&Keys::new(keys::oauth_app(id), "APP")).await
    }

    /// A tenant's apps, oldest first.
    pub async fn list_oauth_apps(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<OAuthApp>, StoreError> {
        let query = Query {
            index: Some("gsi1"),
            ..Query::partition(keys::tenant_oauth_apps(tenant))
        };
        self.query_page(query, page).await
    }

    /// Revokes a tenant's app; `Ok(false)` when the tenant has no such app.
    pub async fn revoke_oauth_app(
        &self,
        tenant: &TenantId,
        id: &OAuthAppId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Keys::new(keys::oauth_app(id), "APP").key()))
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

    /// Stores a code under `digest`.
    pub async fn put_oauth_code(&self, digest: &str, code: &OAuthCode) -> Result<(), StoreError> {
        self.put_new(to_item(&Keys::new(keys::oauth_code(digest), "CODE"), code)?)
            .await
    }

    /// Takes the code stored under `digest`: deleted as it is read, so of two exchanges racing
    /// for one code exactly one gets it.
    pub async fn take_oauth_code(&self, digest: &str) -> Result<Option<OAuthCode>, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Keys::new(keys::oauth_code(digest), "CODE").key()))
            .condition_expression("attribute_exists(pk)")
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => output.attributes.map(from_item).transpose(),
            Err(err) => match StoreError::from(err) {
                StoreError::Conflict => Ok(None),
                other => Err(other),
            },
        }
    }

    /// Stores a refresh token under `digest`.
    pub async fn put_oauth_refresh(
        &self,
        digest: &str,
        token: &OAuthRefresh,
    ) -> Result<(), StoreError> {
        self.put_new(to_item(
            &Keys::new(keys::oauth_refresh(digest), "TOKEN"),
            token,
        )?)
        .await
    }

    /// Marks the refresh token under `digest` used, at `now` (epoch seconds), if it was not.
    pub async fn use_oauth_refresh(
        &self,
        digest: &str,
        now: i64,
    ) -> Result<RefreshUse, StoreError> {
        let key = Keys::new(keys::oauth_refresh(digest), "TOKEN");
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.key()))
            .update_expression("SET used_at = :now")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(used_at)")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => match output.attributes {
                Some(item) => Ok(RefreshUse::Fresh(from_item(item)?)),
                None => Ok(RefreshUse::Unknown),
            },
            Err(err) => match StoreError::from(err) {
                StoreError::Conflict => Ok(match self.get(&key).await? {
                    Some(token) => RefreshUse::Reused(token),
                    None => RefreshUse::Unknown,
                }),
                other => Err(other),
            },
        }
    }

    /// Revokes a refresh-token family until `expires_at` (epoch seconds).
    pub async fn revoke_oauth_family(
        &self,
        family: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let item = to_item(
            &Keys::new(keys::oauth_family(family), "REVOKED"),
            &serde_json::json!({"expires_at": expires_at}),
        )?;
        self.put(item).await
    }

    /// Whether a refresh-token family was revoked.
    pub async fn oauth_family_revoked(&self, family: &str) -> Result<bool, StoreError> {
        let found: Option<serde_json::Value> = self
            .get(&Keys::new(keys::oauth_family(family), "REVOKED"))
            .await?;
        Ok(found.is_some())
    }
}
