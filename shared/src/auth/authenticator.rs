use super::{key_digest, ApiKey, Principal};
use crate::secrets::SecretsSource;
use crate::store::{Store, StoreError};
use http::HeaderMap;
use subtle::ConstantTimeEq;

/// Why a request was not authenticated. Every variant is a 401 at the edge, except the
/// infrastructure ones.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No credential in `Authorization: Bearer` or `X-API-Key`.
    #[error("no API key: send `Authorization: Bearer <key>` or `X-API-Key: <key>`")]
    Missing,
    /// Unknown or malformed key.
    #[error("the API key is not valid")]
    Invalid,
    /// The key was revoked.
    #[error("the API key has been revoked")]
    Revoked,
    /// Key lookup failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The platform admin key could not be read.
    #[error("secrets manager: {0}")]
    Secrets(String),
}

/// Verifies credentials: one implementation shared by every function.
#[derive(Clone, Debug)]
pub struct Authenticator {
    store: Store,
    admin_key: SecretsSource,
}

/// The presented credential: `Authorization: Bearer <key>` or `X-API-Key: <key>` (never a query
/// parameter: URLs end up in logs).
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    bearer
        .or_else(|| {
            headers
                .get("x-api-key")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        })
        .filter(|key| !key.is_empty())
}

impl Authenticator {
    /// An authenticator over the key records in `store` and the platform admin key secret.
    pub fn new(store: Store, admin_key: SecretsSource) -> Self {
        Self { store, admin_key }
    }

    /// Who the request's credential belongs to.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, AuthError> {
        let presented = presented_key(headers).ok_or(AuthError::Missing)?;
        let digest = key_digest(presented);
        if let Some(key) = ApiKey::parse(presented) {
            if let Some(record) = self.store.get_api_key(key.id()).await? {
                if !bool::from(record.digest.as_bytes().ct_eq(digest.as_bytes())) {
                    return Err(AuthError::Invalid);
                }
                if record.revoked_at.is_some() {
                    return Err(AuthError::Revoked);
                }
                return Ok(Principal::Tenant {
                    tenant_id: record.tenant_id,
                    key_id: record.id,
                    scopes: record.scopes,
                });
            }
        }
        let admin = self
            .admin_key
            .get()
            .await
            .map_err(|e| AuthError::Secrets(e.to_string()))?;
        let admin_digest = key_digest(admin.expose());
        if !admin.expose().is_empty()
            && bool::from(admin_digest.as_bytes().ct_eq(digest.as_bytes()))
        {
            return Ok(Principal::PlatformAdmin);
        }
        Err(AuthError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("valid header"));
        }
        map
    }

    #[test]
    fn key_comes_from_bearer_or_x_api_key() {
        assert_eq!(
            presented_key(&headers(&[("authorization", "Bearer sk_a_b")])),
            Some("sk_a_b")
        );
        assert_eq!(
            presented_key(&headers(&[("authorization", "bearer  sk_a_b ")])),
            Some("sk_a_b")
        );
        assert_eq!(
            presented_key(&headers(&[("x-api-key", "sk_a_b")])),
            Some("sk_a_b")
        );
        assert_eq!(
            presented_key(&headers(&[("authorization", "Basic abc")])),
            None
        );
        assert_eq!(
            presented_key(&headers(&[("authorization", "Bearer ")])),
            None
        );
        assert_eq!(presented_key(&HeaderMap::new()), None);
    }
}
