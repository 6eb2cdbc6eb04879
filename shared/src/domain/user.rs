//! People: users who sign in with a password, each with a role (a set of scopes) and optional
//! extra grants.

use super::{TenantId, UserId};
use crate::domain::Scope;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a user may do, as a set of scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including keys, users and tenant settings.
    Admin,
    /// Everything about incidents, integrations, endpoints and projects, and the audit log.
    Manager,
    /// Works with incidents, integrations, endpoints; reads projects and Sentry configuration.
    Developer,
    /// Reads incidents, integrations, endpoints and projects.
    Viewer,
}

impl Role {
    /// Every role.
    pub const ALL: [Self; 4] = [Self::Admin, Self::Manager, Self::Developer, Self::Viewer];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Manager => "manager",
            Self::Developer => "developer",
            Self::Viewer => "viewer",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The scopes the role grants.
    pub fn scopes(self) -> Vec<Scope> {
        use Scope::*;
        match self {
            Self::Admin => Scope::ALL.to_vec(),
            Self::Manager => Scope::ALL
                .into_iter()
                .filter(|s| !matches!(s, KeysManage | UsersManage | TenantManage))
                .collect(),
            Self::Developer => vec![
                IncidentsRead,
                IncidentsWrite,
                IntegrationsRead,
                IntegrationsWrite,
                EndpointsRead,
                EndpointsWrite,
                ProjectsRead,
                SentryConfigRead,
            ],
            Self::Viewer => vec![IncidentsRead, IntegrationsRead, EndpointsRead, ProjectsRead],
        }
    }
}

/// A tenant's user. The password is kept only as an argon2id hash.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Sign-in name, lowercase; unique across the hub (it is the `username` of the token grant).
    pub email: String,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// Its role.
    pub role: Role,
    /// Scopes granted on top of the role's.
    #[serde(default)]
    pub extra_scopes: Vec<Scope>,
    /// A deactivated user cannot sign in, and its tokens stop working at once.
    pub active: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Counts the events that end every token the user holds (a password change, a
    /// deactivation): a token carries the generation it was issued under and stops verifying once
    /// this moves on.
    #[serde(default)]
    pub token_generation: u32,
}

impl User {
    /// Ends every token issued so far (called when the password changes or the user is
    /// deactivated).
    pub fn end_tokens(&mut self) {
        self.token_generation = self.token_generation.wrapping_add(1);
    }

    /// Everything the user may do: the role's scopes and the extra grants.
    pub fn scopes(&self) -> Vec<Scope> {
        let mut scopes = self.role.scopes();
        for extra in &self.extra_scopes {
            if !scopes.contains(extra) {
                scopes.push(*extra);
            }
        }
        scopes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_nested_scope_sets() {
        let (admin, manager, developer, viewer) = (
            Role::Admin.scopes(),
            Role::Manager.scopes(),
            Role::Developer.scopes(),
            Role::Viewer.scopes(),
        );
        assert!(viewer.iter().all(|s| developer.contains(s)));
        assert!(developer.iter().all(|s| manager.contains(s)));
        assert!(manager.iter().all(|s| admin.contains(s)));
        assert!(!manager.contains(&Scope::KeysManage) && admin.contains(&Scope::UsersManage));
        assert!(viewer.iter().all(|s| s.as_str().ends_with(":read")));
    }
}
