//! The OAuth 2.0 authorization-code flow for third-party apps (RFC 6749 §4.1 with PKCE, RFC 7636):
//! registering an app, a user's consent turned into a single-use code, the code exchanged for an
//! access token and a refresh token, and refresh tokens that rotate on every use (a reused one
//! revokes its whole family, as the OAuth 2.0 Security BCP asks).
//!
//! Every token is limited to what the app may ask for, what the user granted, and what the user
//! holds at the moment it is issued (a demoted user's app loses the scopes at its next refresh).

use super::tokens::{sign, GrantError, IssuedToken};
use crate::auth::key_digest;
use crate::domain::{OAuthApp, OAuthAppId, Pkce, Principal, Scope, Subject, TenantId};
use crate::store::{OAuthCode, OAuthRefresh, RefreshUse, StoreError};
use crate::AppState;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use subtle::ConstantTimeEq;

/// How long a code may wait for its exchange: 60 seconds.
pub const CODE_LIFETIME_SECS: i64 = 60;
/// How long a refresh token lives unused: 30 days.
pub const REFRESH_LIFETIME_SECS: i64 = 30 * 24 * 3600;

/// A random secret with a readable prefix (`cs_…`, `ac_…`, `rt_…`): 32 bytes, base64url.
fn secret(prefix: &str) -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    format!("{prefix}_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A new app's client secret, shown once; the app stores its digest.
pub fn new_client_secret() -> (String, String) {
    let secret = secret("cs");
    let digest = key_digest(&secret);
    (secret, digest)
}

/// Why an authorization request cannot go on, as RFC 6749 §4.1.2.1 names it. The first two are
/// shown to the user and never sent to the redirect URI (it cannot be trusted).
#[derive(Debug, thiserror::Error)]
pub enum AuthorizeError {
    /// No such app, or it was revoked.
    #[error("unknown or revoked client_id")]
    UnknownClient,
    /// The redirect URI is not one of the app's.
    #[error("redirect_uri is not registered for this app")]
    BadRedirect,
    /// Something else is wrong with the request: sent back as `invalid_request`.
    #[error("{0}")]
    InvalidRequest(String),
    /// A scope the app may not ask for: sent back as `invalid_scope`.
    #[error("{0}")]
    InvalidScope(String),
    /// The user cannot grant anything asked for: sent back as `access_denied`.
    #[error("{0}")]
    AccessDenied(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthorizeError {
    /// The RFC 6749 `error` code sent to the redirect URI, for those that may be sent there.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::InvalidRequest(_) => Some("invalid_request"),
            Self::InvalidScope(_) => Some("invalid_scope"),
            Self::AccessDenied(_) => Some("access_denied"),
            Self::UnknownClient | Self::BadRedirect | Self::Store(_) => None,
        }
    }
}

/// An authorization request as the app sent it (`/console/oauth/authorize`'s query).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct AuthorizationRequest {
    /// Must be `code`.
    #[serde(default)]
    pub response_type: String,
    /// The app's id.
    #[serde(default)]
    pub client_id: String,
    /// One of the app's redirect URIs, exactly.
    #[serde(default)]
    pub redirect_uri: String,
    /// Space-separated scopes (default: every scope the app may ask for).
    #[serde(default)]
    pub scope: Option<String>,
    /// Opaque; sent back unchanged.
    #[serde(default)]
    pub state: Option<String>,
    /// BASE64URL(SHA-256(code_verifier)).
    #[serde(default)]
    pub code_challenge: String,
    /// Must be `S256`.
    #[serde(default)]
    pub code_challenge_method: String,
}

/// A checked request: the app, the scopes asked for, the challenge.
#[derive(Debug)]
pub struct CheckedRequest {
    /// The app.
    pub app: OAuthApp,
    /// What it asks for (all within what it may ask for).
    pub requested: Vec<Scope>,
    /// Its PKCE challenge.
    pub pkce: Pkce,
}

