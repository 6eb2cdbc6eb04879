//! Secrets at rest: stored third-party and signing secrets are sealed with AES-256-GCM under a key
//! from Secrets Manager; nothing here ever prints a secret.

mod cipher;
mod source;

pub use cipher::{CipherError, SealedSecret, SecretCipher};
pub use source::{SecretValue, SecretVersion, SecretsSource};

/// The fewest bytes of material a key secret (the data key, the token signing key) may hold:
/// 256 bits, the strength of the AES-256 and HMAC-SHA256 keys made from it.
pub const MIN_KEY_BYTES: usize = 32;

/// A key could not be had from Secrets Manager.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Secrets Manager could not be read.
    #[error("secrets manager: {0}")]
    Unavailable(Box<aws_sdk_secretsmanager::Error>),
    /// The secret holds too little material to be a key.
    #[error(
        "the key secret holds {len} bytes; a key needs at least {MIN_KEY_BYTES} bytes of \
         high-entropy material (e.g. 64 random alphanumeric characters)"
    )]
    TooShort {
        /// How many bytes it holds.
        len: usize,
    },
}

impl From<aws_sdk_secretsmanager::Error> for KeyError {
    fn from(err: aws_sdk_secretsmanager::Error) -> Self {
        Self::Unavailable(Box::new(err))
    }
}

/// `material` when it is long enough to be a key.
pub fn checked_key_material(material: &[u8]) -> Result<&[u8], KeyError> {
    if material.len() < MIN_KEY_BYTES {
        return Err(KeyError::TooShort {
            len: material.len(),
        });
    }
    Ok(material)
}
