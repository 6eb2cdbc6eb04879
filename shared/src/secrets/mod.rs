//! Secrets at rest: stored third-party and signing secrets are sealed with AES-256-GCM under a key
//! from Secrets Manager; nothing here ever prints a secret.

mod cipher;
mod source;

pub use cipher::{CipherError, SealedSecret, SecretCipher};
pub use source::{SecretValue, SecretsSource};
