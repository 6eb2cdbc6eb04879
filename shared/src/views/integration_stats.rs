//! What an integration's webhooks came to, as the API shows it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// What an integration's webhooks came to over a window (`GET /v1/integrations/{id}/stats`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IntegrationStatsView {
    /// `int_…`.
    pub integration_id: String,
    /// The window's first hour.
    pub since: DateTime<Utc>,
    /// Its end (now).
    pub until: DateTime<Utc>,
    /// Webhooks received (not counting those refused by the rate limit).
    pub received: u64,
    /// Archived and applied.
    pub accepted: u64,
    /// Already received (same delivery id or signed body): nothing done.
    pub duplicate: u64,
    /// Answered at once, nothing kept (pings, URL checks, slash commands, events not used).
    pub replied: u64,
    /// Refused, by reason: `signature` (missing or wrong), `invalid` (a payload it cannot use).
    pub refused: RefusedView,
    /// Failed on the hub's side (the provider was answered 5xx and retries).
    pub failed: u64,
    /// When the last webhook arrived, if any did in the window.
    pub last_received_at: Option<DateTime<Utc>>,
}

/// Refused webhooks by reason.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RefusedView {
    /// A missing or wrong signature.
    pub signature: u64,
    /// A payload that cannot be used.
    pub invalid: u64,
}

/// An inbound delivery as received: what to replay.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InboundDeliveryView {
    /// `dlv_…`: replay it with `POST /v1/hooks/deliveries/{id}/replay`.
    pub id: String,
    /// The provider.
    pub source: String,
    /// The provider's own delivery id (its dedup key), when it sends one.
    pub provider_delivery_id: Option<String>,
    /// When the hub received it.
    pub received_at: DateTime<Utc>,
}

impl From<&crate::store::InboundDelivery> for InboundDeliveryView {
    fn from(delivery: &crate::store::InboundDelivery) -> Self {
        Self {
            id: delivery.id.to_string(),
            source: delivery.source.as_str().to_owned(),
            provider_delivery_id: delivery.provider_delivery_id.clone(),
            received_at: delivery.received_at,
        }
    }
}
