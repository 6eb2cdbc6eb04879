//! Views of tenants, keys, users, projects, integrations and Sentry configuration.

use crate::domain::sentry_config::mask_dsn;
use crate::domain::{Integration, Project, Roles, SentryConfig, Tenant, User};
use crate::store::ApiKeyRecord;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A tenant.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TenantView {
    /// `ten_…`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Its own settings (`null`: the deployment's default).
    pub settings: TenantSettingsView,
}

/// A tenant's own settings.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TenantSettingsView {
    /// Retry delays (seconds) of its outgoing webhooks.
    pub retry_schedule: Option<Vec<u64>>,
    /// Requests per minute each of its API keys may make.
    pub api_rate_limit_per_minute: Option<u32>,
    /// Inbound webhooks per minute each integration accepts (default 1,200).
    pub inbound_rate_limit_per_minute: Option<u32>,
    /// Inbound webhooks per minute all integrations accept together (default 6,000).
    pub tenant_inbound_rate_limit_per_minute: Option<u32>,
    /// How many endpoints it may have (default 100).
    pub max_endpoints: Option<u32>,
}

impl From<&Tenant> for TenantView {
    fn from(tenant: &Tenant) -> Self {
        Self {
            id: tenant.id.to_string(),
            name: tenant.name.clone(),
            created_at: tenant.created_at,
            settings: TenantSettingsView {
                retry_schedule: tenant.settings.retry_schedule.clone(),
                api_rate_limit_per_minute: tenant.settings.api_rate_limit_per_minute,
                inbound_rate_limit_per_minute: tenant.settings.inbound_rate_limit_per_minute,
                tenant_inbound_rate_limit_per_minute: tenant
                    .settings
                    .tenant_inbound_rate_limit_per_minute,
                max_endpoints: tenant.settings.max_endpoints,
            },
        }
    }
}

/// A new tenant and its first API key (holding every scope).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CreatedTenantView {
    /// The tenant.
    pub tenant: TenantView,
    /// Its first key, with the key itself shown this once.
    pub api_key: ApiKeyView,
}

/// An API key: never its digest; the key itself only in the answer that creates it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    /// The key id (the part after `sk_`).
    pub id: String,
    /// What it is for.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<String>,
    /// `sk_<id>_`: the public part of the key.
    pub prefix: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was last accepted.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Requests made with it.
    pub usage_count: u64,
    /// Who created it (`user:<id>` or `key:<id>`), when known.
    pub created_by: Option<String>,
    /// The networks it may be used from (empty: anywhere).
    pub allowed_cidrs: Vec<String>,
    /// The key itself: only in the answer that creates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl From<&ApiKeyRecord> for ApiKeyView {
    fn from(record: &ApiKeyRecord) -> Self {
        Self {
            id: record.id.to_string(),
            name: record.name.clone(),
            scopes: record
                .scopes
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            prefix: format!("sk_{}_", record.id),
            created_at: record.created_at,
            expires_at: record.expires_at,
            revoked_at: record.revoked_at,
            last_used_at: record.last_used_at,
            usage_count: record.usage_count,
            created_by: record.created_by.clone(),
            allowed_cidrs: record.allowed_cidrs.clone(),
            key: None,
        }
    }
}

/// A user: never the password or its hash.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UserView {
    /// `usr_…`.
    pub id: String,
    /// Their email (lowercase).
    pub email: String,
    /// `admin`, `manager`, `developer`, `viewer` or a role the tenant defined.
    pub role: String,
    /// Scopes granted beyond the role's.
    pub extra_scopes: Vec<String>,
    /// Everything they may do: the role's scopes and the extra ones.
    pub scopes: Vec<String>,
    /// Whether they may sign in.
    pub active: bool,
    /// When they were created.
    pub created_at: DateTime<Utc>,
    /// When they last changed.
    pub updated_at: DateTime<Utc>,
}

