//! Domain events: what happened, published once and fanned out to every subscriber.

use super::{DestinationId, EventId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

macro_rules! event_types {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// The kinds of event Faultline publishes.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum EventType {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        impl EventType {
            /// Every event type, for validating subscriptions.
            pub const ALL: &'static [EventType] = &[$(Self::$variant,)*];

            /// The dotted name, as in payloads and subscriptions.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
    };
}

event_types! {
    /// A new incident was opened.
    IncidentCreated => "incident.created",
    /// An incident changed (another occurrence, acknowledged, new priority, reopened).
    IncidentUpdated => "incident.updated",
    /// An incident was resolved.
    IncidentResolved => "incident.resolved",
    /// An incident's assignee changed.
    IncidentAssigned => "incident.assigned",
    /// An error-tracker issue appeared.
    IssueCreated => "issue.created",
    /// An issue changed (new events, assignment, regression).
    IssueUpdated => "issue.updated",
    /// An issue was resolved (or ignored) upstream.
    IssueResolved => "issue.resolved",
    /// An issue's assignee changed upstream.
    IssueAssigned => "issue.assigned",
    /// Sample log lines were attached to an issue as evidence.
    EvidenceAdded => "evidence.added",
    /// A firing alert arrived (each occurrence).
    AlertTriggered => "alert.triggered",
    /// An alert cleared.
    AlertResolved => "alert.resolved",
    /// A change was deployed (a merged pull request).
    DeployRecorded => "deploy.recorded",
    /// A line was added to an incident's timeline (a note, a deploy).
    TimelineUpdated => "timeline.updated",
    /// Changes that may have caused a new incident, ranked.
    HypothesisGenerated => "hypothesis.generated",
    /// An endpoint was disabled (410 Gone, or failing continuously for too long).
    EndpointDisabled => "endpoint.disabled",
    /// A failing endpoint accepted a message again.
    EndpointRecovered => "endpoint.recovered",
    /// A message has failed four attempts to an endpoint and keeps being retried.
    MessageAttemptFailing => "message.attempt.failing",
    /// A message ran out of attempts to an endpoint.
    MessageAttemptExhausted => "message.attempt.exhausted",
    /// A scheduled job keeps failing in a way that needs a person (a bad token, a missing log
    /// group).
    SystemError => "system.error",
    /// A scheduled job keeps failing for passing reasons (throttled, the provider unavailable).
    SystemWarning => "system.warning",
    /// A database deadlock report was found in a signal (read into its wait-for graph).
    DeadlockDetected => "deadlock.detected",
    /// An export was written: its file can be downloaded (`download_url`, signed for a while).
    ExportCompleted => "export.completed",
    /// An export could not be written.
    ExportFailed => "export.failed",
    /// A test message sent by `POST /v1/endpoints/{id}/test`, to that endpoint only.
    Ping => "ping",
}

impl EventType {
    /// Parses the dotted name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.as_str() == name)
    }
}

/// Something that happened in a tenant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    /// Unique and stable: the outgoing message id is derived from it.
    pub id: EventId,
    /// Whose event.
    pub tenant_id: TenantId,
    /// What kind.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// The resource as it stood after the change.
    pub data: Value,
    /// The destination the change came from (a Jira issue closed, a PagerDuty incident
    /// resolved): it is not told back what it told us.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<DestinationId>,
}

impl DomainEvent {
    /// A new event with a fresh id.
    pub fn new(tenant_id: TenantId, event_type: EventType, data: Value, at: DateTime<Utc>) -> Self {
        Self {
            id: EventId::generate(),
            tenant_id,
            event_type,
            timestamp: at,
            data,
            origin: None,
        }
    }

    /// The body POSTed to subscribers: `{"id","type","timestamp","data"}`, no tenant id.
    pub fn webhook_body(&self) -> String {
        json!({
            "id": self.id,
            "type": self.event_type,
            "timestamp": self.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": self.data,
        })
        .to_string()
    }
}
