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
    /// When the sender says it happened.
    pub occurred_at: DateTime<Utc>,
    /// Everything else the sender said, kept as is.
    pub attributes: Map<String, Value>,
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
            occurred_at,
            attributes: Map::new(),
        }
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
        ]);
        hex::encode(Sha256::digest(content.to_string().as_bytes()))
    }
}
