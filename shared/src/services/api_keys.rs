//! Issuing API keys: the key is returned once, only its digest is stored.

use crate::auth::ApiKey;
use crate::domain::TenantId;
use crate::domain::{Scope, Subject};
use crate::store::{ApiKeyRecord, StoreError};
use crate::AppState;

/// How long a key works when its creator does not say (`expires_days`).
pub const DEFAULT_KEY_LIFETIME_DAYS: u32 = 365;

/// Creates a key for `tenant`, working for `lifetime_days`; the returned [`ApiKey`] is the only
/// copy of the secret.
pub async fn issue_api_key(
    state: &AppState,
    tenant: &TenantId,
    name: &str,
    scopes: Vec<Scope>,
) -> Result<(ApiKey, ApiKeyRecord), StoreError> {
    let lifetime = DEFAULT_KEY_LIFETIME_DAYS;
    issue_api_key_for(state, tenant, name, scopes, lifetime, None, Vec::new()).await
}

/// [`issue_api_key`] with an explicit lifetime in days, who created it (a user's keys are
/// revoked with the user), and the networks it may be used from (empty: anywhere).
pub async fn issue_api_key_for(
    state: &AppState,
    tenant: &TenantId,
    name: &str,
    scopes: Vec<Scope>,
    lifetime_days: u32,
    created_by: Option<&Subject>,
    allowed_cidrs: Vec<String>,
) -> Result<(ApiKey, ApiKeyRecord), StoreError> {
    let key = ApiKey::generate();
    let now = state.clock.now();
    let record = ApiKeyRecord {
        id: key.id().clone(),
        tenant_id: tenant.clone(),
        name: name.to_owned(),
        digest: key.digest(),
        scopes,
        created_at: now,
        revoked_at: None,
        expires_at: Some(now + chrono::Duration::days(i64::from(lifetime_days))),
        last_used_at: None,
        usage_count: 0,
        rate_window: 0,
        created_by: created_by.map(Subject::to_string),
        allowed_cidrs,
    };
    state.store.create_api_key(&record).await?;
    Ok((key, record))
}
