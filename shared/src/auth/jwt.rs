//! Access tokens: compact JWS, HS256 only, with a `kid` naming the signing key so the key can
//! rotate (tokens signed with the previous key stay valid until they expire). Only what
//! Faultline needs, so every check is visible here: the header must say exactly `HS256` (no
//! `none`, no algorithm confusion), the signature is compared in constant time, and issuer,
//! audience, expiry and not-before are enforced.

use crate::signing::{hmac_sha256, verify_hmac_sha256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Who issues tokens.
pub const ISSUER: &str = "faultline";
/// Whom tokens are for.
pub const AUDIENCE: &str = "faultline-api";
/// The longest a token may live (`exp - iat`, seconds): configuration may not ask for more, and
/// a token that claims more is refused.
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 24 * 3600;

/// The claims of a Faultline access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Subject: `key:<id>` or `user:<id>`.
    pub sub: String,
    /// Tenant.
    pub tid: String,
    /// Space-separated scopes.
    pub scope: String,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Not before (unix seconds).
    pub nbf: i64,
    /// Expires (unix seconds).
    pub exp: i64,
    /// Token id.
    pub jti: String,
    /// For a user's token, the user's token generation when it was issued: a password change or
    /// deactivation moves the user's on, which ends this token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gen: Option<u32>,
}

/// Why a token was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three base64url parts of JSON.
    #[error("the token is malformed")]
    Malformed,
    /// Not HS256, or a key id no current key has.
    #[error("the token's algorithm or key is not accepted")]
    UnknownKey,
    /// The signature does not match.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// Another issuer or audience.
    #[error("the token is not for this API")]
    WrongAudience,
    /// Past `exp` (or before `nbf`).
    #[error("the token has expired")]
    Expired,
    /// It claims to live longer than any token may.
    #[error("the token's lifetime exceeds the 24-hour ceiling")]
    TooLong,
    /// Signed with the previous key after that key's grace period ended.
    #[error("the token was signed with a retired key; request a new token")]
    RetiredKey,
}

/// A signing key and its id.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    key: Vec<u8>,
    /// When set, tokens signed with this key stop verifying at this unix time (the previous key
    /// after a rotation).
    retires_at: Option<i64>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.kid)
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: String,
    kid: String,
}

impl SigningKey {
    /// A key from secret material (at least [`MIN_KEY_BYTES`](crate::secrets::MIN_KEY_BYTES));
    /// its id is derived from it (the first 16 hex digits of its SHA-256), so a rotated secret
    /// gets a new id by itself.
    pub fn from_material(material: &[u8]) -> Result<Self, crate::secrets::KeyError> {
        let material = crate::secrets::checked_key_material(material)?;
        let kid = hex::encode(Sha256::digest(material))[..16].to_owned();
        Ok(Self {
            kid,
            key: material.to_vec(),
            retires_at: None,
        })
    }

    /// This key, verifying only until unix time `at`.
    pub fn retiring_at(self, at: i64) -> Self {
        Self {
            retires_at: Some(at),
            ..self
        }
    }

    /// The key id (`kid`).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs `claims`.
    pub fn sign(&self, claims: &Claims) -> String {
        let header = Header {
            alg: "HS256".into(),
            typ: "JWT".into(),
            kid: self.kid.clone(),
        };
        let head = B64.encode(serde_json::to_vec(&header).unwrap_or_default());
        let body = B64.encode(serde_json::to_vec(claims).unwrap_or_default());
        let input = format!("{head}.{body}");
        let signature = B64.encode(hmac_sha256(&self.key, input.as_bytes()));
        format!("{input}.{signature}")
    }
}

/// Whether `text` has the shape of a JWT (so it is not mistaken for an API key).
pub fn looks_like_jwt(text: &str) -> bool {
    text.starts_with("eyJ") && text.split('.').count() == 3
}