/// Checks an authorization request in the order RFC 6749 asks: the client and redirect URI first
/// (errors the user sees), then the rest (errors sent back to the app).
pub async fn check_request(
    state: &AppState,
    request: &AuthorizationRequest,
) -> Result<CheckedRequest, AuthorizeError> {
    let app = match OAuthAppId::parse(&request.client_id) {
        Some(id) => state.store.get_oauth_app(&id).await?,
        None => None,
    }
    .filter(|app| app.revoked_at.is_none())
    .ok_or(AuthorizeError::UnknownClient)?;
    if !app.allows_redirect(&request.redirect_uri) {
        return Err(AuthorizeError::BadRedirect);
    }
    if request.response_type != "code" {
        return Err(AuthorizeError::InvalidRequest(
            "response_type must be code".into(),
        ));
    }
    let pkce = Pkce::parse(&request.code_challenge, &request.code_challenge_method)
        .map_err(AuthorizeError::InvalidRequest)?;
    let requested = match request.scope.as_deref().filter(|s| !s.trim().is_empty()) {
        None => app.scopes.clone(),
        Some(text) => text
            .split_whitespace()
            .map(|name| match Scope::parse(name) {
                Some(scope) if app.scopes.contains(&scope) => Ok(scope),
                _ => Err(AuthorizeError::InvalidScope(format!(
                    "`{name}` is not a scope this app may ask for"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(CheckedRequest {
        app,
        requested,
        pkce,
    })
}

/// The scopes of `requested` the user holds (what consent can grant).
pub fn grantable(principal: &Principal, requested: &[Scope]) -> Vec<Scope> {
    requested
        .iter()
        .copied()
        .filter(|scope| principal.scopes().contains(scope))
        .collect()
}

/// The user's consent: a code for the app, valid [`CODE_LIFETIME_SECS`], usable once. Only a
/// signed-in user of the app's own tenant can consent.
pub async fn grant_code(
    state: &AppState,
    principal: &Principal,
    checked: &CheckedRequest,
    redirect_uri: &str,
) -> Result<String, AuthorizeError> {
    let (tenant, user) = match principal {
        Principal::Tenant {
            tenant_id,
            subject: Subject::User(user),
            ..
        } => (tenant_id, user),
        _ => {
            return Err(AuthorizeError::AccessDenied(
                "only a user (signed in with a password) can authorize an app".into(),
            ))
        }
    };
    if *tenant != checked.app.tenant_id {
        return Err(AuthorizeError::UnknownClient);
    }
    let scopes = grantable(principal, &checked.requested);
    if scopes.is_empty() {
        return Err(AuthorizeError::AccessDenied(
            "you hold none of the scopes the app asks for".into(),
        ));
    }
    let code = secret("ac");
    let record = OAuthCode {
        app_id: checked.app.id.clone(),
        tenant_id: tenant.clone(),
        user_id: user.clone(),
        scopes,
        redirect_uri: redirect_uri.to_owned(),
        pkce: checked.pkce.clone(),
        expires_at: state.clock.now().timestamp() + CODE_LIFETIME_SECS,
    };
    state
        .store
        .put_oauth_code(&key_digest(&code), &record)
        .await?;
    Ok(code)
}

/// What the token endpoint answers for the code and refresh grants.
#[derive(Debug)]
pub struct TokenPair {
    /// The access token.
    pub access: IssuedToken,
    /// The next refresh token.
    pub refresh_token: String,
}

fn unavailable(err: StoreError) -> GrantError {
    GrantError::Unavailable(err.to_string())
}

/// The app behind a client id and secret, unless unknown, revoked or the secret is wrong.
async fn client(state: &AppState, id: &str, secret: &str) -> Result<OAuthApp, GrantError> {
    let refused = || GrantError::InvalidClient("unknown client or wrong secret".into());
    let app = match OAuthAppId::parse(id) {
        Some(id) => state.store.get_oauth_app(&id).await.map_err(unavailable)?,
        None => None,
    }
    .ok_or_else(refused)?;
    let matches: bool = app
        .secret_digest
        .as_bytes()
        .ct_eq(key_digest(secret).as_bytes())
        .into();
    if !matches || app.revoked_at.is_some() {
        return Err(refused());
    }
    Ok(app)
}

/// Signs an access token for the user at what they hold now (within `granted`), and stores the
/// next refresh token of `family`.
async fn issue(
    state: &AppState,
    app: &OAuthApp,
    tenant: &TenantId,
    user: &crate::domain::UserId,
    granted: &[Scope],
    family: String,
) -> Result<TokenPair, GrantError> {
    let gone = || GrantError::InvalidGrant("the user is deactivated or deleted".into());
    let user = state
        .store
        .get_user(tenant, user)
        .await
        .map_err(unavailable)?
        .filter(|u| u.active)
        .ok_or_else(gone)?;
    let roles = state
        .store
        .tenant_roles(tenant)
        .await
        .map_err(unavailable)?;
    let held = user.scopes(&roles);
    let scopes: Vec<Scope> = granted
        .iter()
        .copied()
        .filter(|s| held.contains(s) && app.scopes.contains(s))
        .collect();
    if scopes.is_empty() {
        return Err(GrantError::InvalidGrant(
            "the user no longer holds any of the granted scopes".into(),
        ));
    }
    let access = sign(
        state,
        tenant,
        Subject::User(user.id.clone()),
        &scopes,
        None,
        Some(user.token_generation),
    )
    .await?;
    let refresh_token = secret("rt");
    let record = OAuthRefresh {
        app_id: app.id.clone(),
        tenant_id: tenant.clone(),
        user_id: user.id,
        scopes,
        family,
        expires_at: state.clock.now().timestamp() + REFRESH_LIFETIME_SECS,
        used_at: None,
    };
    state
        .store
        .put_oauth_refresh(&key_digest(&refresh_token), &record)
        .await
        .map_err(unavailable)?;
    Ok(TokenPair {
        access,
        refresh_token,
    })
}

/// The `authorization_code` grant: the client, the code (once, unexpired, issued to this client
/// for this redirect URI) and the PKCE verifier.
pub async fn exchange_code(
    state: &AppState,
    client_id: &str,
    client_secret: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<TokenPair, GrantError> {
    let app = client(state, client_id, client_secret).await?;
    let invalid = |why: &str| GrantError::InvalidGrant(why.to_owned());
    let record = state
        .store
        .take_oauth_code(&key_digest(code))
        .await
        .map_err(unavailable)?
        .ok_or_else(|| invalid("unknown, expired or already used code"))?;
    if record.app_id != app.id {
        return Err(invalid("the code was issued to another client"));
    }
    if record.expires_at <= state.clock.now().timestamp() {
        return Err(invalid("unknown, expired or already used code"));
    }
    if record.redirect_uri != redirect_uri {
        return Err(invalid(
            "redirect_uri differs from the authorization request's",
        ));
    }
    if !record.pkce.verifies(verifier) {
        return Err(invalid("code_verifier does not match the code_challenge"));
    }
    let family = ulid::Ulid::new().to_string();
    issue(
        state,
        &app,
        &record.tenant_id,
        &record.user_id,
        &record.scopes,
        family,
    )
    .await
}

/// The `refresh_token` grant: the token is used up and replaced. A token used twice means a copy
/// exists: the family is revoked and both holders must start again.
pub async fn refresh(
    state: &AppState,
    client_id: &str,
    client_secret: &str,
    refresh_token: &str,
) -> Result<TokenPair, GrantError> {
    let app = client(state, client_id, client_secret).await?;
    let invalid = || GrantError::InvalidGrant("unknown, expired or revoked refresh token".into());
    let now = state.clock.now().timestamp();
    let token = match state
        .store
        .use_oauth_refresh(&key_digest(refresh_token), now)
        .await
        .map_err(unavailable)?
    {
        RefreshUse::Fresh(token) => token,
        RefreshUse::Reused(token) => {
            tracing::warn!(app = %token.app_id, family = %token.family, "a refresh token was used twice; its family is revoked");
            state
                .store
                .revoke_oauth_family(&token.family, now + REFRESH_LIFETIME_SECS)
                .await
                .map_err(unavailable)?;
            return Err(invalid());
        }
        RefreshUse::Unknown => return Err(invalid()),
    };
    if token.app_id != app.id || token.expires_at <= now {
        return Err(invalid());
    }
    if state
        .store
        .oauth_family_revoked(&token.family)
        .await
        .map_err(unavailable)?
    {
        return Err(invalid());
    }
    issue(
        state,
        &app,
        &token.tenant_id,
        &token.user_id,
        &token.scopes,
        token.family,
    )
    .await
}
