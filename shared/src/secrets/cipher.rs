use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Ciphertext of a secret as stored: `v1:` + base64(nonce ‖ ciphertext ‖ tag). Its `Debug` shows
/// nothing, so a stored record can be logged without leaking even the ciphertext.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SealedSecret(String);

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealedSecret(..)")
    }
}

/// Sealing failed or a ciphertext did not open (wrong key, wrong context, or tampered).
#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    /// The stored value is not in the `v1:` format.
    #[error("sealed secret is malformed")]
    Malformed,
    /// Authentication failed: wrong key, wrong context or tampered ciphertext.
    #[error("sealed secret did not open")]
    Unsealed,
}

/// AES-256-GCM with a key derived from the data-key secret. Every ciphertext is bound to a context
/// (e.g. `endpoint/<tenant>/<id>`) as associated data, so a sealed value copied onto another record
/// does not open.
#[derive(Clone)]
pub struct SecretCipher {
    cipher: Aes256Gcm,
}

impl fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretCipher(..)")
    }
}

impl SecretCipher {
    const VERSION: &'static str = "v1:";
    const NONCE_LEN: usize = 12;

    /// Derives the 256-bit key from the Secrets Manager value (at least
    /// [`MIN_KEY_BYTES`](super::MIN_KEY_BYTES) of high-entropy text) with HMAC-SHA256, so the
    /// stored material need not be exactly 32 bytes; shorter material is refused.
    pub fn from_key_material(material: &[u8]) -> Result<Self, super::KeyError> {
        let material = super::checked_key_material(material)?;
        let key_bytes = crate::signing::hmac_sha256(material, b"faultline/data-key/v1");
        let key = Key::<Aes256Gcm>::from_slice(&key_bytes);
        Ok(Self {
            cipher: Aes256Gcm::new(key),
        })
    }

    /// Seals `plaintext` for `context`.
    pub fn seal(&self, plaintext: &str, context: &str) -> SealedSecret {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .unwrap_or_else(|_| unreachable!("AES-GCM encryption of in-memory data cannot fail"));
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        SealedSecret(format!("{}{}", Self::VERSION, BASE64.encode(sealed)))
    }

    /// Opens a sealed value for `context`.
    pub fn open(&self, sealed: &SealedSecret, context: &str) -> Result<String, CipherError> {
        let encoded = sealed
            .0
            .strip_prefix(Self::VERSION)
            .ok_or(CipherError::Malformed)?;
        let bytes = BASE64.decode(encoded).map_err(|_| CipherError::Malformed)?;
        if bytes.len() < Self::NONCE_LEN {
            return Err(CipherError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(Self::NONCE_LEN);
        let plaintext = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CipherError::Unsealed)?;
        String::from_utf8(plaintext).map_err(|_| CipherError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cipher under 32 bytes of material made from `seed`.
    fn cipher_from(seed: &str) -> SecretCipher {
        SecretCipher::from_key_material(format!("{seed:-<32}").as_bytes()).expect("long enough")
    }

    #[test]
    fn material_shorter_than_32_bytes_is_refused() {
        assert!(
            SecretCipher::from_key_material(&[7; 32]).is_ok(),
            "32 bytes is enough"
        );
        let refused = SecretCipher::from_key_material(&[7; 31]).expect_err("31 bytes is too few");
        assert!(refused.to_string().contains("31 bytes"), "{refused}");
    }

    #[test]
    fn seals_and_opens_in_the_same_context() {
        let cipher = cipher_from("some high entropy material");
        let sealed = cipher.seal("whsec_abc", "endpoint/t/e");
        assert!(!format!("{sealed:?}").contains("abc"));
        assert_eq!(
            cipher.open(&sealed, "endpoint/t/e").expect("opens"),
            "whsec_abc"
        );
    }

    #[test]
    fn refuses_another_context_another_key_or_tampering() {
        let cipher = cipher_from("key one");
        let sealed = cipher.seal("secret", "ctx");
        assert!(cipher.open(&sealed, "other").is_err());
        assert!(cipher_from("key two").open(&sealed, "ctx").is_err());
        let mut tampered = sealed.0.clone();
        tampered.replace_range(10..11, if &tampered[10..11] == "A" { "B" } else { "A" });
        assert!(cipher.open(&SealedSecret(tampered), "ctx").is_err());
        assert!(cipher.open(&SealedSecret("plain".into()), "ctx").is_err());
    }

    #[test]
    fn the_same_plaintext_seals_differently_each_time() {
        let cipher = cipher_from("k");
        assert_ne!(cipher.seal("x", "c"), cipher.seal("x", "c"));
    }
}
