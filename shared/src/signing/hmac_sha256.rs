//! HMAC-SHA256, the one helper every signature, token and key derivation uses, and `sha256=<hex>`
//! signatures (GitHub's `X-Hub-Signature-256`, Sentry's, our `X-Signature-256`).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// HMAC-SHA256 of `body` under `secret`.
pub fn hmac_sha256(secret: &[u8], body: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// Whether `given` is the HMAC-SHA256 of `body` under `secret`, compared in constant time.
pub fn verify_hmac_sha256(secret: &[u8], body: &[u8], given: &[u8]) -> bool {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    mac.verify_slice(given).is_ok()
}

/// Checks a header of the form `sha256=<hex HMAC-SHA256(secret, body)>` in constant time.
pub fn verify_sha256_hex_signature(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    hex::decode(hex_sig).is_ok_and(|given| verify_hmac_sha256(secret, body, &given))
}

#[cfg(test)]
mod tests {
    use super::*;

    // GitHub's official vector (docs, "Testing the webhook payload validation").
    const SECRET: &[u8] = b"It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";
    const SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn official_vector_verifies() {
        assert!(verify_sha256_hex_signature(SECRET, BODY, SIGNATURE));
        assert_eq!(
            format!("sha256={}", hex::encode(hmac_sha256(SECRET, BODY))),
            SIGNATURE
        );
    }

    #[test]
    fn tampering_fails() {
        assert!(!verify_sha256_hex_signature(
            SECRET,
            b"Hello, World?",
            SIGNATURE
        ));
        assert!(!verify_sha256_hex_signature(b"other", BODY, SIGNATURE));
        assert!(!verify_sha256_hex_signature(
            SECRET,
            BODY,
            &SIGNATURE.replace("sha256=", "sha1=")
        ));
        assert!(!verify_sha256_hex_signature(SECRET, BODY, "sha256=zz"));
        assert!(!verify_sha256_hex_signature(SECRET, BODY, ""));
    }
}
