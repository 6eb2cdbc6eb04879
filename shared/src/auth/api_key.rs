use crate::domain::ApiKeyId;
use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};
use std::fmt;

/// A full API key, `sk_<id>_<secret>`: shown once at creation, then only its digest is kept.
/// `Debug` shows the public id alone.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    id: ApiKeyId,
    text: String,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey(sk_{}_…)", self.id)
    }
}

impl ApiKey {
    /// Random characters after the id: 43 alphanumerics, about 256 bits.
    const SECRET_LEN: usize = 43;

    /// A new random key.
    pub fn generate() -> Self {
        let id = ApiKeyId::generate();
        let secret = Alphanumeric.sample_string(&mut rand::rng(), Self::SECRET_LEN);
        Self {
            text: format!("sk_{id}_{secret}"),
            id,
        }
    }

    /// Splits a presented key into its id; `None` unless it has the `sk_<id>_<secret>` shape.
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix("sk_")?;
        let (id, secret) = rest.split_once('_')?;
        let id = ApiKeyId::parse(id)?;
        (!secret.is_empty()).then(|| Self {
            id,
            text: text.to_owned(),
        })
    }

    /// The public id.
    pub fn id(&self) -> &ApiKeyId {
        &self.id
    }

    /// The full key, for the one response that shows it.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// What is stored: the digest.
    pub fn digest(&self) -> String {
        key_digest(&self.text)
    }
}

/// Hex SHA-256 of a presented key. A fast hash suffices: keys carry ~256 random bits, so there is
/// nothing to brute-force (unlike passwords, which get argon2id).
pub fn key_digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_back_to_their_id() {
        let key = ApiKey::generate();
        assert!(key.expose().starts_with("sk_"));
        let parsed = ApiKey::parse(key.expose()).expect("parses");
        assert_eq!(parsed.id(), key.id());
        assert_eq!(parsed.digest(), key.digest());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = ApiKey::generate();
        let secret = key
            .expose()
            .rsplit('_')
            .next()
            .expect("has a secret")
            .to_owned();
        assert!(!format!("{key:?}").contains(&secret));
    }

    #[test]
    fn malformed_keys_are_refused() {
        for text in [
            "",
            "sk_",
            "sk_abc_def",
            "pk_abcdefghijkl_x",
            "sk_abcdefghijkl_",
            "Bearer",
        ] {
            assert!(ApiKey::parse(text).is_none(), "{text}");
        }
    }
}
