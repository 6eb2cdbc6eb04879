//! Tenants: the unit of isolation.

use super::TenantId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An organisation using Faultline. Every stored key starts with its id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// What the tenant chose instead of the deployment's defaults.
    #[serde(default)]
    pub settings: TenantSettings,
}

/// A tenant's own settings; `None` everywhere means the deployment's defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSettings {
    /// Retry delays (seconds) for its outgoing webhooks; applies to messages created after the
    /// change (a message keeps the schedule it was created with).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_schedule: Option<Vec<u64>>,
    /// Requests per minute each of its API keys may make (default 600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_rate_limit_per_minute: Option<u32>,
    /// Inbound webhooks per minute each of its integrations accepts (default 1,200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound_rate_limit_per_minute: Option<u32>,
    /// Inbound webhooks per minute all of its integrations accept together (default 6,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_inbound_rate_limit_per_minute: Option<u32>,
    /// How many webhook endpoints it may have (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_endpoints: Option<u32>,
}

impl TenantSettings {
    /// Inbound webhooks per minute per integration when the tenant sets none.
    pub const DEFAULT_INBOUND_PER_INTEGRATION: u32 = 1_200;
    /// Inbound webhooks per minute per tenant when the tenant sets none.
    pub const DEFAULT_INBOUND_PER_TENANT: u32 = 6_000;
    /// Endpoints per tenant when the tenant sets none.
    pub const DEFAULT_MAX_ENDPOINTS: u32 = 100;
}

impl Tenant {}
