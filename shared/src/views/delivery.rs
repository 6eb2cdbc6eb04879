//! Views of endpoints, messages, deliveries and attempts.

use crate::domain::{Attempt, AttemptOutcome, DeliveryStatus, Endpoint, EventType, Message};
use crate::store::DeliveryRecord;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A webhook endpoint: never its secret, except the answer that creates it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EndpointView {
    /// `ep_…`.
    pub id: String,
    /// Where messages are POSTed.
    pub url: String,
    /// What it is for.
    pub description: String,
    /// The event types it receives (empty: all).
    #[schema(value_type = Vec<String>)]
    pub event_types: Vec<EventType>,
    /// Whether it receives messages.
    pub enabled: bool,
    /// Headers sent with every message, values masked (`Bear****`): `GET
    /// /v1/endpoints/{id}/headers` reveals them.
    pub headers: BTreeMap<String, String>,
    /// Messages per second at most (`null`: no limit).
    pub rate_limit: Option<u32>,
    /// Since when every attempt has failed.
    pub failing_since: Option<DateTime<Utc>>,
    /// Why it was disabled automatically.
    pub disabled_reason: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The `whsec_` signing secret: only in the answer that creates the endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<&Endpoint> for EndpointView {
    fn from(endpoint: &Endpoint) -> Self {
        Self {
            id: endpoint.id.to_string(),
            url: endpoint.url.clone(),
            description: endpoint.description.clone(),
            event_types: endpoint.event_types.clone(),
            enabled: endpoint.enabled,
            headers: endpoint.masked_headers(),
            rate_limit: endpoint.rate_limit,
            failing_since: endpoint.failing_since,
            disabled_reason: endpoint.disabled_reason.clone(),
            created_at: endpoint.created_at,
            updated_at: endpoint.updated_at,
            secret: None,
        }
    }
}

/// An endpoint's current signing secret.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SecretView {
    /// The `whsec_` secret.
    pub secret: String,
}

/// An endpoint's custom headers in clear.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HeadersView {
    /// Name (lower case) to value, as sent with every message.
    pub headers: BTreeMap<String, String>,
}

/// A rotation's new secret, and until when the old ones still sign.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RotatedSecretView {
    /// The new `whsec_` secret.
    pub secret: String,
    /// When each previous secret stops signing.
    pub previous_secrets_valid_until: Vec<DateTime<Utc>>,
}

/// A message: one event for the tenant's endpoints.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MessageView {
    /// `msg_…` (the `webhook-id` receivers see).
    pub id: String,
    /// The event it carries.
    pub event_id: String,
    /// The event type.
    #[schema(value_type = String)]
    pub event_type: EventType,
    /// The body sent; `null` in listings when it is kept in S3.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// The body's size.
    pub payload_bytes: usize,
    /// `inline` or `s3`.
    pub payload_stored: &'static str,
    /// Its worst delivery's status (exhausted, failed, pending, succeeded).
    #[schema(value_type = Option<String>)]
    pub status: Option<DeliveryStatus>,
    /// How many endpoints are in each delivery status.
    pub endpoints_by_status: EndpointCountsView,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Each endpoint's delivery: only in `GET /v1/messages/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<Vec<DeliveryStateView>>,
}

/// Endpoints per delivery status.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EndpointCountsView {
    /// Not tried yet, or deferred.
    pub pending: usize,
    /// Delivered.
    pub succeeded: usize,
    /// Failing, with attempts left.
    pub failed: usize,
    /// Failed with no attempt left.
    pub exhausted: usize,
}

impl From<&Message> for MessageView {
    fn from(message: &Message) -> Self {
        let loaded = message.body_ref.is_none() || !message.body.is_empty();
        Self {
            id: message.id.to_string(),
            event_id: message.event_id.to_string(),
            event_type: message.event_type,
            payload: if loaded {
                serde_json::from_str(&message.body).unwrap_or(Value::Null)
            } else {
                Value::Null
            },
            payload_bytes: message.body_bytes,
            payload_stored: if message.body_ref.is_some() {
                "s3"
            } else {
                "inline"
            },
            status: message.status(),
            endpoints_by_status: EndpointCountsView {
                pending: message.deliveries_pending.len(),
                succeeded: message.deliveries_succeeded.len(),
                failed: message.deliveries_failed.len(),
                exhausted: message.deliveries_exhausted.len(),
            },
            created_at: message.created_at,
            deliveries: None,
        }
    }
}

