//! Turning a verified principal into permission for one request.

use super::ApiError;
use crate::domain::TenantId;
use crate::domain::{Principal, Scope};

/// The caller's tenant, if the caller is a tenant key holding `scope`: 403 naming the scope
/// otherwise.
pub fn require_scope(principal: &Principal, scope: Scope) -> Result<&TenantId, ApiError> {
    match principal {
        Principal::Tenant {
            tenant_id, scopes, ..
        } if scopes.contains(&scope) => Ok(tenant_id),
        Principal::Tenant { .. } => Err(ApiError::MissingScope(scope)),
        Principal::PlatformAdmin => require_tenant(principal),
    }
}

/// The caller's tenant, whatever its scopes (for handlers that check a scope per item): 403 for
/// the platform admin.
pub fn require_tenant(principal: &Principal) -> Result<&TenantId, ApiError> {
    match principal {
        Principal::Tenant { tenant_id, .. } => Ok(tenant_id),
        Principal::PlatformAdmin => Err(ApiError::Forbidden(
            "the platform admin key holds no tenant's data; use a key of the tenant".into(),
        )),
    }
}

/// Passes only the platform admin.
pub fn require_platform_admin(principal: &Principal) -> Result<(), ApiError> {
    match principal {
        Principal::PlatformAdmin => Ok(()),
        Principal::Tenant { .. } => Err(ApiError::Forbidden(
            "only the platform admin key may do this".into(),
        )),
    }
}
