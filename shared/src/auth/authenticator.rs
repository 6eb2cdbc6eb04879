use super::{key_digest, ApiKey};
use crate::cache::TtlCache;
use crate::clock::Clock;
use crate::domain::{Principal, Subject};
use crate::domain::{TenantId, TenantSettings};
use crate::secrets::SecretsSource;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use http::HeaderMap;
use std::time::Duration;
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
    /// The key is past its expiry.
    #[error("the API key expired at {0}")]
    Expired(DateTime<Utc>),
    /// An access token that does not verify, or whose key or user is gone.
    #[error("{0}")]
    Token(String),
    /// The key may be used only from its allowed networks, and this request came from elsewhere.
    #[error("this API key may be used only from its allowed networks (allowed_cidrs)")]
    SourceNotAllowed,
    /// The key or user made its tenant's allowance of requests this minute.
    #[error(
        "this API key or user made its {limit} requests of this minute (the tenant's per-key \
         limit, which user tokens share)"
    )]
    RateLimited {
        /// Requests per minute per key.
        limit: u32,
        /// Seconds until the next minute.
        retry_after: u64,
    },
    /// Key lookup failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The platform admin key or the token keys could not be read.
    #[error("{0}")]
    Secrets(String),
}

/// Verifies credentials and counts their use: one implementation shared by every function.
#[derive(Clone, Debug)]
pub struct Authenticator {
    store: Store,
    admin_key: SecretsSource,
    tokens: super::jwt::TokenKeys,
    clock: Clock,
    /// Each tenant's settings (its limits), read at most once a minute per container.
    settings: TtlCache<TenantId, TenantSettings>,
}

