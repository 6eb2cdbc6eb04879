//! Who is calling: the vocabulary every layer shares (authentication produces it, the edge guards
//! routes with it, services record it).

use super::{ApiKeyId, Scope, TenantId, UserId};
use std::fmt;

/// Who is calling, as proven by a verified credential. The tenant of every repository call comes
/// from here, never from a request body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The platform operator: may create tenants, holds no tenant's data.
    PlatformAdmin,
    /// A tenant's API key, or a user or key holding an access token.
    Tenant {
        /// The credential's tenant.
        tenant_id: TenantId,
        /// The key or user behind the credential.
        subject: Subject,
        /// What it may do.
        scopes: Vec<Scope>,
        /// When the credential stops working.
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    },
}

impl Principal {
    /// What the credential may do (nothing of any tenant's, for the platform admin).
    pub fn scopes(&self) -> &[Scope] {
        match self {
            Self::Tenant { scopes, .. } => scopes,
            Self::PlatformAdmin => &[],
        }
    }

    /// The key or user behind a tenant credential.
    pub fn subject(&self) -> Option<&Subject> {
        match self {
            Self::Tenant { subject, .. } => Some(subject),
            Self::PlatformAdmin => None,
        }
    }
}

/// The key or user a tenant credential stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// An API key (directly, or through a token from the client-credentials grant).
    Key(ApiKeyId),
    /// A user (through a token from the password grant).
    User(UserId),
}

impl fmt::Display for Subject {
    /// `key:<id>` or `user:<id>`, as in audit entries and token subjects.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(id) => write!(f, "key:{id}"),
            Self::User(id) => write!(f, "user:{id}"),
        }
    }
}

impl Subject {
    /// Parses `key:<id>` or `user:<id>`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.split_once(':')? {
            ("key", id) => ApiKeyId::parse(id).map(Self::Key),
            ("user", id) => UserId::parse(id).map(Self::User),
            _ => None,
        }
    }
}
