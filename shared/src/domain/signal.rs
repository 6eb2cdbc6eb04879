//! The one signal model every source is normalised into, so all sources share incident logic.

use super::{Fingerprint, Severity, Source};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Whether the sender says the problem is happening or over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignalStatus {
    /// The problem is happening.
    Firing,
    /// The problem is over.
    Resolved,
}

/// A normalised alert from any source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// Which kind of sender.
    pub source: Source,
    /// Identity of the problem.
    pub fingerprint: Fingerprint,
    /// One-line summary.
    pub title: String,
    /// Longer text, if any.
    pub description: Option<String>,
    /// How bad.
    pub severity: Severity,
    /// Firing or resolved.
    pub status: SignalStatus,
    /// The affected service.
    pub service: Option<String>,
    /// The affected environment (production, staging, …).
    pub environment: Option<String>,
    /// A link back to the sender's view.
    pub url: Option<String>,
    /// When the sender says it happened.
    pub occurred_at: DateTime<Utc>,
    /// Everything else the sender said, kept as is.
    pub attributes: Map<String, Value>,
}
