//! Signatures over raw bytes, verified in constant time.

pub mod hmac_sha256;
pub mod standard_webhooks;

pub use hmac_sha256::verify_sha256_hex_signature;
pub use standard_webhooks::{SignatureError, WebhookSecret};
