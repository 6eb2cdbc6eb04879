//! The one signal model every source is normalised into, so all sources share incident logic.

use super::{Fingerprint, Severity, Source};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// What the sender says about the problem's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignalStatus {
    /// The problem is happening.
    Firing,
    /// Someone is on it.
    Acknowledged,
    /// The problem is over.
    Resolved,
}

/// Whether the signal is about an alert (opens incidents; a recurrence after resolution is a new
/// incident) or a tracked issue (one record per upstream issue, reopened when it regresses).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignalKind {
    /// An alert or page.
    #[default]
    Alert,
    /// An error-tracker issue (Sentry).
    Issue,
}

/// Longest title kept on an incident, in characters.
pub const MAX_TITLE_CHARS: usize = 1024;
/// Longest description kept on an incident, in bytes.
pub const MAX_DESCRIPTION_BYTES: usize = 16 * 1024;
/// Largest attributes map kept on an incident, as JSON bytes.
pub const MAX_ATTRIBUTES_BYTES: usize = 32 * 1024;

/// Cuts `text` to at most `max` bytes on a character boundary, marking the cut.
fn cut(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(" […]");
    }
}

/// Keeps attributes that fit an incident record; larger ones are replaced by a note naming their
/// keys (the archived request keeps them whole). A DynamoDB item holds 400 KB and an SQS message
/// 256 KiB, while an inbound body may be 1 MiB.
pub fn bound_attributes(attributes: Map<String, Value>) -> Map<String, Value> {
    let size = serde_json::to_vec(&attributes)
        .map(|b| b.len())
        .unwrap_or(usize::MAX);
    if size <= MAX_ATTRIBUTES_BYTES {
        return attributes;
    }
    let keys: Vec<&String> = attributes.keys().take(50).collect();
    let mut omitted = Map::new();
    omitted.insert(
        "_omitted".into(),
        serde_json::json!({
            "reason": "attributes larger than 32 KiB; the archived request has them whole",
            "size_bytes": size,
            "keys": keys,
        }),
    );
    omitted
}

fn one() -> u64 {
    1
}

fn is_one(n: &u64) -> bool {
    *n == 1
}

fn occurrence_by_default() -> bool {
    true
}

/// A normalised alert from any source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// Which kind of sender.
    pub source: Source,
    /// Alert or issue.
    #[serde(default)]
    pub kind: SignalKind,
    /// Identity of the problem.
    pub fingerprint: Fingerprint,
    /// The sender's own id for the problem (PagerDuty incident id, Sentry issue id).
    #[serde(default)]
    pub upstream_id: Option<String>,
    /// One-line summary.
    pub title: String,
    /// Longer text, if any.
    pub description: Option<String>,
    /// How bad.
    pub severity: Severity,
    /// Firing, acknowledged or resolved.
    pub status: SignalStatus,
    /// The affected service.
    pub service: Option<String>,
    /// The affected environment (production, staging, …).
    pub environment: Option<String>,
    /// A link back to the sender's view.
    pub url: Option<String>,
    /// Who the sender says owns it now.
    #[serde(default)]
    pub assignee: Option<String>,
    /// The sender's priority label (e.g. PagerDuty's `P1`).
    #[serde(default)]
    pub priority: Option<String>,
    /// A note to add to the timeline (e.g. a PagerDuty annotation).
    #[serde(default)]
    pub note: Option<String>,
    /// Whether this signal is another occurrence of the problem (a trigger, an error event), as
    /// opposed to a change of state or details (an acknowledgement, a reassignment).
    #[serde(default = "occurrence_by_default")]
    pub occurrence: bool,
    /// How many occurrences the signal stands for (a log scan folds repeats of one error in a
    /// batch into one signal); 1 for everything else.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub repeats: u64,
    /// When the sender says it happened.
    pub occurred_at: DateTime<Utc>,
    /// Set when the sender gave no time of its own: each such delivery is its own occurrence, so
    /// two arriving in the same clock tick must not look like an exact re-send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival_id: Option<String>,
    /// Everything else the sender said, kept as is.
    pub attributes: Map<String, Value>,
    /// The error event (with its stack trace) this signal reports, for error trackers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_event: Option<super::ErrorEvent>,
}

impl Signal {
    /// A minimal firing alert; sources fill in the rest.
    pub fn new(
        source: Source,
        fingerprint: Fingerprint,
        title: String,
        occurred_at: DateTime<Utc>,
    ) -> Self {
        Self {
            source,
            kind: SignalKind::Alert,
            fingerprint,
            upstream_id: None,
            title,
            description: None,
            severity: Severity::Medium,
            status: SignalStatus::Firing,
            service: None,
            environment: None,
            url: None,
            assignee: None,
            priority: None,
            note: None,
            occurrence: true,
            repeats: 1,
            occurred_at,
            arrival_id: None,
            attributes: Map::new(),
            error_event: None,
        }
    }

