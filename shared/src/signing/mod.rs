//! Signatures over raw bytes, verified in constant time: one HMAC-SHA256 helper for every scheme
//! (Standard Webhooks, `sha256=` hex, PagerDuty's `v1=` list, Slack's `v0=`, access tokens).

mod error;
pub mod hmac_sha256;
pub mod standard_webhooks;

pub use error::{is_fresh, SignatureError};
pub use hmac_sha256::{hmac_sha256, verify_hmac_sha256, verify_sha256_hex_signature};
pub use standard_webhooks::WebhookSecret;