/// Verifies `token` against whichever of `keys` its `kid` names, at unix time `now`.
pub fn verify(token: &str, keys: &[SigningKey], now: i64) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(head), Some(body), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header: Header = B64
        .decode(head)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(TokenError::Malformed)?;
    if header.alg != "HS256" {
        return Err(TokenError::UnknownKey);
    }
    let key = keys
        .iter()
        .find(|k| k.kid == header.kid)
        .ok_or(TokenError::UnknownKey)?;
    let signature = B64.decode(signature).map_err(|_| TokenError::Malformed)?;
    if !verify_hmac_sha256(&key.key, format!("{head}.{body}").as_bytes(), &signature) {
        return Err(TokenError::BadSignature);
    }
    let claims: Claims = B64
        .decode(body)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(TokenError::Malformed)?;
    if claims.iss != ISSUER || claims.aud != AUDIENCE {
        return Err(TokenError::WrongAudience);
    }
    if claims.exp.saturating_sub(claims.iat) > MAX_TOKEN_LIFETIME_SECS {
        return Err(TokenError::TooLong);
    }
    if now >= claims.exp || now < claims.nbf {
        return Err(TokenError::Expired);
    }
    if key.retires_at.is_some_and(|at| now >= at) {
        return Err(TokenError::RetiredKey);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(now: i64) -> Claims {
        Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: "user:usr_1".into(),
            tid: "ten_1".into(),
            scope: "incidents:read".into(),
            iat: now,
            nbf: now,
            exp: now + 3600,
            jti: "j1".into(),
            gen: None,
        }
    }

    #[test]
    fn a_signed_token_verifies_and_every_kind_of_tampering_is_refused() {
        let key = SigningKey::from_material(b"current key material, 32 bytes..").expect("key");
        let only = std::slice::from_ref(&key);
        let old = SigningKey::from_material(b"previous key material, 32 bytes.").expect("key");
        let now = 1_800_000_000;
        let token = key.sign(&claims(now));
        assert!(looks_like_jwt(&token));
        assert_eq!(verify(&token, only, now), Ok(claims(now)));
        assert_eq!(
            verify(&old.sign(&claims(now)), &[key.clone(), old.clone()], now),
            Ok(claims(now)),
            "the previous key verifies during a rotation"
        );
        assert_eq!(
            verify(&old.sign(&claims(now)), only, now),
            Err(TokenError::UnknownKey)
        );
        assert_eq!(verify(&token, only, now + 3600), Err(TokenError::Expired));

        let parts: Vec<&str> = token.split('.').collect();
        let mut escalated = claims(now);
        escalated.scope = "keys:manage".into();
        let forged_body = B64.encode(serde_json::to_vec(&escalated).expect("json"));
        let forged = format!("{}.{forged_body}.{}", parts[0], parts[2]);
        assert_eq!(verify(&forged, only, now), Err(TokenError::BadSignature));

        let none_header = B64.encode(br#"{"alg":"none","typ":"JWT","kid":"x"}"#);
        let unsigned = format!("{none_header}.{}.", parts[1]);
        assert_eq!(verify(&unsigned, only, now), Err(TokenError::UnknownKey));

        let mut foreign = claims(now);
        foreign.aud = "someone-else".into();
        assert_eq!(
            verify(&key.sign(&foreign), only, now),
            Err(TokenError::WrongAudience)
        );
        assert_eq!(verify("a.b", only, now), Err(TokenError::Malformed));
    }

    #[test]
    fn the_previous_key_verifies_only_until_it_retires() {
        let key = SigningKey::from_material(&[1; 32]).expect("key");
        let now = 1_800_000_000;
        let token = key.sign(&claims(now));
        let retiring = [key.retiring_at(now + 600)];
        assert_eq!(verify(&token, &retiring, now + 599), Ok(claims(now)));
        assert_eq!(
            verify(&token, &retiring, now + 600),
            Err(TokenError::RetiredKey)
        );
    }

    #[test]
    fn lifetimes_past_the_ceiling_and_short_keys_are_refused() {
        let key = SigningKey::from_material(&[1; 32]).expect("key");
        let now = 1_800_000_000;
        let mut forever = claims(now);
        forever.exp = now + MAX_TOKEN_LIFETIME_SECS + 1;
        assert_eq!(
            verify(&key.sign(&forever), std::slice::from_ref(&key), now),
            Err(TokenError::TooLong)
        );
        forever.exp = now + MAX_TOKEN_LIFETIME_SECS;
        assert!(verify(&key.sign(&forever), &[key], now).is_ok());
        let short = SigningKey::from_material(b"short").expect_err("5 bytes");
        assert!(short.to_string().contains("at least 32 bytes"), "{short}");
    }
}

/// The signing key from Secrets Manager: the current version signs; the previous version
/// (`AWSPREVIOUS`) still verifies for one grace period after the rotation (a token lifetime plus
/// the time a container may keep signing with its cached key), so rotating the secret neither
/// cuts off tokens already issued nor leaves a replaced key working indefinitely.
#[derive(Clone, Debug)]
pub struct TokenKeys {
    current: crate::secrets::SecretsSource,
    previous: crate::secrets::SecretsSource,
    grace_secs: i64,
}

impl TokenKeys {
    /// Keys read from `source` (and its previous version, verifying for `grace` after the
    /// current version was created).
    pub fn new(source: crate::secrets::SecretsSource, grace: std::time::Duration) -> Self {
        Self {
            previous: source.previous(),
            current: source,
            grace_secs: i64::try_from(grace.as_secs()).unwrap_or(MAX_TOKEN_LIFETIME_SECS),
        }
    }

    /// The key that signs new tokens.
    pub async fn signing_key(&self) -> Result<SigningKey, crate::secrets::KeyError> {
        let material = self.current.get().await?;
        SigningKey::from_material(material.expose().as_bytes())
    }

    /// Every key a token may be signed with: the current one, and the previous one until its
    /// grace period ends.
    pub async fn verification_keys(&self) -> Result<Vec<SigningKey>, crate::secrets::KeyError> {
        let current = self.current.version().await?;
        let mut keys = vec![SigningKey::from_material(
            current.value.expose().as_bytes(),
        )?];
        if let Some(previous) = self.previous.get_optional().await? {
            // A previous version too short to be a key is simply not one.
            if let Ok(key) = SigningKey::from_material(previous.value.expose().as_bytes()) {
                keys.push(match current.created_at {
                    Some(rotated_at) => key.retiring_at(rotated_at.saturating_add(self.grace_secs)),
                    None => key,
                });
            }
        }
        Ok(keys)
    }
}
