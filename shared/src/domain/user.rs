//! People: users who sign in with a password, each with a role (a set of scopes) and optional
//! extra grants.

use super::{TenantId, UserId};
use crate::domain::{Role, Roles, Scope};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

    /// Everything the user may do: its role's scopes as the tenant defines them, and the extra
    /// grants.
    pub fn scopes(&self, roles: &Roles) -> Vec<Scope> {
        let mut scopes = roles.scopes(&self.role);
        for extra in &self.extra_scopes {
            if !scopes.contains(extra) {
                scopes.push(*extra);
            }
        }
        scopes
    }
}
