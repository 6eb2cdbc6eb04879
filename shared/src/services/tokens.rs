//! The OAuth 2.0 token endpoint's grants: `client_credentials` (an API key as client id and
//! secret) and `password` (a user's email and password), each giving a signed access token whose
//! scopes are at most the key's or the user's.

use crate::auth::jwt::{Claims, AUDIENCE, ISSUER};
use crate::auth::password::{decoy_hash, verify_password};
use crate::auth::{key_digest, ApiKey};
use crate::domain::TenantId;
use crate::domain::{Scope, Subject};
use crate::AppState;
use subtle::ConstantTimeEq;

/// An issued access token.
#[derive(Debug)]
pub struct IssuedToken {
    /// The JWT.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// Its scopes, space-separated.
    pub scope: String,
    /// Whose it is.
    pub tenant_id: TenantId,
    /// The key or user it stands for.
    pub subject: Subject,
}

/// Why a grant was refused, as RFC 6749 names it.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    /// The client (API key) is unknown, revoked, expired or its secret is wrong.
    #[error("{0}")]
    InvalidClient(String),
    /// Wrong username or password, or a deactivated user.
    #[error("{0}")]
    InvalidGrant(String),
    /// A scope the key or user does not hold.
    #[error("{0}")]
    InvalidScope(String),
    /// Storage or Secrets Manager failed.
    #[error("{0}")]
    Unavailable(String),
}

impl GrantError {
    /// The RFC 6749 error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidClient(_) => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::InvalidScope(_) => "invalid_scope",
            Self::Unavailable(_) => "temporarily_unavailable",
        }
    }
}

/// The scopes to grant: all `held` when none are requested, else the requested ones, each of
/// which must be held.
fn granted(held: &[Scope], requested: Option<&str>) -> Result<Vec<Scope>, GrantError> {
    let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
        return Ok(held.to_vec());
    };
    requested
        .split_whitespace()
        .map(|name| match Scope::parse(name) {
            Some(scope) if held.contains(&scope) => Ok(scope),
            _ => Err(GrantError::InvalidScope(format!(
                "`{name}` is not a scope this credential holds"
            ))),
        })
        .collect()
}

async fn sign(
    state: &AppState,
    tenant: &TenantId,
    subject: Subject,
    scopes: &[Scope],
    lifetime_cap: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<IssuedToken, GrantError> {
    let now = state.clock.now();
    let mut expires = now + state.config.token_lifetime;
    if let Some(cap) = lifetime_cap {
        expires = expires.min(cap);
    }
    let scope = scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let claims = Claims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: subject.to_string(),
        tid: tenant.to_string(),
        scope: scope.clone(),
        iat: now.timestamp(),
        nbf: now.timestamp(),
        exp: expires.timestamp(),
        jti: ulid::Ulid::new().to_string(),
    };
    let key = state
        .tokens
        .signing_key()
        .await
        .map_err(|e| GrantError::Unavailable(e.to_string()))?;
    Ok(IssuedToken {
        access_token: key.sign(&claims),
        expires_in: claims.exp - claims.iat,
        scope,
        tenant_id: tenant.clone(),
        subject,
    })
}

/// `client_credentials`: `client_id` is the key id, `client_secret` the whole key. The token
/// never outlives the key.
pub async fn client_credentials(
    state: &AppState,
    client_id: &str,
    client_secret: &str,
    scope: Option<&str>,
) -> Result<IssuedToken, GrantError> {
    let refused = || GrantError::InvalidClient("unknown client or wrong secret".into());
    let key = ApiKey::parse(client_secret).ok_or_else(refused)?;
    if key.id().as_str() != client_id {
        return Err(refused());
    }
    let record = state
        .store
        .get_api_key(key.id())
        .await
        .map_err(|e| GrantError::Unavailable(e.to_string()))?
        .ok_or_else(refused)?;
    if !bool::from(
        record
            .digest
            .as_bytes()
            .ct_eq(key_digest(client_secret).as_bytes()),
    ) {
        return Err(refused());
    }
    let now = state.clock.now();
    if record.revoked_at.is_some() || record.expires_at.is_some_and(|at| at <= now) {
        return Err(GrantError::InvalidClient(
            "the key is revoked or expired".into(),
        ));
    }
    let scopes = granted(&record.scopes, scope)?;
    sign(
        state,
        &record.tenant_id,
        Subject::Key(record.id),
        &scopes,
        record.expires_at,
    )
    .await
}

/// `password`: `username` is the user's email. An unknown email costs as much time as a wrong
/// password.
pub async fn password(
    state: &AppState,
    username: &str,
    password: &str,
    scope: Option<&str>,
) -> Result<IssuedToken, GrantError> {
    let user = state
        .store
        .find_user_by_email(&username.trim().to_lowercase())
        .await
        .map_err(|e| GrantError::Unavailable(e.to_string()))?;
    let stored = user
        .as_ref()
        .map_or(decoy_hash(), |u| u.password_hash.as_str());
    let matches = verify_password(password, stored);
    let user = match user {
        Some(user) if matches && user.active => user,
        _ => {
            return Err(GrantError::InvalidGrant(
                "wrong username or password".into(),
            ))
        }
    };
    let scopes = granted(&user.scopes(), scope)?;
    sign(
        state,
        &user.tenant_id,
        Subject::User(user.id),
        &scopes,
        None,
    )
    .await
}