/// Requests per minute per key when the tenant sets no limit.
pub const DEFAULT_KEY_RATE_LIMIT: u32 = 600;

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
    /// How long a tenant's limit is trusted before it is read again.
    const LIMIT_REFRESH: Duration = Duration::from_secs(60);

    /// An authenticator over the key records in `store` and the platform admin key secret.
    pub fn new(
        store: Store,
        admin_key: SecretsSource,
        tokens: super::jwt::TokenKeys,
        clock: Clock,
    ) -> Self {
        Self {
            store,
            admin_key,
            tokens,
            clock,
            settings: TtlCache::new(Self::LIMIT_REFRESH, 10_000),
        }
    }

    /// Counts a request of `record` against its tenant's per-key limit (and records its use).
    async fn count_use(
        &self,
        record: &crate::store::ApiKeyRecord,
        now: DateTime<Utc>,
    ) -> Result<(), AuthError> {
        let limit = self.key_rate_limit(&record.tenant_id).await?;
        let minute = now.timestamp().div_euclid(60);
        if self
            .store
            .count_api_key_use(record, minute, limit, now)
            .await?
        {
            return Ok(());
        }
        let retry_after = u64::try_from((minute + 1) * 60 - now.timestamp()).unwrap_or(60);
        Err(AuthError::RateLimited { limit, retry_after })
    }

    /// Counts a request of a user's token against its tenant's per-key limit: the same
    /// allowance each key has, counted per user.
    async fn count_user_use(
        &self,
        tenant: &TenantId,
        subject: &Subject,
        now: DateTime<Utc>,
    ) -> Result<(), AuthError> {
        let limit = self.key_rate_limit(tenant).await?;
        let window = crate::store::Window::containing(now.timestamp(), 60);
        let counted = self
            .store
            .count(&format!("requests#{tenant}#{subject}"), window)
            .await?;
        if counted <= u64::from(limit) {
            return Ok(());
        }
        Err(AuthError::RateLimited {
            limit,
            retry_after: window.seconds_left(now.timestamp()),
        })
    }

    /// An access token: a valid signature and claims, and a key or user that still exists, is
    /// still allowed in, and still holds the scopes (a role lowered or redefined since takes effect at once: the
    /// tenant's roles are read with the user on every request).
    async fn authenticate_token(
        &self,
        token: &str,
        source: Option<std::net::IpAddr>,
    ) -> Result<Principal, AuthError> {
        let keys = self
            .tokens
            .verification_keys()
            .await
            .map_err(|e| AuthError::Secrets(e.to_string()))?;
        let now = self.clock.now();
        let claims = super::jwt::verify(token, &keys, now.timestamp())
            .map_err(|e| AuthError::Token(e.to_string()))?;
        let (Some(tenant_id), Some(subject)) =
            (TenantId::parse(&claims.tid), Subject::parse(&claims.sub))
        else {
            return Err(AuthError::Token("the token names no known subject".into()));
        };
        let held = match &subject {
            Subject::Key(id) => {
                let record = self
                    .store
                    .get_api_key(id)
                    .await?
                    .filter(|r| r.tenant_id == tenant_id)
                    .ok_or(AuthError::Revoked)?;
                if record.revoked_at.is_some() {
                    return Err(AuthError::Revoked);
                }
                if let Some(expired_at) = record.expires_at.filter(|at| *at <= now) {
                    return Err(AuthError::Expired(expired_at));
                }
                if !record.allows_source(source) {
                    return Err(AuthError::SourceNotAllowed);
                }
                self.count_use(&record, now).await?;
                record.scopes
            }
            Subject::User(id) => {
                let (user, roles) = tokio::try_join!(
                    self.store.get_user(&tenant_id, id),
                    self.store.tenant_roles(&tenant_id)
                )?;
                let user = user
                    .filter(|u| u.active)
                    .ok_or_else(|| AuthError::Token("the user is deactivated".into()))?;
                if claims.gen.unwrap_or(0) != user.token_generation {
                    return Err(AuthError::Token(
                        "the token was ended by a password change or deactivation; sign in again"
                            .into(),
                    ));
                }
                self.count_user_use(&tenant_id, &subject, now).await?;
                user.scopes(&roles)
            }
        };
        let scopes = claims
            .scope
            .split_whitespace()
            .filter_map(crate::domain::Scope::parse)
            .filter(|s| held.contains(s))
            .collect();
        Ok(Principal::Tenant {
            tenant_id,
            subject,
            scopes,
            expires_at: DateTime::from_timestamp(claims.exp, 0),
        })
    }

    /// The tenant's per-key limit (requests per minute), cached for a minute.
    async fn key_rate_limit(&self, tenant: &TenantId) -> Result<u32, StoreError> {
        Ok(self
            .tenant_settings(tenant)
            .await?
            .api_rate_limit_per_minute
            .unwrap_or(DEFAULT_KEY_RATE_LIMIT))
    }

    /// The tenant's settings (defaults for a tenant that does not exist), read at most once a
    /// minute per container: the limits every request and webhook is counted against.
    pub async fn tenant_settings(&self, tenant: &TenantId) -> Result<TenantSettings, StoreError> {
        if let Some(settings) = self.settings.get(tenant) {
            return Ok(settings);
        }
        let settings = self
            .store
            .get_tenant(tenant)
            .await?
            .map(|t| t.settings)
            .unwrap_or_default();
        self.settings.insert(tenant.clone(), settings.clone());
        Ok(settings)
    }

    /// Who the request's credential belongs to; `source` is the caller's address (a key with
    /// an allow list works only from inside it).
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        source: Option<std::net::IpAddr>,
    ) -> Result<Principal, AuthError> {
        let presented = presented_key(headers).ok_or(AuthError::Missing)?;
        if super::jwt::looks_like_jwt(presented) {
            return self.authenticate_token(presented, source).await;
        }
        let digest = key_digest(presented);
        if let Some(key) = ApiKey::parse(presented) {
            if let Some(record) = self.store.get_api_key(key.id()).await? {
                if !bool::from(record.digest.as_bytes().ct_eq(digest.as_bytes())) {
                    return Err(AuthError::Invalid);
                }
                if record.revoked_at.is_some() {
                    return Err(AuthError::Revoked);
                }
                let now = self.clock.now();
                if let Some(expired_at) = record.expires_at.filter(|at| *at <= now) {
                    return Err(AuthError::Expired(expired_at));
                }
                if !record.allows_source(source) {
                    return Err(AuthError::SourceNotAllowed);
                }
                self.count_use(&record, now).await?;
                return Ok(Principal::Tenant {
                    tenant_id: record.tenant_id,
                    subject: Subject::Key(record.id),
                    scopes: record.scopes,
                    expires_at: record.expires_at,
                });
            }
        }
        let admin = self
            .admin_key
            .get()
            .await
            .map_err(|e| AuthError::Secrets(format!("secrets manager: {e}")))?;
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
