//! Authentication, done the same way by every function: API keys from `Authorization: Bearer` or
//! `X-API-Key`, stored only as digests; access tokens (JWT) issued for keys and users; and the
//! platform admin key from Secrets Manager.

mod api_key;
mod authenticator;
pub mod jwt;
pub mod password;

pub use api_key::{key_digest, ApiKey};
pub use authenticator::{presented_key, AuthError, Authenticator};
