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
            // A whole number stored as a float (a sample rate of 1.0) comes back from DynamoDB
            // as the integer 1: both are written as the integer, so the hash survives the trip.
            Value::Number(number) => match number.as_f64() {
                Some(f)
                    if number.is_f64() && f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 =>
                {
                    out.push_str(&format!("{}", f as i64));
                }
                _ => out.push_str(&number.to_string()),
            },
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
    /// Entries checked by this verification.
    pub entries: u64,
    /// Whether every link and hash checked holds.
    pub valid: bool,
    /// The first entry that does not fit, and why.
    pub broken_at: Option<u64>,
    /// Why it does not fit.
    pub reason: Option<String>,
    /// The first entry this verification checked (1: from the start; later: from the last
    /// verified checkpoint, whose hash the first entry must link to).
    pub from_seq: u64,
    /// The last entry known good: everything up to it links and hashes correctly.
    pub verified_through: u64,
    /// Whether verification reached the chain's head (`false`: the time budget ran out first;
    /// ask again to go on from `verified_through`).
    pub complete: bool,
}

/// Verifies a chain entry by entry in constant memory, from the start or from a checkpoint (an
/// entry already verified: its position and hash).
#[derive(Clone, Debug)]
pub struct ChainVerifier {
    from_seq: u64,
    last_seq: u64,
    last_hash: String,
    checked: u64,
    broken: Option<(u64, String)>,
}

impl ChainVerifier {
    /// Verification from the first entry.
    pub fn from_genesis() -> Self {
        Self::from_checkpoint(0, GENESIS.to_owned())
    }

    /// Verification of the entries after entry `seq`, whose hash was `hash`.
    pub fn from_checkpoint(seq: u64, hash: String) -> Self {
        Self {
            from_seq: seq + 1,
            last_seq: seq,
            last_hash: hash,
            checked: 0,
            broken: None,
        }
    }

    /// The last entry verified good: its position and hash (a checkpoint to go on from).
    pub fn position(&self) -> (u64, &str) {
        (self.last_seq, &self.last_hash)
    }

    /// Whether a break was found.
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    /// Checks the next entry in chain order; after a break, does nothing.
    pub fn feed(&mut self, entry: &AuditEntry) {
        if self.broken.is_some() {
            return;
        }
        let expected = self.last_seq + 1;
        let fault = if entry.seq != expected {
            Some((
                expected,
                format!("entry {expected} is missing (found {})", entry.seq),
            ))
        } else if entry.prev_hash != self.last_hash {
            Some((entry.seq, "does not link to the entry before it".into()))
        } else if entry.compute_hash() != entry.hash {
            Some((
                entry.seq,
                "its content does not match its hash (edited)".into(),
            ))
        } else {
            None
        };
        match fault {
            Some(fault) => self.broken = Some(fault),
            None => {
                self.checked += 1;
                self.last_seq = entry.seq;
                self.last_hash.clone_from(&entry.hash);
            }
        }
    }

    /// The report once every entry up to the head was fed (`head`: the chain's recorded head,
    /// so removing the newest entries is caught too).
    pub fn finish(self, head: Option<(u64, &str)>) -> ChainReport {
        let (seq, hash) = (self.last_seq, self.last_hash.clone());
        let fault = self.broken.clone().or_else(|| match head {
            Some((head_seq, head_hash)) if head_seq != seq || head_hash != hash => Some((
                seq + 1,
                format!("the chain's head says {head_seq} entries, {seq} remain (removed)"),
            )),
            None if seq > 0 => Some((1, "entries without a chain head".into())),
            _ => None,
        });
        self.report(fault, true)
    }

    /// The report when the time budget ran out before the head (valid so far, or broken).
    pub fn unfinished(self) -> ChainReport {
        let fault = self.broken.clone();
        self.report(fault, false)
    }

    fn report(self, fault: Option<(u64, String)>, complete: bool) -> ChainReport {
        ChainReport {
            entries: self.checked,
            valid: fault.is_none(),
            broken_at: fault.as_ref().map(|(seq, _)| *seq),
            reason: fault.map(|(_, reason)| reason),
            from_seq: self.from_seq,
            verified_through: self.last_seq,
            complete: complete || self.broken.is_some(),
        }
    }
}

/// Checks entries given in chain order from the first, and that the chain ends at the head.
pub fn verify_chain(entries: &[AuditEntry], head: Option<(u64, &str)>) -> ChainReport {
    let mut verifier = ChainVerifier::from_genesis();
    for entry in entries {
        verifier.feed(entry);
    }
    verifier.finish(head)
}

/// What happened, before it joins a chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    fn verification_goes_on_from_a_checkpoint_and_reports_how_far_it_got() {
        let entries = chain(6);
        let head = (6, entries[5].hash.as_str());
        let mut verifier = ChainVerifier::from_checkpoint(2, entries[1].hash.clone());
        for entry in &entries[2..4] {
            verifier.feed(entry);
        }
        assert_eq!(verifier.position(), (4, entries[3].hash.as_str()));
        let paused = verifier.clone().unfinished();
        assert_eq!(
            (
                paused.valid,
                paused.complete,
                paused.from_seq,
                paused.verified_through,
                paused.entries
            ),
            (true, false, 3, 4, 2)
        );
        for entry in &entries[4..] {
            verifier.feed(entry);
        }
        let done = verifier.finish(Some(head));
        assert_eq!((done.valid, done.complete, done.entries), (true, true, 4));

        // A checkpoint whose hash the next entry does not link to is a break.
        let mut wrong = ChainVerifier::from_checkpoint(2, GENESIS.to_owned());
        wrong.feed(&entries[2]);
        let report = wrong.finish(Some(head));
        assert_eq!((report.valid, report.broken_at), (false, Some(3)));
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
    fn whole_floats_hash_like_the_integers_dynamodb_gives_back() {
        assert_eq!(
            canonical(&json!({"rate": 1.0})),
            canonical(&json!({"rate": 1}))
        );
        assert_eq!(canonical(&json!([0.25, -3.0, 0.1])), "[0.25,-3,0.1]");
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        assert_eq!(
            canonical(&json!({"b": 1, "a": {"d": [ {"z": 1, "y": 2} ], "c": null}})),
            r#"{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}"#
        );
    }
}
