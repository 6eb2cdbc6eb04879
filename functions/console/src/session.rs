//! Console sessions: a short-lived access token (the token endpoint's own grants) in an
//! `HttpOnly; Secure; SameSite=Strict` cookie, and the CSRF token every form carries.
//!
//! The cookie holds the token itself, so a session is exactly as good as the token: it expires
//! with it, and a user's tokens all stop when their roles change (the token generation). The CSRF
//! token is a digest of the session token: a page that shows it reveals nothing of the token, and
//! another site cannot learn it.

use crate::error::ConsoleError;
use axum::extract::FromRequestParts;
use faultline::domain::Principal;
use faultline::AppState;
use http::request::Parts;
use http::HeaderMap;
use lambda_http::request::RequestContext;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "fl_session";
/// The sign-in form's double-submit cookie (there is no session to bind its token to yet).
pub const SIGN_IN_COOKIE: &str = "fl_signin";
/// Where the cookies are sent: the console only.
const COOKIE_PATH: &str = "/console";

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value for the console: `HttpOnly; Secure; SameSite=Strict`, scoped to
/// `/console`, living `max_age` seconds (0 deletes it).
pub fn set_cookie(name: &str, value: &str, max_age: i64) -> String {
    format!(
        "{name}={value}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict"
    )
}

/// The CSRF token bound to a session token (or to the sign-in cookie's random value).
pub fn csrf_token(secret: &str) -> String {
    let digest = Sha256::digest(format!("faultline-console-csrf\n{secret}"));
    hex::encode(&digest[..16])
}

/// Whether `presented` is the CSRF token of `secret`, compared in constant time.
pub fn csrf_matches(secret: &str, presented: &str) -> bool {
    csrf_token(secret)
        .as_bytes()
        .ct_eq(presented.as_bytes())
        .into()
}

/// A fresh random value for the sign-in cookie.
pub fn random_token() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}

/// A signed-in caller.
#[derive(Clone, Debug)]
pub struct Session {
    /// Who it is, verified from the token in the cookie.
    pub principal: Principal,
    /// The access token (sent on as `Authorization: Bearer` when the console calls the API).
    pub token: String,
    /// The token forms must carry.
    pub csrf: String,
    /// API Gateway's context of the request, handed on to the API so its audit entries carry the
    /// caller's address and the request id.
    pub context: Option<RequestContext>,
    /// The routers changes go through (see [`crate::api`]).
    pub routers: std::sync::Arc<crate::api::ApiRouters>,
}

impl Session {
    /// Whether the caller holds `scope`.
    pub fn can(&self, scope: faultline::domain::Scope) -> bool {
        self.principal.scopes().contains(&scope)
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<(), ConsoleError> {
        match presented {
            Some(token) if csrf_matches(&self.token, token) => Ok(()),
            _ => Err(ConsoleError::Csrf),
        }
    }
}

/// Where a signed-out caller goes after signing in: this page (path and query).
fn here(parts: &Parts) -> String {
    parts
        .uri
        .path_and_query()
        .map_or_else(|| "/console".to_owned(), |pq| pq.as_str().to_owned())
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        let next = if parts.method == http::Method::GET {
            here(parts)
        } else {
            "/console".to_owned()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).map(str::to_owned) else {
            return Err(ConsoleError::SignIn { next });
        };
        let mut headers = HeaderMap::new();
        let bearer = http::HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| ConsoleError::SignIn { next: next.clone() })?;
        headers.insert(http::header::AUTHORIZATION, bearer);
        let meta = faultline::http::RequestMeta::of(&parts.extensions);
        let principal = state
            .authenticator
            .authenticate(&headers, meta.source_ip.parse().ok())
            .await
            .map_err(|_| ConsoleError::SignIn { next })?;
        let routers = parts
            .extensions
            .get::<std::sync::Arc<crate::api::ApiRouters>>()
            .cloned()
            .ok_or_else(|| {
                ConsoleError::Api(faultline::http::ApiError::internal(
                    "console served without its API routers",
                ))
            })?;
        Ok(Self {
            routers,
            principal,
            csrf: csrf_token(&token),
            token,
            context: parts.extensions.get::<RequestContext>().cloned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            http::header::COOKIE,
            "a=1; fl_session=tok; b=2".parse().expect("a header value"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&headers, "fl_sess"), None);
        assert_eq!(cookie(&headers, "b"), Some("2"));
    }

    #[test]
    fn csrf_tokens_bind_to_their_secret() {
        let token = csrf_token("session-a");
        assert!(csrf_matches("session-a", &token));
        assert!(!csrf_matches("session-b", &token));
        assert!(!csrf_matches("session-a", &token[..10]));
        assert!(!token.contains("session"));
    }

    #[test]
    fn cookies_are_strict_http_only_and_secure() {
        let value = set_cookie(SESSION_COOKIE, "x", 3600);
        for part in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
            assert!(value.contains(part), "{value}");
        }
    }
}
