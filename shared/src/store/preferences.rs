//! People's notification preferences, and the index of digests by the time they fall due.

use super::keys;
use super::table::{to_item, Keys, Query, Store, StoreError};
use crate::domain::notification::Preferences;
use crate::domain::{TenantId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A user's preferences as stored, with the digest currently scheduled for them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredPreferences {
    /// What they want.
    #[serde(default)]
    pub preferences: Preferences,
    /// When their next digest is due (the one index entry that counts; older ones are stale).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest_due: Option<DateTime<Utc>>,
}

/// A digest waiting for its time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DueDigest {
    /// Whose tenant.
    pub tenant_id: TenantId,
    /// Whose.
    pub user_id: UserId,
    /// When.
    pub due: DateTime<Utc>,
}

fn preference_keys(tenant: &TenantId, user: &UserId) -> Keys {
    Keys::new(keys::tenant(tenant), keys::preferences_sk(user))
}

fn due_keys(due: &DueDigest) -> Keys {
    Keys::new(
        keys::DIGESTS_DUE.to_owned(),
        format!(
            "{}#{}#{}",
            keys::sort_time(due.due),
            due.tenant_id,
            due.user_id
        ),
    )
}

impl Store {
    /// A user's preferences (the defaults when they set none).
    pub async fn get_preferences(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> Result<StoredPreferences, StoreError> {
        Ok(self
            .get(&preference_keys(tenant, user))
            .await?
            .unwrap_or_default())
    }

    /// Replaces a user's preferences, and files their next digest (if any) in the index.
    pub async fn put_preferences(
        &self,
        tenant: &TenantId,
        user: &UserId,
        stored: &StoredPreferences,
    ) -> Result<(), StoreError> {
        if let Some(due) = stored.digest_due {
            self.file_digest(&DueDigest {
                tenant_id: tenant.clone(),
                user_id: user.clone(),
                due,
            })
            .await?;
        }
        self.put(to_item(&preference_keys(tenant, user), stored)?)
            .await
    }

    /// Files a digest in the index of due digests.
    pub async fn file_digest(&self, due: &DueDigest) -> Result<(), StoreError> {
        self.put(to_item(&due_keys(due), due)?).await
    }

    /// Takes a digest out of the index (sent, or stale).
    pub async fn unfile_digest(&self, due: &DueDigest) -> Result<(), StoreError> {
        self.delete_existing(&due_keys(due)).await.map(|_| ())
    }

    /// The digests due at or before `now`, oldest first (at most `limit`).
    pub async fn due_digests(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueDigest>, StoreError> {
        let query = Query {
            sort_to: Some(format!("{}~", keys::sort_time(now))),
            ..Query::partition(keys::DIGESTS_DUE.to_owned())
        };
        self.query_every(query, limit).await
    }
}
