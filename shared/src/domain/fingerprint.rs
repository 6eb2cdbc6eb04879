//! Incident identity. Two signals with the same fingerprint in a tenant are the same incident.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// A stable identity for "the same problem": hex SHA-256 over the source and its identity key,
/// so that equal keys from different sources never collide.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// Fingerprint of an identity key the sender chose (e.g. a generic alert's `fingerprint`).
    pub fn from_key(source: &str, key: &str) -> Self {
        Self::digest(&[source, "key", key])
    }

    /// Fingerprint derived from what describes the problem when the sender gave no key: the title,
    /// service and environment (not the description, which often carries changing detail).
    pub fn from_parts(source: &str, title: &str, service: &str, environment: &str) -> Self {
        Self::digest(&[source, "parts", title.trim(), service, environment])
    }

    fn digest(parts: &[&str]) -> Self {
        let mut hasher = Sha256::new();
        for part in parts {
            // length-prefixed, so ("ab","c") and ("a","bc") differ
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        Self(hex::encode(hasher.finalize()))
    }

    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_fingerprint() {
        assert_eq!(
            Fingerprint::from_key("generic", "db-down"),
            Fingerprint::from_key("generic", "db-down")
        );
    }

    #[test]
    fn source_namespaces_the_key() {
        assert_ne!(
            Fingerprint::from_key("generic", "db-down"),
            Fingerprint::from_key("sentry", "db-down")
        );
    }

    #[test]
    fn parts_are_length_prefixed() {
        assert_ne!(
            Fingerprint::from_parts("generic", "ab", "c", ""),
            Fingerprint::from_parts("generic", "a", "bc", "")
        );
    }

    #[test]
    fn title_whitespace_does_not_split_identity() {
        assert_eq!(
            Fingerprint::from_parts("generic", " Disk full ", "db", "prod"),
            Fingerprint::from_parts("generic", "Disk full", "db", "prod")
        );
    }

    #[test]
    fn derived_and_explicit_fingerprints_differ() {
        assert_ne!(
            Fingerprint::from_key("generic", "x"),
            Fingerprint::from_parts("generic", "x", "", "")
        );
    }

    #[test]
    fn is_64_hex_chars() {
        let fp = Fingerprint::from_key("generic", "anything");
        assert_eq!(fp.as_str().len(), 64);
        assert!(fp.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