    /// The signal trimmed to what an incident record holds: title, description and attributes
    /// bounded (see the limits above).
    pub fn bounded(mut self) -> Self {
        if self.title.chars().count() > MAX_TITLE_CHARS {
            self.title = self.title.chars().take(MAX_TITLE_CHARS).collect();
        }
        if let Some(description) = &mut self.description {
            cut(description, MAX_DESCRIPTION_BYTES);
        }
        if let Some(note) = &mut self.note {
            cut(note, MAX_DESCRIPTION_BYTES);
        }
        self.attributes = bound_attributes(std::mem::take(&mut self.attributes));
        self.url = self.url.filter(|url| is_web_link(url));
        self
    }

    /// Whether this is another occurrence (only firing signals can be).
    pub fn is_occurrence(&self) -> bool {
        self.occurrence && self.status == SignalStatus::Firing
    }

    /// The same signal marked as a change of state or details, not an occurrence.
    pub fn not_an_occurrence(mut self) -> Self {
        self.occurrence = false;
        self
    }

    /// Hash of what the signal says, so an exact re-send (same state, same time) is recognised
    /// as a duplicate rather than a new occurrence.
    pub fn content_hash(&self) -> String {
        let content = serde_json::json!([
            self.status,
            self.title,
            self.description,
            self.severity,
            self.assignee,
            self.priority,
            self.note,
            self.occurred_at,
            self.attributes,
            self.arrival_id,
        ]);
        // Only where it is not 1, so hashes of every other signal stay what they were.
        let content = match (self.repeats, content) {
            (1, content) => content,
            (repeats, serde_json::Value::Array(mut parts)) => {
                parts.push(repeats.into());
                serde_json::Value::Array(parts)
            }
            (_, content) => content,
        };
        hex::encode(Sha256::digest(content.to_string().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_signals_fit_a_record_and_cut_on_character_boundaries() {
        let mut signal = Signal::new(
            Source::Generic,
            Fingerprint::from_key("generic", "x"),
            "é".repeat(2000),
            Utc::now(),
        );
        signal.description = Some("€".repeat(10_000));
        signal
            .attributes
            .insert("blob".into(), Value::String("y".repeat(40_000)));
        let bounded = signal.bounded();
        assert_eq!(bounded.title.chars().count(), MAX_TITLE_CHARS);
        let description = bounded.description.expect("kept");
        assert!(description.len() <= MAX_DESCRIPTION_BYTES + " […]".len());
        assert!(description.ends_with(" […]"));
        assert!(bounded.attributes.contains_key("_omitted"));
        assert_eq!(
            bounded.attributes["_omitted"]["keys"],
            serde_json::json!(["blob"])
        );
    }

    #[test]
    fn arrivals_without_a_sender_time_never_look_like_exact_resends() {
        let at = Utc::now();
        let mut first = Signal::new(
            Source::Generic,
            Fingerprint::from_key("generic", "x"),
            "t".into(),
            at,
        );
        let mut second = first.clone();
        assert_eq!(
            first.content_hash(),
            second.content_hash(),
            "a true re-send is a duplicate"
        );
        first.arrival_id = Some("a".into());
        second.arrival_id = Some("b".into());
        assert_ne!(first.content_hash(), second.content_hash());
    }

    #[test]
    fn small_attributes_are_kept_as_they_are() {
        let mut attributes = Map::new();
        attributes.insert("host".into(), Value::String("db-1".into()));
        assert_eq!(bound_attributes(attributes.clone()), attributes);
    }
}

/// Whether `url` is a link people may follow: absolute `http` or `https` only (never
/// `javascript:`, `data:` or anything a console or chat message would run or render).
pub fn is_web_link(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

#[cfg(test)]
mod link_tests {
    use super::*;

    #[test]
    fn only_http_and_https_links_are_kept() {
        assert!(is_web_link("https://sentry.io/issues/1"));
        assert!(is_web_link("http://grafana.local:3000/d/1"));
        for bad in [
            "javascript:alert(1)",
            "data:text/html,<b>x</b>",
            "file:///etc/passwd",
            "ftp://x/y",
            "not a url",
        ] {
            assert!(!is_web_link(bad), "{bad}");
        }
        let mut signal = Signal::new(
            crate::domain::Source::Sentry,
            crate::domain::Fingerprint::from_key("sentry", "1"),
            "t".into(),
            chrono::Utc::now(),
        );
        signal.url = Some("javascript:alert(document.cookie)".into());
        assert_eq!(
            signal.bounded().url,
            None,
            "a provider's bad link is dropped"
        );
    }
}
