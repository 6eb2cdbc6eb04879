//! A tenant's roles, as the API shows them.

use crate::domain::{Role, Roles};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A role: what it grants in this tenant.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RoleView {
    /// Its name (`admin`, `manager`, `developer`, `viewer`, or the tenant's own).
    pub name: String,
    /// What it grants.
    pub scopes: Vec<String>,
    /// One of the four built-in roles.
    pub built_in: bool,
    /// A built-in role the tenant redefined (`DELETE` restores the default).
    pub redefined: bool,
    /// What it is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When the tenant last changed it (absent for a built-in it never changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

impl RoleView {
    /// `role` as the tenant's `roles` define it.
    pub fn new(role: &Role, roles: &Roles) -> Self {
        let definition = roles.definition(role);
        Self {
            name: role.to_string(),
            scopes: roles
                .scopes(role)
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            built_in: role.is_built_in(),
            redefined: role.is_built_in() && definition.is_some(),
            description: definition.and_then(|d| d.description.clone()),
            updated_at: definition.map(|d| d.updated_at),
        }
    }
}

/// Every role of the tenant.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RoleList {
    /// Built-ins first, then the tenant's own by name.
    pub items: Vec<RoleView>,
}
