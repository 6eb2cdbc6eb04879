use serde::{Deserialize, Serialize};

/// What a credential may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// Read incidents and their timelines.
    #[serde(rename = "incidents:read")]
    IncidentsRead,
    /// Change incidents.
    #[serde(rename = "incidents:write")]
    IncidentsWrite,
    /// Read integrations.
    #[serde(rename = "integrations:read")]
    IntegrationsRead,
    /// Create and change integrations.
    #[serde(rename = "integrations:write")]
    IntegrationsWrite,
    /// Read endpoints and the message ledger.
    #[serde(rename = "endpoints:read")]
    EndpointsRead,
    /// Create, change and delete endpoints.
    #[serde(rename = "endpoints:write")]
    EndpointsWrite,
    /// Create, list and revoke API keys.
    #[serde(rename = "keys:manage")]
    KeysManage,
    /// Read the audit log and verify its chain.
    #[serde(rename = "audit:read")]
    AuditRead,
    /// Create, change and deactivate users.
    #[serde(rename = "users:manage")]
    UsersManage,
    /// Read Sentry configuration (what applications fetch).
    #[serde(rename = "sentry-config:read")]
    SentryConfigRead,
    /// Create, change and delete Sentry configuration.
    #[serde(rename = "sentry-config:write")]
    SentryConfigWrite,
    /// Read projects.
    #[serde(rename = "projects:read")]
    ProjectsRead,
    /// Create, change and delete projects.
    #[serde(rename = "projects:write")]
    ProjectsWrite,
    /// Change the tenant's own settings (retry schedule, limits).
    #[serde(rename = "tenant:manage")]
    TenantManage,
    /// Read destinations, notification rules and the notification ledger.
    #[serde(rename = "notifications:read")]
    NotificationsRead,
    /// Create, change, test and delete destinations and notification rules.
    #[serde(rename = "notifications:write")]
    NotificationsWrite,
}

impl Scope {
    /// Every scope: what a tenant's admin key holds.
    pub const ALL: [Scope; 16] = [
        Self::IncidentsRead,
        Self::IncidentsWrite,
        Self::IntegrationsRead,
        Self::IntegrationsWrite,
        Self::EndpointsRead,
        Self::EndpointsWrite,
        Self::KeysManage,
        Self::AuditRead,
        Self::UsersManage,
        Self::SentryConfigRead,
        Self::SentryConfigWrite,
        Self::ProjectsRead,
        Self::ProjectsWrite,
        Self::TenantManage,
        Self::NotificationsRead,
        Self::NotificationsWrite,
    ];

    /// The wire name, e.g. `incidents:read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IncidentsRead => "incidents:read",
            Self::IncidentsWrite => "incidents:write",
            Self::IntegrationsRead => "integrations:read",
            Self::IntegrationsWrite => "integrations:write",
            Self::EndpointsRead => "endpoints:read",
            Self::EndpointsWrite => "endpoints:write",
            Self::KeysManage => "keys:manage",
            Self::AuditRead => "audit:read",
            Self::UsersManage => "users:manage",
            Self::SentryConfigRead => "sentry-config:read",
            Self::SentryConfigWrite => "sentry-config:write",
            Self::ProjectsRead => "projects:read",
            Self::ProjectsWrite => "projects:write",
            Self::TenantManage => "tenant:manage",
            Self::NotificationsRead => "notifications:read",
            Self::NotificationsWrite => "notifications:write",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}
