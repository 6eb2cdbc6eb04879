//! Issuing API keys: the key is returned once, only its digest is stored.

use crate::auth::{ApiKey, Scope};
use crate::domain::TenantId;
use crate::store::{ApiKeyRecord, StoreError};
use crate::AppState;

/// Creates a key for `tenant`; the returned [`ApiKey`] is the only copy of the secret.
pub async fn issue_api_key(
    state: &AppState,
    tenant: &TenantId,
    name: &str,
    scopes: Vec<Scope>,
) -> Result<(ApiKey, ApiKeyRecord), StoreError> {
    let key = ApiKey::generate();
    let record = ApiKeyRecord {
        id: key.id().clone(),
        tenant_id: tenant.clone(),
        name: name.to_owned(),
        digest: key.digest(),
        scopes,
        created_at: state.clock.now(),
        revoked_at: None,
    };
    state.store.create_api_key(&record).await?;
    Ok((key, record))
}
