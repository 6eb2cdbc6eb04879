//! Roles: named sets of scopes. Four are built in; a tenant may redefine `manager`, `developer`
//! and `viewer` and add its own (`admin` always holds every scope, so a tenant can never lock
//! itself out). Users hold a role by name, so a redefinition reaches them on their next request.

use super::TenantId;
use crate::domain::Scope;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A role's name: one of the built-in four or one a tenant defined.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Role {
    /// Everything, including keys, users and tenant settings; cannot be redefined.
    Admin,
    /// By default everything about incidents, integrations, endpoints and projects, and the
    /// audit log.
    Manager,
    /// By default works with incidents, integrations, endpoints; reads projects and Sentry
    /// configuration.
    Developer,
    /// By default reads incidents, integrations, endpoints and projects.
    Viewer,
    /// A role the tenant defined (lowercase letters, digits, `-` and `_`; at most 40).
    Custom(String),
}

impl Role {
    /// The built-in roles.
    pub const BUILT_IN: [Self; 4] = [Self::Admin, Self::Manager, Self::Developer, Self::Viewer];

    /// The longest custom name.
    pub const MAX_NAME_CHARS: usize = 40;

    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Admin => "admin",
            Self::Manager => "manager",
            Self::Developer => "developer",
            Self::Viewer => "viewer",
            Self::Custom(name) => name,
        }
    }

    /// Parses a wire name: a built-in role, or a well-formed custom name.
    pub fn parse(name: &str) -> Option<Self> {
        if let Some(built_in) = Self::BUILT_IN.into_iter().find(|r| r.as_str() == name) {
            return Some(built_in);
        }
        let well_formed = (1..=Self::MAX_NAME_CHARS).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        well_formed.then(|| Self::Custom(name.to_owned()))
    }

    /// Whether it is one of the four built-in roles.
    pub fn is_built_in(&self) -> bool {
        !matches!(self, Self::Custom(_))
    }

    /// The scopes it grants when the tenant has not redefined it (none for a custom role).
    pub fn default_scopes(&self) -> Vec<Scope> {
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
                NotificationsRead,
                NotificationsWrite,
            ],
            Self::Viewer => vec![
                IncidentsRead,
                IntegrationsRead,
                EndpointsRead,
                ProjectsRead,
                NotificationsRead,
            ],
            Self::Custom(_) => Vec::new(),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Role {
    type Error = String;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::parse(&name).ok_or_else(|| format!("`{name}` is not a role name"))
    }
}

impl From<Role> for String {
    fn from(role: Role) -> Self {
        role.as_str().to_owned()
    }
}

/// A tenant's definition of a role: a redefined built-in or one of its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleDefinition {
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The role it defines (never `admin`).
    pub role: Role,
    /// What it grants.
    pub scopes: Vec<Scope>,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Every role a tenant has: the built-in four, as the tenant (re)defined them, and its own.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Roles {
    defined: Vec<RoleDefinition>,
}

impl Roles {
    /// The roles of a tenant that defined these (a definition of `admin` is ignored).
    pub fn new(defined: Vec<RoleDefinition>) -> Self {
        let defined = defined
            .into_iter()
            .filter(|d| d.role != Role::Admin)
            .collect();
        Self { defined }
    }

    /// The tenant's own definition of `role`, if it made one.
    pub fn definition(&self, role: &Role) -> Option<&RoleDefinition> {
        self.defined.iter().find(|d| &d.role == role)
    }

    /// What `role` grants in this tenant: `admin` everything; a redefined or custom role its
    /// definition; a built-in its default; a custom role no longer defined nothing.
    pub fn scopes(&self, role: &Role) -> Vec<Scope> {
        if *role == Role::Admin {
            return Scope::ALL.to_vec();
        }
        match self.definition(role) {
            Some(definition) => definition.scopes.clone(),
            None => role.default_scopes(),
        }
    }

    /// Whether users may be given `role`: a built-in, or one the tenant defined.
    pub fn exists(&self, role: &Role) -> bool {
        role.is_built_in() || self.definition(role).is_some()
    }

    /// Every role, built-ins first, then the tenant's own by name.
    pub fn all(&self) -> Vec<Role> {
        let mut custom: Vec<Role> = self
            .defined
            .iter()
            .map(|d| d.role.clone())
            .filter(|r| !r.is_built_in())
            .collect();
        custom.sort();
        Role::BUILT_IN.into_iter().chain(custom).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defined(role: Role, scopes: Vec<Scope>) -> RoleDefinition {
        RoleDefinition {
            tenant_id: TenantId::generate(),
            role,
            scopes,
            description: None,
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn built_in_roles_grant_nested_scope_sets() {
        let roles = Roles::default();
        let [admin, manager, developer, viewer] = Role::BUILT_IN.map(|r| roles.scopes(&r));
        assert!(viewer.iter().all(|s| developer.contains(s)));
        assert!(developer.iter().all(|s| manager.contains(s)));
        assert!(manager.iter().all(|s| admin.contains(s)));
        assert!(!manager.contains(&Scope::KeysManage) && admin.contains(&Scope::UsersManage));
        assert!(viewer.iter().all(|s| s.as_str().ends_with(":read")));
    }

    #[test]
    fn a_tenant_redefines_built_ins_and_adds_its_own_but_admin_stays_everything() {
        let auditor = Role::parse("auditor").expect("a name");
        let roles = Roles::new(vec![
            defined(Role::Viewer, vec![Scope::IncidentsRead]),
            defined(auditor.clone(), vec![Scope::AuditRead]),
            defined(Role::Admin, vec![]),
        ]);
        assert_eq!(roles.scopes(&Role::Viewer), vec![Scope::IncidentsRead]);
        assert_eq!(roles.scopes(&auditor), vec![Scope::AuditRead]);
        assert_eq!(roles.scopes(&Role::Admin), Scope::ALL.to_vec());
        assert_eq!(
            roles.scopes(&Role::Developer),
            Role::Developer.default_scopes()
        );
        assert!(roles.exists(&auditor));
        let gone = Role::parse("on-call").expect("a name");
        assert!(!roles.exists(&gone) && roles.scopes(&gone).is_empty());
        assert_eq!(
            roles.all().iter().map(Role::as_str).collect::<Vec<_>>(),
            ["admin", "manager", "developer", "viewer", "auditor"]
        );
    }

    #[test]
    fn names_are_built_ins_or_lowercase_slugs() {
        assert_eq!(Role::parse("viewer"), Some(Role::Viewer));
        assert_eq!(
            Role::parse("on-call_2"),
            Some(Role::Custom("on-call_2".into()))
        );
        for bad in ["", "Admin", "2nd", "a b", "x/y", &"r".repeat(41)] {
            assert_eq!(Role::parse(bad), None, "{bad}");
        }
        let json = serde_json::to_string(&Role::Custom("auditor".into())).expect("json");
        assert_eq!(json, "\"auditor\"");
        assert_eq!(
            serde_json::from_str::<Role>("\"manager\"").expect("json"),
            Role::Manager
        );
        assert!(serde_json::from_str::<Role>("\"Bad Name\"").is_err());
    }
}
