//! The notification log (what each destination was last told about each incident, so updates
//! edit in place and nothing is said twice) and the ledger of every notification attempt.

use super::rule::LastSent;
use crate::domain::{
    DestinationId, EventId, EventType, IncidentId, IncidentStatus, NotificationId,
    NotificationRuleId, Severity, TenantId,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A message at the provider that later news edits or replies to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteMessage {
    /// Slack: the channel ID the message is in. Email: the root `Message-ID`.
    pub channel: String,
    /// Slack: the message's `ts` (the thread's root). Email: empty.
    pub ts: String,
}

/// What one destination was last told about one incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Whose.
    pub tenant_id: TenantId,
    /// About which incident.
    pub incident_id: IncidentId,
    /// Told where.
    pub destination_id: DestinationId,
    /// The status the last message showed.
    pub status: IncidentStatus,
    /// The severity it showed.
    pub severity: Severity,
    /// The occurrences it showed.
    pub occurrences: u64,
    /// A hash of everything it showed.
    pub content_hash: String,
    /// The incident's `updated_at` it showed: older news arriving late is not sent.
    pub incident_updated_at: DateTime<Utc>,
    /// The message to edit and reply to, where the destination can.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<RemoteMessage>,
    /// The ticket or page that stands for the incident there (PagerDuty, Jira, GitHub).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<super::Ticket>,
    /// When the last message went.
    pub sent_at: DateTime<Utc>,
    /// How many messages went.
    pub messages: u32,
    /// Bumped by every write (the conditional writes compare it).
    pub version: u64,
}

impl LogEntry {
    /// What throttling needs of it.
    pub fn last_sent(&self) -> LastSent {
        LastSent {
            status: self.status,
            severity: self.severity,
            content_hash: self.content_hash.clone(),
            sent_at: self.sent_at,
        }
    }
}

/// What became of one notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    /// The provider confirmed it (Slack `ok`, SES message id).
    Sent,
    /// The provider took it without confirming the message was shown (Teams Workflows answer
    /// 202 and may still fail it).
    Accepted,
    /// Not sent, on purpose: nothing new, throttled, stale, resolved before anything was said.
    Held,
    /// Folded into a summary because the destination had too many this minute.
    Folded,
    /// Failed, and will be tried again.
    Retrying,
    /// Failed for good (a permanent error, or out of attempts); in the dead-letter queue.
    Failed,
}

impl NotificationStatus {
    /// Every status, for error messages.
    pub const NAMES: &'static str = "sent, accepted, held, folded, retrying, failed";

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Accepted => "accepted",
            Self::Held => "held",
            Self::Folded => "folded",
            Self::Retrying => "retrying",
            Self::Failed => "failed",
        }
    }

    /// Parses the wire name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Sent,
            Self::Accepted,
            Self::Held,
            Self::Folded,
            Self::Retrying,
            Self::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// One notification attempt, as the ledger keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotificationRecord {
    /// Its id (`ntf_…`, time-ordered).
    pub id: NotificationId,
    /// Whose.
    pub tenant_id: TenantId,
    /// About which incident (absent for a destination test or a flood summary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<IncidentId>,
    /// Where.
    pub destination_id: DestinationId,
    /// The rule that routed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<NotificationRuleId>,
    /// The event it was about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<EventId>,
    /// The event's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<EventType>,
    /// What became of it.
    pub status: NotificationStatus,
    /// Why (held or failed), or what was done (`posted`, `edited`, …).
    pub detail: String,
    /// Which attempt (1 first).
    pub attempt: u32,
    /// The provider's HTTP status, when one answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// How long the provider took, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl NotificationRecord {
    /// How long the ledger keeps a record.
    pub const RETENTION: chrono::Duration = chrono::Duration::days(30);
}
