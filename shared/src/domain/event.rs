//! Domain events: what happened, published once and fanned out to every subscriber.

use super::{EventId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The kinds of event Faultline publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// A new incident was opened.
    #[serde(rename = "incident.created")]
    IncidentCreated,
    /// An open incident received another firing signal.
    #[serde(rename = "incident.updated")]
    IncidentUpdated,
    /// An incident was resolved.
    #[serde(rename = "incident.resolved")]
    IncidentResolved,
}

impl EventType {
    /// Every event type, for validating subscriptions.
    pub const ALL: [EventType; 3] = [
        Self::IncidentCreated,
        Self::IncidentUpdated,
        Self::IncidentResolved,
    ];

    /// The dotted name, as in payloads and subscriptions.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IncidentCreated => "incident.created",
            Self::IncidentUpdated => "incident.updated",
            Self::IncidentResolved => "incident.resolved",
        }
    }

    /// Parses the dotted name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
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
