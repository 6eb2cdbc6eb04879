//! Standard Webhooks (standardwebhooks.com): `webhook-id`, `webhook-timestamp` and
//! `webhook-signature: v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>`, space-separated when
//! several secrets sign (rotation).

use super::error::{is_fresh, SignatureError};
use super::hmac_sha256::hmac_sha256;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use rand::RngCore;
use std::fmt;
use subtle::ConstantTimeEq;

/// A `whsec_…` signing secret. Never shown by `Debug`; `expose` is the one way out.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    text: String,
    key: Vec<u8>,
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

const TIMESTAMP_HEADER: &str = "webhook-timestamp";
const SIGNATURE_HEADER: &str = "webhook-signature";

impl WebhookSecret {
    /// Random bytes in a generated secret.
    pub const GENERATED_LEN: usize = 32;
    /// Timestamps further than this from now are refused, both ways.
    pub const TOLERANCE_SECS: i64 = 5 * 60;

    /// A new random secret.
    pub fn generate() -> Self {
        let mut key = vec![0u8; Self::GENERATED_LEN];
        rand::rng().fill_bytes(&mut key);
        Self {
            text: format!("whsec_{}", BASE64.encode(&key)),
            key,
        }
    }

    /// A secret as a sender configured it: `whsec_<base64>` uses the decoded bytes as the key (the
    /// standard); anything else uses its UTF-8 bytes.
    pub fn parse(text: &str) -> Self {
        let key = text
            .strip_prefix("whsec_")
            .and_then(|b64| BASE64.decode(b64).ok())
            .unwrap_or_else(|| text.as_bytes().to_vec());
        Self {
            text: text.to_owned(),
            key,
        }
    }

    /// The secret's text, for sealing or for showing once at creation.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// `v1,<base64>` over `{id}.{timestamp}.{body}`.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        let mac = hmac_sha256(&self.key, &signed_content(msg_id, timestamp, body));
        format!("v1,{}", BASE64.encode(mac))
    }

    /// Verifies a `webhook-signature` header (any of its space-separated `v1` entries may match)
    /// and the timestamp's freshness against `now`.
    pub fn verify(
        &self,
        msg_id: &str,
        timestamp: &str,
        signature_header: &str,
        body: &[u8],
        now: i64,
    ) -> Result<(), SignatureError> {
        let ts: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| SignatureError::BadTimestamp(TIMESTAMP_HEADER))?;
        if !is_fresh(ts, now, Self::TOLERANCE_SECS) {
            return Err(SignatureError::Stale {
                header: TIMESTAMP_HEADER,
                window_secs: Self::TOLERANCE_SECS,
            });
        }
        let expected = hmac_sha256(&self.key, &signed_content(msg_id, ts, body));
        let matched = signature_header
            .split_whitespace()
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|b64| BASE64.decode(b64).ok())
            .any(|given| bool::from(given.as_slice().ct_eq(expected.as_slice())));
        if matched {
            Ok(())
        } else {
            Err(SignatureError::Mismatch(SIGNATURE_HEADER))
        }
    }
}

fn signed_content(msg_id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(msg_id.len() + body.len() + 24);
    content.extend_from_slice(msg_id.as_bytes());
    content.push(b'.');
    content.extend_from_slice(timestamp.to_string().as_bytes());
    content.push(b'.');
    content.extend_from_slice(body);
    content
}

#[cfg(test)]
mod tests {
    use super::*;

    // The official vector (standard-webhooks spec and SDKs; tests/fixtures/SIGNATURES.md §8).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn official_vector_signs_and_verifies() {
        let secret = WebhookSecret::parse(SECRET);
        assert_eq!(secret.sign(MSG_ID, TIMESTAMP, BODY), SIGNATURE);
        assert_eq!(
            secret.verify(MSG_ID, "1614265330", SIGNATURE, BODY, TIMESTAMP),
            Ok(())
        );
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let secret = WebhookSecret::parse(SECRET);
        let header = format!("v1,Zm9vYmFy v1a,whatever {SIGNATURE}");
        assert_eq!(
            secret.verify(MSG_ID, "1614265330", &header, BODY, TIMESTAMP),
            Ok(())
        );
    }

    #[test]
    fn tampered_id_body_or_signature_fails() {
        let secret = WebhookSecret::parse(SECRET);
        let ts = "1614265330";
        assert_eq!(
            secret.verify("msg_other", ts, SIGNATURE, BODY, TIMESTAMP),
            Err(SignatureError::Mismatch(SIGNATURE_HEADER))
        );
        assert_eq!(
            secret.verify(MSG_ID, ts, SIGNATURE, br#"{"test": 2432232315}"#, TIMESTAMP),
            Err(SignatureError::Mismatch(SIGNATURE_HEADER))
        );
        assert_eq!(
            secret.verify(MSG_ID, ts, "v1,AAAA", BODY, TIMESTAMP),
            Err(SignatureError::Mismatch(SIGNATURE_HEADER))
        );
        assert_eq!(
            WebhookSecret::generate().verify(MSG_ID, ts, SIGNATURE, BODY, TIMESTAMP),
            Err(SignatureError::Mismatch(SIGNATURE_HEADER))
        );
    }

    #[test]
    fn stale_or_future_timestamps_fail() {
        let secret = WebhookSecret::parse(SECRET);
        let later = TIMESTAMP + WebhookSecret::TOLERANCE_SECS + 1;
        let earlier = TIMESTAMP - WebhookSecret::TOLERANCE_SECS - 1;
        assert_eq!(
            secret.verify(MSG_ID, "1614265330", SIGNATURE, BODY, later),
            Err(SignatureError::Stale {
                header: TIMESTAMP_HEADER,
                window_secs: 300
            })
        );
        assert_eq!(
            secret.verify(MSG_ID, "1614265330", SIGNATURE, BODY, earlier),
            Err(SignatureError::Stale {
                header: TIMESTAMP_HEADER,
                window_secs: 300
            })
        );
        assert_eq!(
            secret.verify(MSG_ID, "soon", SIGNATURE, BODY, TIMESTAMP),
            Err(SignatureError::BadTimestamp(TIMESTAMP_HEADER))
        );
    }

    #[test]
    fn generated_secrets_round_trip_and_never_debug_print() {
        let secret = WebhookSecret::generate();
        assert!(secret.expose().starts_with("whsec_"));
        assert_eq!(WebhookSecret::parse(secret.expose()), secret);
        assert_eq!(format!("{secret:?}"), "WebhookSecret(..)");
        let sig = secret.sign("msg_1", 100, b"{}");
        assert_eq!(secret.verify("msg_1", "100", &sig, b"{}", 100), Ok(()));
    }
}
