//! The OAuth 2.0 token endpoint's grants: `client_credentials` (an API key as client id and
//! secret) and `password` (a user's email and password), each giving a signed access token whose
//! scopes are at most the key's or the user's.

use crate::auth::jwt::{Claims, AUDIENCE, ISSUER};
use crate::auth::password::{decoy_hash, verify_password};
use crate::auth::{key_digest, ApiKey};
use crate::domain::TenantId;
use crate::domain::{Scope, Subject};
use crate::store::Window;
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
    /// Too many failed sign-ins for this account or from this address in the current window.
    #[error(
        "too many failed sign-ins for this account or from this address: \
         {MAX_FAILED_SIGN_INS} per {} minutes; try again in {retry_after} s",
        SIGN_IN_WINDOW_SECS / 60
    )]
    TooManyAttempts {
        /// Seconds until the window ends.
        retry_after: u64,
    },
}

/// Failed password sign-ins allowed per account, and per source address, in one window.
pub const MAX_FAILED_SIGN_INS: u64 = 10;
/// The failed sign-in window: 15 minutes, fixed (counted from the epoch).
pub const SIGN_IN_WINDOW_SECS: i64 = 15 * 60;

impl GrantError {
    /// The RFC 6749 error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidClient(_) => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::InvalidScope(_) => "invalid_scope",
            Self::Unavailable(_) => "temporarily_unavailable",
            Self::TooManyAttempts { .. } => "slow_down",
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

pub(crate) async fn sign(
    state: &AppState,
    tenant: &TenantId,
    subject: Subject,
    scopes: &[Scope],
    lifetime_cap: Option<chrono::DateTime<chrono::Utc>>,
    generation: Option<u32>,
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
        gen: generation,
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
    source: Option<std::net::IpAddr>,
) -> Result<IssuedToken, GrantError> {
    let choose = |held: &[Scope]| granted(held, scope);
    key_grant(state, client_id, client_secret, source, choose).await
}

/// A read-only token for an API key: only the `…:read` scopes it holds (the console's read-only
/// session). Refused like [`client_credentials`], and with `invalid_scope` when the key reads
/// nothing.
pub async fn read_only(
    state: &AppState,
    client_secret: &str,
    source: Option<std::net::IpAddr>,
) -> Result<IssuedToken, GrantError> {
    let client_id = ApiKey::parse(client_secret)
        .map(|key| key.id().to_string())
        .unwrap_or_default();
    let choose = |held: &[Scope]| {
        let reads: Vec<Scope> = held
            .iter()
            .copied()
            .filter(|s| s.as_str().ends_with(":read"))
            .collect();
        if reads.is_empty() {
            return Err(GrantError::InvalidScope(
                "the key holds no read scope".into(),
            ));
        }
        Ok(reads)
    };
    key_grant(state, &client_id, client_secret, source, choose).await
}

async fn key_grant(
    state: &AppState,
    client_id: &str,
    client_secret: &str,
    source: Option<std::net::IpAddr>,
    choose: impl FnOnce(&[Scope]) -> Result<Vec<Scope>, GrantError>,
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
    if !record.allows_source(source) {
        return Err(GrantError::InvalidClient(
            "this key may be used only from its allowed networks (allowed_cidrs)".into(),
        ));
    }
    let scopes = choose(&record.scopes)?;
    sign(
        state,
        &record.tenant_id,
        Subject::Key(record.id),
        &scopes,
        record.expires_at,
        None,
    )
    .await
}

/// Where a password sign-in comes from.
#[derive(Clone, Copy, Debug)]
pub struct SignIn<'a> {
    /// The tenant's id (`ten_…`): emails are unique per tenant.
    pub tenant: &'a str,
    /// The user's email.
    pub username: &'a str,
    /// The password.
    pub password: &'a str,
    /// The caller's address, counted for failed sign-ins.
    pub source_ip: &'a str,
}

/// The failed sign-in counters of an attempt: its account (a digest of tenant and email, so an
/// unknown email counts exactly like a known one) and its address.
fn failure_counters(attempt: &SignIn<'_>, email: &str) -> [String; 2] {
    use sha2::{Digest, Sha256};
    let account = Sha256::digest(format!("{}\n{email}", attempt.tenant.trim()));
    [
        format!("signin-account#{}", &hex::encode(account)[..32]),
        format!("signin-address#{}", attempt.source_ip),
    ]
}

/// `password`: `username` is the user's email within `tenant`. An unknown tenant or email costs
/// as much time, and counts towards the failure limit, exactly like a wrong password, so neither
/// the answer nor the limit tells whether an account exists. After [`MAX_FAILED_SIGN_INS`]
/// failures for the account or from the address in one window, every attempt is refused with
/// [`GrantError::TooManyAttempts`] until the window ends; a success clears the account's count.
pub async fn password(
    state: &AppState,
    attempt: SignIn<'_>,
    scope: Option<&str>,
) -> Result<IssuedToken, GrantError> {
    let unavailable = |e: crate::store::StoreError| GrantError::Unavailable(e.to_string());
    let now = state.clock.now().timestamp();
    let window = Window::containing(now, SIGN_IN_WINDOW_SECS);
    let email = attempt.username.trim().to_lowercase();
    let counters = failure_counters(&attempt, &email);
    for counter in &counters {
        if state
            .store
            .counted(counter, window)
            .await
            .map_err(unavailable)?
            >= MAX_FAILED_SIGN_INS
        {
            return Err(GrantError::TooManyAttempts {
                retry_after: window.seconds_left(now),
            });
        }
    }
    let user = match TenantId::parse(attempt.tenant.trim()) {
        Some(tenant) => state
            .store
            .find_user_by_email(&tenant, &email)
            .await
            .map_err(unavailable)?,
        None => None,
    };
    let stored = user
        .as_ref()
        .map_or(decoy_hash(), |u| u.password_hash.as_str());
    let matches = verify_password(attempt.password, stored);
    let user = match user {
        Some(user) if matches && user.active => user,
        _ => {
            for counter in &counters {
                state
                    .store
                    .count(counter, window)
                    .await
                    .map_err(unavailable)?;
            }
            return Err(GrantError::InvalidGrant(
                "wrong tenant, username or password".into(),
            ));
        }
    };
    state
        .store
        .reset_count(&counters[0], window)
        .await
        .map_err(unavailable)?;
    let roles = state
        .store
        .tenant_roles(&user.tenant_id)
        .await
        .map_err(unavailable)?;
    let scopes = granted(&user.scopes(&roles), scope)?;
    sign(
        state,
        &user.tenant_id,
        Subject::User(user.id),
        &scopes,
        None,
        Some(user.token_generation),
    )
    .await
}
