//! The audit log: who changed what, and every refused credential, as a hash chain per tenant so
//! that an edited, removed or reordered entry is detectable.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The hash before the first entry of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Fields whose values never reach the audit log.
const SECRET_FIELDS: &[&str] = &[
    "secret",
    "key",
    "token",
    "auth_token",
    "access_token",
    "password",
    "password_hash",
    "client_secret",
    "signing_secret",
    "previous_secrets",
    "digest",
];

/// One audit entry, as stored and shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Its position in the chain, from 1.
    pub seq: u64,
    /// When it happened (fixed-width RFC 3339, so entries compare as text).
    pub at: String,
    /// Who: `key:<id>`, `user:<id>`, `platform_admin`, or `anonymous`.
    pub actor: String,
    /// The route, e.g. `PATCH /v1/endpoints/{id}`, or `auth.failed`.
    pub action: String,
    /// The kind of resource, e.g. `endpoints`.
    pub resource_type: String,
    /// Its id, when the route names one.
    pub resource_id: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
    /// Changed fields: `{"field": {"before": …, "after": …}}`, secrets redacted.
    pub diff: Value,
    /// API Gateway's request id.
    pub request_id: String,
    /// The caller's address.
    pub source_ip: String,
    /// What went wrong, for refusals.
    pub detail: Option<String>,
    /// The previous entry's hash ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// SHA-256 over the previous hash and this entry's other fields.
    pub hash: String,
}

impl AuditEntry {
    /// The hash this entry should have: SHA-256 of the previous hash and the canonical JSON of
    /// every other field (keys sorted at every level).
    pub fn compute_hash(&self) -> String {
        let mut body = serde_json::to_value(self).unwrap_or_default();
        if let Some(fields) = body.as_object_mut() {
            fields.remove("hash");
        }
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(canonical(&body).as_bytes());
        hex::encode(hasher.finalize())
    }
}

/// JSON with object keys sorted at every level, so the same value always hashes the same.
pub fn canonical(value: &Value) -> String {
    // Built by hand: serde_json's own key order depends on its `preserve_order` feature.
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, key) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String((*key).clone()).to_string());
                    out.push(':');
                    write(&map[*key], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// A copy of `value` with every secret field's value replaced by `"[redacted]"`, at any depth.
pub fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let shown = if SECRET_FIELDS.contains(&k.to_ascii_lowercase().as_str())
                        && !v.is_null()
                    {
                        json!("[redacted]")
                    } else {
                        redact(v)
                    };
                    (k.clone(), shown)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

/// The top-level fields that differ between `before` and `after` (either may be `null`: a
/// creation or a deletion), each as `{"before": …, "after": …}`, secrets redacted.
pub fn diff(before: &Value, after: &Value) -> Value {
    let (before, after) = (redact(before), redact(after));
    let empty = Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut changes = Map::new();
    for key in keys {
        let (old, new) = (
            b.get(key).cloned().unwrap_or(Value::Null),
            a.get(key).cloned().unwrap_or(Value::Null),
        );
        if old != new {
            changes.insert(key.clone(), json!({"before": old, "after": new}));
        }
    }
    Value::Object(changes)
}

/// Where a chain breaks, if it does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChainReport {
    /// Entries checked.
    pub entries: u64,
    /// Whether every link and hash holds.
    pub valid: bool,
    /// The first entry that does not fit, and why.
    pub broken_at: Option<u64>,
    /// Why it does not fit.
    pub reason: Option<String>,
}

