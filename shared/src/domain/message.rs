//! Outgoing messages, their per-endpoint delivery state, and the attempt ledger.

use super::{EndpointId, EventId, EventType, MessageId, RetrySchedule, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One domain event as sent to subscribers; the same `webhook-id` for every endpoint and retry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The `webhook-id`.
    pub id: MessageId,
    /// Its owner.
    pub tenant_id: TenantId,
    /// The event it carries.
    pub event_id: EventId,
    /// The event's type.
    pub event_type: EventType,
    /// The exact body POSTed (signatures are computed over these bytes). Empty in the stored item
    /// when the body lives in S3 (`body_ref`); loaded back before use.
    pub body: String,
    /// The S3 key of a body too large to keep in the table item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_ref: Option<String>,
    /// The body's size in bytes.
    #[serde(default)]
    pub body_bytes: usize,
    /// The tenant's retry delays (seconds) when the message was created; `None`: the deployment's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_schedule: Option<Vec<u64>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Endpoints whose delivery is pending (kept by the store as a string set; never written from
    /// here).
    #[serde(default, skip_serializing)]
    pub deliveries_pending: Vec<EndpointId>,
    /// Endpoints it was delivered to.
    #[serde(default, skip_serializing)]
    pub deliveries_succeeded: Vec<EndpointId>,
    /// Endpoints whose delivery failed and will be retried.
    #[serde(default, skip_serializing)]
    pub deliveries_failed: Vec<EndpointId>,
    /// Endpoints whose delivery ran out of attempts.
    #[serde(default, skip_serializing)]
    pub deliveries_exhausted: Vec<EndpointId>,
}

impl Message {
    /// The message carrying `event`: its id derives from the event's, its body is the exact
    /// payload every endpoint receives.
    pub fn for_event(event: &super::DomainEvent, created_at: DateTime<Utc>) -> Self {
        let body = event.webhook_body();
        Self {
            id: MessageId::for_event(&event.id),
            tenant_id: event.tenant_id.clone(),
            event_id: event.id.clone(),
            event_type: event.event_type,
            body_bytes: body.len(),
            body,
            body_ref: None,
            retry_schedule: None,
            created_at,
            deliveries_pending: Vec::new(),
            deliveries_succeeded: Vec::new(),
            deliveries_failed: Vec::new(),
            deliveries_exhausted: Vec::new(),
        }
    }

    /// The message's overall status, the worst of its deliveries: exhausted, then failed
    /// (retrying), then pending, else succeeded; `None` before it went to any endpoint.
    pub fn status(&self) -> Option<DeliveryStatus> {
        [
            (&self.deliveries_exhausted, DeliveryStatus::Exhausted),
            (&self.deliveries_failed, DeliveryStatus::Failed),
            (&self.deliveries_pending, DeliveryStatus::Pending),
            (&self.deliveries_succeeded, DeliveryStatus::Succeeded),
        ]
        .into_iter()
        .find(|(endpoints, _)| !endpoints.is_empty())
        .map(|(_, status)| status)
    }

    /// The delays between its attempts: the tenant's schedule when it had one, else `default`.
    pub fn retry_schedule_or(&self, default: &RetrySchedule) -> RetrySchedule {
        match &self.retry_schedule {
            Some(secs) => default.with_delays(secs),
            None => default.clone(),
        }
    }
}

/// Where the delivery of a message to one endpoint stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Not attempted yet.
    Pending,
    /// Delivered (2xx).
    Succeeded,
    /// Failed, a retry is scheduled.
    Failed,
    /// Failed and out of retries.
    Exhausted,
}

impl DeliveryStatus {
    /// Every status.
    pub const ALL: [Self; 4] = [
        Self::Pending,
        Self::Succeeded,
        Self::Failed,
        Self::Exhausted,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Exhausted => "exhausted",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// The instruction on the `deliveries` queue: deliver attempt `attempt` of a message to an endpoint,
/// not before `not_before`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryTask {
    /// Whose message.
    pub tenant_id: TenantId,
    /// Which message.
    pub message_id: MessageId,
    /// To which endpoint.
    pub endpoint_id: EndpointId,
    /// 1 for the first try.
    pub attempt: u32,
    /// Never deliver before this; delays longer than SQS's 15 minutes arrive early and hop.
    pub not_before: DateTime<Utc>,
}

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// Claimed by a dispatcher and under way.
    InFlight,
    /// 2xx.
    Succeeded,
    /// Anything else.
    Failed,
}

/// One try at delivering a message to an endpoint: the ledger line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// Which message.
    pub message_id: MessageId,
    /// To which endpoint.
    pub endpoint_id: EndpointId,
    /// 1 for the first try.
    pub attempt: u32,
    /// The URL it went to.
    pub url: String,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// HTTP status, 0 when no response arrived.
    pub status_code: u16,
    /// Time to the response, in milliseconds.
    pub latency_ms: u64,
    /// The start of the response body (at most 4 KiB).
    pub response_excerpt: String,
    /// What went wrong, when something did.
    pub error: Option<String>,
    /// The kind of failure: `timeout`, `connect`, `redirect`, `status`, `refused`, `request`.
    #[serde(default)]
    pub error_kind: Option<String>,
    /// When the next attempt is due, when there is one.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The next attempt's task is queued (marked once it was): a duplicate of this attempt's
    /// task leaves it alone instead of queueing it again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub successor_queued: bool,
}

impl Attempt {
    /// An attempt as it is claimed, before anything was sent: in flight, no answer yet.
    pub fn in_flight(
        message_id: MessageId,
        endpoint_id: EndpointId,
        attempt: u32,
        url: String,
        started_at: DateTime<Utc>,
    ) -> Self {
        Self {
            message_id,
            endpoint_id,
            attempt,
            url,
            outcome: AttemptOutcome::InFlight,
            started_at,
            status_code: 0,
            latency_ms: 0,
            response_excerpt: String::new(),
            error: None,
            error_kind: None,
            next_attempt_at: None,
            successor_queued: false,
        }
    }
}