impl UserView {
    /// The user as the tenant's `roles` define their role.
    pub fn new(user: &User, roles: &Roles) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.clone(),
            role: user.role.as_str().to_owned(),
            extra_scopes: user
                .extra_scopes
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            scopes: user
                .scopes(roles)
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            active: user.active,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// A project.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProjectView {
    /// `prj_…`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Unique per tenant; applications fetch their Sentry configuration by it.
    pub slug: String,
    /// What it is.
    pub description: String,
    /// The default environment.
    pub environment: String,
    /// Inactive projects serve no configuration.
    pub active: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<&Project> for ProjectView {
    fn from(project: &Project) -> Self {
        Self {
            id: project.id.to_string(),
            name: project.name.clone(),
            slug: project.slug.clone(),
            description: project.description.clone(),
            environment: project.environment.clone(),
            active: project.active,
            created_at: project.created_at,
            updated_at: project.updated_at,
        }
    }
}

/// An inbound integration: never its secret.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IntegrationView {
    /// `int_…`.
    pub id: String,
    /// `generic`, `github`, `pagerduty`, `sentry` or `slack`.
    pub source: String,
    /// Display name.
    pub name: String,
    /// Its project (`prj_…`).
    pub project_id: Option<String>,
    /// The source's options.
    #[schema(value_type = Object)]
    pub config: Map<String, Value>,
    /// Whether a signing secret is set.
    pub has_secret: bool,
    /// Whether it accepts unsigned requests from anyone: a generic integration created with
    /// `"unsigned": true`, or Sentry's legacy unsigned option.
    pub unsigned: bool,
    /// Where the provider sends its webhooks.
    pub webhook_path: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<&Integration> for IntegrationView {
    fn from(integration: &Integration) -> Self {
        Self {
            id: integration.id.to_string(),
            source: integration.source.as_str().to_owned(),
            name: integration.name.clone(),
            project_id: integration.project_id.clone(),
            config: integration.config.clone(),
            has_secret: integration.secret.is_some(),
            unsigned: integration.secret.is_none()
                && (integration.unsigned
                    || integration.config.get("allow_unsigned_legacy") == Some(&Value::Bool(true))),
            webhook_path: format!(
                "/v1/hooks/{}/{}",
                integration.source.as_str(),
                integration.id
            ),
            created_at: integration.created_at,
        }
    }
}

/// A project's Sentry configuration for one environment: never its auth token.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SentryConfigView {
    /// `scfg_…`.
    pub id: String,
    /// Its project.
    pub project_id: String,
    /// The environment it serves.
    pub environment: String,
    /// The DSN: masked unless revealed.
    pub dsn: String,
    /// The Sentry organisation slug.
    pub org: String,
    /// The Sentry project slug.
    pub project: String,
    /// Whether an auth token is stored (the hub then syncs the project's issues).
    pub has_auth_token: bool,
    /// Where the hub calls Sentry's API.
    pub api_url: String,
    /// Share of transactions traced.
    #[serde(rename = "tracesSampleRate")]
    pub traces_sample_rate: f64,
    /// Share of sessions replayed.
    #[serde(rename = "replaysSessionSampleRate")]
    pub replays_session_sample_rate: f64,
    /// Share of sessions with an error replayed.
    #[serde(rename = "replaysOnErrorSampleRate")]
    pub replays_on_error_sample_rate: f64,
    /// Inactive configurations are not served.
    pub active: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl SentryConfigView {
    /// The view, with the DSN whole (`reveal`) or masked.
    pub fn of(config: &SentryConfig, reveal: bool) -> Self {
        Self {
            id: config.id.to_string(),
            project_id: config.project_id.to_string(),
            environment: config.environment.clone(),
            dsn: if reveal {
                config.dsn.clone()
            } else {
                mask_dsn(&config.dsn)
            },
            org: config.org.clone(),
            project: config.project.clone(),
            has_auth_token: config.auth_token.is_some(),
            api_url: config.api_base(),
            traces_sample_rate: config.rates.traces_sample_rate,
            replays_session_sample_rate: config.rates.replays_session_sample_rate,
            replays_on_error_sample_rate: config.rates.replays_on_error_sample_rate,
            active: config.active,
            created_at: config.created_at,
            updated_at: config.updated_at,
        }
    }
}

/// What an application fetches: its DSN and SDK options.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ApplicationSentryConfigView {
    /// The whole DSN.
    pub dsn: String,
    /// The environment.
    pub environment: String,
    /// The Sentry organisation slug.
    pub org: String,
    /// The Sentry project slug.
    pub project: String,
    /// The SDK's sample rates.
    pub config: SampleRatesView,
}

/// The SDK's sample rates, named as the SDK's options are.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SampleRatesView {
    /// Share of transactions traced.
    pub traces_sample_rate: f64,
    /// Share of sessions replayed.
    pub replays_session_sample_rate: f64,
    /// Share of sessions with an error replayed.
    pub replays_on_error_sample_rate: f64,
}

impl From<&SentryConfig> for ApplicationSentryConfigView {
    fn from(config: &SentryConfig) -> Self {
        Self {
            dsn: config.dsn.clone(),
            environment: config.environment.clone(),
            org: config.org.clone(),
            project: config.project.clone(),
            config: SampleRatesView {
                traces_sample_rate: config.rates.traces_sample_rate,
                replays_session_sample_rate: config.rates.replays_session_sample_rate,
                replays_on_error_sample_rate: config.rates.replays_on_error_sample_rate,
            },
        }
    }
}

/// The calling credential.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CallerView {
    /// `api_key`, `user` or `platform_admin`.
    pub kind: &'static str,
    /// Its tenant (`null` for the platform admin).
    pub tenant_id: Option<String>,
    /// `key:<id>` or `user:<id>` (absent for the platform admin).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// What it may do.
    pub scopes: Vec<String>,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<&crate::domain::Principal> for CallerView {
    fn from(principal: &crate::domain::Principal) -> Self {
        use crate::domain::{Principal, Subject};
        match principal {
            Principal::PlatformAdmin => Self {
                kind: "platform_admin",
                tenant_id: None,
                subject: None,
                scopes: vec![],
                expires_at: None,
            },
            Principal::Tenant {
                tenant_id,
                subject,
                scopes,
                expires_at,
            } => Self {
                kind: match subject {
                    Subject::Key(_) => "api_key",
                    Subject::User(_) => "user",
                },
                tenant_id: Some(tenant_id.to_string()),
                subject: Some(subject.to_string()),
                scopes: scopes.iter().map(|s| s.as_str().to_owned()).collect(),
                expires_at: *expires_at,
            },
        }
    }
}

/// An issued access token (RFC 6749 §5.1).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// The JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// Space-separated scopes it carries.
    pub scope: String,
    /// The `authorization_code` and `refresh_token` grants: the next refresh token (single use;
    /// each use answers a new one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Liveness.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HealthView {
    /// Always `ok`.
    pub status: &'static str,
}

/// One event type of the catalogue.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EventTypeView {
    /// The type, e.g. `incident.created`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// What it means.
    pub description: String,
    /// A JSON Schema (2020-12) of its `data`.
    #[schema(value_type = Object)]
    pub schema: Value,
}

/// The event catalogue.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EventTypeList {
    /// Every event type.
    pub items: Vec<EventTypeView>,
    /// Always `null`.
    pub next_cursor: Option<String>,
}