/// Checks entries given in chain order, and that the chain ends at the head (`head_seq`,
/// `head_hash`) so that removing the newest entries is caught too.
pub fn verify_chain(entries: &[AuditEntry], head: Option<(u64, &str)>) -> ChainReport {
    let mut prev = GENESIS.to_owned();
    let broken = |seq: u64, reason: String, checked: u64| ChainReport {
        entries: checked,
        valid: false,
        broken_at: Some(seq),
        reason: Some(reason),
    };
    for (i, entry) in entries.iter().enumerate() {
        let expected_seq = i as u64 + 1;
        if entry.seq != expected_seq {
            return broken(
                expected_seq,
                format!("entry {expected_seq} is missing (found {})", entry.seq),
                i as u64,
            );
        }
        if entry.prev_hash != prev {
            return broken(
                entry.seq,
                "does not link to the entry before it".into(),
                i as u64,
            );
        }
        if entry.compute_hash() != entry.hash {
            return broken(
                entry.seq,
                "its content does not match its hash (edited)".into(),
                i as u64,
            );
        }
        prev = entry.hash.clone();
    }
    let count = entries.len() as u64;
    match head {
        Some((seq, hash)) if seq != count || hash != prev => broken(
            count + 1,
            format!("the chain's head says {seq} entries, {count} remain (removed)"),
            count,
        ),
        None if count > 0 => broken(1, "entries without a chain head".into(), count),
        _ => ChainReport {
            entries: count,
            valid: true,
            broken_at: None,
            reason: None,
        },
    }
}

/// What happened, before it joins a chain.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditDraft {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (see [`AuditEntry::actor`]).
    pub actor: String,
    /// The route or `auth.failed`.
    pub action: String,
    /// The kind of resource.
    pub resource_type: String,
    /// Its id.
    pub resource_id: Option<String>,
    /// The status answered.
    pub status: u16,
    /// Changed fields, already redacted.
    pub diff: Value,
    /// The request id.
    pub request_id: String,
    /// The caller's address.
    pub source_ip: String,
    /// Why it was refused.
    pub detail: Option<String>,
}

impl AuditDraft {
    /// The entry at position `seq` after the entry hashed `prev_hash`.
    pub fn seal(self, seq: u64, prev_hash: &str) -> AuditEntry {
        let mut entry = AuditEntry {
            seq,
            at: self.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            actor: self.actor,
            action: self.action,
            resource_type: self.resource_type,
            resource_id: self.resource_id,
            status: self.status,
            diff: self.diff,
            request_id: self.request_id,
            source_ip: self.source_ip,
            detail: self.detail,
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let entry = AuditDraft {
                    at: Utc::now(),
                    actor: "key:abc".into(),
                    action: "PATCH /v1/endpoints/{id}".into(),
                    resource_type: "endpoints".into(),
                    resource_id: Some(format!("ep_{seq}")),
                    status: 200,
                    diff: json!({"url": {"before": "a", "after": "b"}}),
                    request_id: "req".into(),
                    source_ip: "203.0.113.1".into(),
                    detail: None,
                }
                .seal(seq, &prev);
                prev = entry.hash.clone();
                entry
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies_and_any_edit_removal_or_reorder_breaks_it() {
        let entries = chain(4);
        let head = (4, entries[3].hash.as_str());
        assert!(verify_chain(&entries, Some(head)).valid);

        let mut edited = entries.clone();
        edited[1].status = 500;
        let report = verify_chain(&edited, Some(head));
        assert_eq!((report.valid, report.broken_at), (false, Some(2)));

        let mut removed = entries.clone();
        removed.remove(2);
        assert_eq!(verify_chain(&removed, Some(head)).broken_at, Some(3));

        let truncated = &entries[..3];
        let report = verify_chain(truncated, Some(head));
        assert_eq!((report.valid, report.broken_at), (false, Some(4)));

        let mut rehashed = entries.clone();
        rehashed[1].actor = "key:mallory".into();
        rehashed[1].hash = rehashed[1].compute_hash();
        assert_eq!(
            verify_chain(&rehashed, Some(head)).broken_at,
            Some(3),
            "the next link breaks"
        );
    }

    #[test]
    fn diffs_show_changed_fields_only_and_never_secrets() {
        let before = json!({"url": "https://a", "enabled": true, "secret": "whsec_old"});
        let after = json!({"url": "https://b", "enabled": true, "secret": "whsec_new", "headers": {"token": "t"}});
        let d = diff(&before, &after);
        assert_eq!(
            d["url"],
            json!({"before": "https://a", "after": "https://b"})
        );
        assert!(d.get("enabled").is_none());
        assert_eq!(d["headers"]["after"]["token"], "[redacted]");
        assert!(!d.to_string().contains("whsec_"));
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        assert_eq!(
            canonical(&json!({"b": 1, "a": {"d": [ {"z": 1, "y": 2} ], "c": null}})),
            r#"{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}"#
        );
    }
}
