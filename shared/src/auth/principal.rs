use super::Scope;
use crate::domain::{ApiKeyId, TenantId};

/// Who is calling, as proven by a verified credential. The tenant of every repository call comes
/// from here, never from a request body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The platform operator: may create tenants, holds no tenant's data.
    PlatformAdmin,
    /// A tenant's API key.
    Tenant {
        /// The key's tenant.
        tenant_id: TenantId,
        /// The key's id.
        key_id: ApiKeyId,
        /// What the key may do.
        scopes: Vec<Scope>,
        /// When the key stops working.
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    },
}