impl MessageView {
    /// The view with each endpoint's delivery.
    pub fn with_deliveries(mut self, deliveries: &[DeliveryRecord]) -> Self {
        self.deliveries = Some(deliveries.iter().map(DeliveryStateView::from).collect());
        self
    }
}

/// One endpoint's delivery of a message.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeliveryStateView {
    /// The endpoint.
    pub endpoint_id: String,
    /// `pending`, `succeeded`, `failed` or `exhausted`.
    #[schema(value_type = String)]
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<&DeliveryRecord> for DeliveryStateView {
    fn from(record: &DeliveryRecord) -> Self {
        Self {
            endpoint_id: record.endpoint_id.to_string(),
            status: record.status,
            attempts: record.attempts,
            next_attempt_at: record.next_attempt_at,
            updated_at: record.updated_at,
        }
    }
}

/// One delivery attempt, as the ledger keeps it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// The message.
    pub message_id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The URL it was sent to.
    pub url: String,
    /// `in_flight`, `succeeded` or `failed`.
    #[schema(value_type = String)]
    pub outcome: AttemptOutcome,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// The HTTP status (0 without a response).
    pub status_code: u16,
    /// Time to the response head.
    pub latency_ms: u64,
    /// The start of the response body (4 KiB at most).
    pub response_excerpt: String,
    /// Why it failed.
    pub error: Option<String>,
    /// `timeout`, `connect`, `refused`, `redirect`, `status`, `payload_too_large` or `request`.
    pub error_kind: Option<String>,
    /// When the next attempt is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl From<&Attempt> for AttemptView {
    fn from(attempt: &Attempt) -> Self {
        Self {
            message_id: attempt.message_id.to_string(),
            endpoint_id: attempt.endpoint_id.to_string(),
            attempt: attempt.attempt,
            url: attempt.url.clone(),
            outcome: attempt.outcome,
            started_at: attempt.started_at,
            status_code: attempt.status_code,
            latency_ms: attempt.latency_ms,
            response_excerpt: attempt.response_excerpt.clone(),
            error: attempt.error.clone(),
            error_kind: attempt.error_kind.clone(),
            next_attempt_at: attempt.next_attempt_at,
        }
    }
}

/// A test message sent to an endpoint.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TestMessageView {
    /// The ping's message (`msg_…`), to follow in the ledger.
    pub message_id: String,
}

/// Messages queued again for an endpoint that recovered.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RecoveredView {
    /// How many messages were queued.
    pub queued: usize,
}

/// A message queued again.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RetriedView {
    /// The endpoints it was queued for.
    pub queued_endpoints: Vec<String>,
}

/// Dead letters moved back to their queues.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RedrivenView {
    /// How many were moved.
    pub redriven: usize,
}

/// An endpoint's delivery statistics over a window.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EndpointStatsView {
    /// The endpoint.
    pub endpoint_id: String,
    /// The window, in hours.
    pub window_hours: i64,
    /// Finished attempts in the window.
    pub attempts: usize,
    /// Of which succeeded.
    pub succeeded: usize,
    /// Of which failed.
    pub failed: usize,
    /// `succeeded / attempts` (`null` without attempts).
    pub success_rate: Option<f64>,
    /// Latency percentiles of attempts that got a response.
    pub latency_ms: LatencyView,
    /// Attempts per HTTP status (`"0"`: no response).
    pub by_status_code: BTreeMap<String, usize>,
}

/// Latency percentiles, in milliseconds (`null` without responses).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LatencyView {
    /// The median.
    pub p50: Option<u64>,
    /// The 99th percentile.
    pub p99: Option<u64>,
}

/// A message in a dead-letter queue, left where it is.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeadLetterView {
    /// Which queue (`events` or `deliveries`).
    pub queue: String,
    /// The SQS message id.
    pub message_id: String,
    /// How often it was received before it was parked.
    pub receive_count: Option<String>,
    /// When it was first sent, unix milliseconds.
    pub sent_timestamp_ms: Option<String>,
    /// The message as queued (a domain event or a delivery task).
    #[schema(value_type = Object)]
    pub body: Value,
}

/// The tenant's dead letters (one page: the queues are read whole).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeadLetterPage {
    /// The dead letters.
    pub items: Vec<DeadLetterView>,
    /// Always `null`.
    pub next_cursor: Option<String>,
}
