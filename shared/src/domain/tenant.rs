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
}
