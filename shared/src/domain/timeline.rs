//! Incident timelines: one line per thing that happened, with why it landed there.

use super::Signal;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One line of an incident's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// What happened: `opened`, `signal`, `resolved`.
    pub kind: String,
    /// A sentence for people.
    pub message: String,
    /// Details for machines.
    pub data: Value,
}

impl TimelineEntry {
    /// The entry recording what a signal did to an incident, with the reason it landed on this
    /// incident (`merge_reason`).
    pub fn for_signal(
        signal: &Signal,
        kind: &str,
        message: String,
        merge_reason: &str,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            at,
            kind: kind.to_owned(),
            message,
            data: json!({
                "source": signal.source,
                "status": signal.status,
                "severity": signal.severity,
                "title": signal.title,
                "assignee": signal.assignee,
                "priority": signal.priority,
                "note": signal.note,
                "occurred_at": signal.occurred_at,
                "merge_reason": merge_reason,
            }),
        }
    }
}
