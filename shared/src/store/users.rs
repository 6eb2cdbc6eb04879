use super::keys;
use super::page::{Page, PageRequest};
use super::table::{to_item, Keys, Query, Store, StoreError};
use crate::domain::{TenantId, User, UserId};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};
use serde::Deserialize;

fn user_keys(tenant: &TenantId, id: &UserId) -> Keys {
    Keys::new(keys::tenant(tenant), keys::user_sk(id))
}

/// A tenant's claim on an email: which user owns it.
fn email_keys(tenant: &TenantId, email: &str) -> Keys {
    Keys::new(keys::user_email(tenant, email), "EMAIL")
}

/// The hub-wide claim of users created before emails were per tenant.
fn legacy_email_keys(email: &str) -> Keys {
    Keys::new(keys::legacy_user_email(email), "EMAIL")
}

#[derive(Deserialize)]
struct EmailClaim {
    tenant_id: TenantId,
    user_id: UserId,
}

impl Store {
    /// Stores a new user and claims its email in its tenant, together; `Conflict` when the tenant
    /// already has a user with that email (another tenant's users never matter).
    pub async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        if self
            .find_user_by_email(&user.tenant_id, &user.email)
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict);
        }
        let mut claim = email_keys(&user.tenant_id, &user.email).key();
        claim.insert(
            "tenant_id".into(),
            AttributeValue::S(user.tenant_id.to_string()),
        );
        claim.insert("user_id".into(), AttributeValue::S(user.id.to_string()));
        self.transact(vec![
            self.put_item(
                to_item(&user_keys(&user.tenant_id, &user.id), user)?,
                Some(("attribute_not_exists(pk)", vec![])),
            )?,
            self.put_item(claim, Some(("attribute_not_exists(pk)", vec![])))?,
        ])
        .await
    }

    /// Replaces an existing user (role, grants, active, password); `Conflict` if it is gone.
    pub async fn save_user(&self, user: &User) -> Result<(), StoreError> {
        self.put_existing(to_item(&user_keys(&user.tenant_id, &user.id), user)?)
            .await
    }

    /// Deletes a user and releases its email.
    pub async fn delete_user(&self, user: &User) -> Result<(), StoreError> {
        let delete = |keys: Keys| {
            Delete::builder()
                .table_name(&self.table)
                .set_key(Some(keys.key()))
                .build()
                .map(|d| TransactWriteItem::builder().delete(d).build())
                .map_err(|e| StoreError::Codec(e.to_string()))
        };
        let mut deletes = vec![
            delete(user_keys(&user.tenant_id, &user.id))?,
            delete(email_keys(&user.tenant_id, &user.email))?,
        ];
        let legacy: Option<EmailClaim> = self.get(&legacy_email_keys(&user.email)).await?;
        if legacy.is_some_and(|claim| claim.user_id == user.id) {
            deletes.push(delete(legacy_email_keys(&user.email))?);
        }
        self.transact(deletes).await
    }

    /// A tenant's user.
    pub async fn get_user(
        &self,
        tenant: &TenantId,
        id: &UserId,
    ) -> Result<Option<User>, StoreError> {
        self.get(&user_keys(tenant, id)).await
    }

    /// The tenant's user who signs in as `email`.
    pub async fn find_user_by_email(
        &self,
        tenant: &TenantId,
        email: &str,
    ) -> Result<Option<User>, StoreError> {
        let claim: Option<EmailClaim> = match self.get(&email_keys(tenant, email)).await? {
            Some(claim) => Some(claim),
            None => self
                .get::<EmailClaim>(&legacy_email_keys(email))
                .await?
                .filter(|claim| &claim.tenant_id == tenant),
        };
        match claim {
            Some(claim) => self.get_user(&claim.tenant_id, &claim.user_id).await,
            None => Ok(None),
        }
    }

    /// Every user of a tenant (a tenant has few; used to keep an admin).
    pub async fn tenant_users(&self, tenant: &TenantId) -> Result<Vec<User>, StoreError> {
        self.query_all(keys::tenant(tenant), keys::USER_PREFIX)
            .await
    }

    /// One page of a tenant's users.
    pub async fn list_users(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<User>, StoreError> {
        let query = Query {
            sort_prefix: Some(keys::USER_PREFIX.to_owned()),
            ..Query::partition(keys::tenant(tenant))
        };
        self.query_page(query, page).await
    }
}
