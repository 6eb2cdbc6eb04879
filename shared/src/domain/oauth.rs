//! Third-party applications (OAuth 2.0 clients) and the rules of the authorization-code flow:
//! exact redirect URIs, PKCE with S256 only, and scopes no wider than the app may ask for.

use super::{OAuthAppId, Scope, TenantId};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A registered application. Its secret is stored only as a digest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OAuthApp {
    /// `app_…`: the `client_id`.
    pub id: OAuthAppId,
    /// Its tenant: only the tenant's users can authorize it.
    pub tenant_id: TenantId,
    /// What users see on the consent page.
    pub name: String,
    /// Where codes may be sent, compared exactly (no prefix, no wildcard).
    pub redirect_uris: Vec<String>,
    /// The most it may ask for.
    pub scopes: Vec<Scope>,
    /// Hex SHA-256 of the client secret.
    pub secret_digest: String,
    /// Who registered it (`user:<id>` or `key:<id>`).
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was revoked: its codes and refresh tokens stop working.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl OAuthApp {
    /// Whether `uri` is one of its redirect URIs, character for character.
    pub fn allows_redirect(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|allowed| allowed == uri)
    }
}

/// Checks a redirect URI for registration: absolute `https` (or `http` on a loopback address,
/// for native apps as RFC 8252 allows), no fragment, at most 2,000 characters.
pub fn check_redirect_uri(uri: &str) -> Result<(), String> {
    if uri.len() > 2000 {
        return Err("is longer than 2000 characters".into());
    }
    let parsed = url::Url::parse(uri).map_err(|_| "is not an absolute URL".to_owned())?;
    if parsed.fragment().is_some() {
        return Err("must not have a fragment".into());
    }
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err("must be https (http only on a loopback address)".into()),
    }
}

/// A PKCE challenge: S256 only (`plain` gives no protection where PKCE matters).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pkce {
    /// BASE64URL(SHA-256(verifier)), as the client sent it.
    pub challenge: String,
}

impl Pkce {
    /// The challenge, if `method` is `S256` and the challenge is 43 base64url characters.
    pub fn parse(challenge: &str, method: &str) -> Result<Self, String> {
        if method != "S256" {
            return Err("code_challenge_method must be S256".into());
        }
        let decoded = URL_SAFE_NO_PAD
            .decode(challenge)
            .map_err(|_| "code_challenge is not base64url".to_owned())?;
        if decoded.len() != 32 {
            return Err("code_challenge must be a base64url SHA-256 digest (43 characters)".into());
        }
        Ok(Self {
            challenge: challenge.to_owned(),
        })
    }

    /// Whether `verifier` (43–128 unreserved characters, RFC 7636) answers the challenge.
    pub fn verifies(&self, verifier: &str) -> bool {
        let well_formed = (43..=128).contains(&verifier.len())
            && verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        well_formed
            && subtle::ConstantTimeEq::ct_eq(
                URL_SAFE_NO_PAD
                    .encode(Sha256::digest(verifier.as_bytes()))
                    .as_bytes(),
                self.challenge.as_bytes(),
            )
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_verifies() {
        // RFC 7636, appendix B.
        let pkce =
            Pkce::parse("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256").expect("valid");
        assert!(pkce.verifies("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert!(!pkce.verifies("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj"));
        assert!(!pkce.verifies("short"));
        assert!(Pkce::parse("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "plain").is_err());
        assert!(Pkce::parse("not-a-digest", "S256").is_err());
    }

    #[test]
    fn redirect_uris_are_https_or_loopback_and_match_exactly() {
        assert!(check_redirect_uri("https://app.example.com/callback").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:8123/cb").is_ok());
        assert!(check_redirect_uri("http://app.example.com/cb").is_err());
        assert!(check_redirect_uri("https://app.example.com/cb#x").is_err());
        assert!(check_redirect_uri("/relative").is_err());
        let app = OAuthApp {
            id: OAuthAppId::generate(),
            tenant_id: TenantId::generate(),
            name: "a".into(),
            redirect_uris: vec!["https://app.example.com/cb".into()],
            scopes: vec![],
            secret_digest: String::new(),
            created_by: String::new(),
            created_at: Utc::now(),
            revoked_at: None,
        };
        assert!(app.allows_redirect("https://app.example.com/cb"));
        assert!(!app.allows_redirect("https://app.example.com/cb/"));
        assert!(!app.allows_redirect("https://app.example.com/cb?x=1"));
    }
}
