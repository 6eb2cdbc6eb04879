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
}

/// A signing key and its id.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    key: Vec<u8>,
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
    /// A key from secret material; its id is derived from it (the first 16 hex digits of its
    /// SHA-256), so a rotated secret gets a new id by itself.
    pub fn from_material(material: &[u8]) -> Self {
        let kid = hex::encode(Sha256::digest(material))[..16].to_owned();
        Self {
            kid,
            key: material.to_vec(),
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
    if now >= claims.exp || now < claims.nbf {
        return Err(TokenError::Expired);
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
        }
    }

    #[test]
    fn a_signed_token_verifies_and_every_kind_of_tampering_is_refused() {
        let key = SigningKey::from_material(b"current key material");
        let only = std::slice::from_ref(&key);
        let old = SigningKey::from_material(b"previous key material");
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
}

/// The signing key from Secrets Manager: the current version signs; the current and previous
/// versions verify, so rotating the secret does not cut off tokens already issued.
#[derive(Clone, Debug)]
pub struct TokenKeys {
    current: crate::secrets::SecretsSource,
    previous: crate::secrets::SecretsSource,
}

impl TokenKeys {
    /// Keys read from `source` (and its previous version).
    pub fn new(source: crate::secrets::SecretsSource) -> Self {
        Self {
            previous: source.previous(),
            current: source,
        }
    }

    /// The key that signs new tokens.
    pub async fn signing_key(&self) -> Result<SigningKey, aws_sdk_secretsmanager::Error> {
        let material = self.current.get().await?;
        Ok(SigningKey::from_material(material.expose().as_bytes()))
    }

    /// Every key a token may be signed with.
    pub async fn verification_keys(
        &self,
    ) -> Result<Vec<SigningKey>, aws_sdk_secretsmanager::Error> {
        let mut keys = vec![self.signing_key().await?];
        if let Some(previous) = self.previous.get_optional().await? {
            keys.push(SigningKey::from_material(previous.expose().as_bytes()));
        }
        Ok(keys)
    }
}
