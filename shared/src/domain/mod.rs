//! The domain model: what Faultline knows about tenants, incidents, endpoints and deliveries.
//! Pure types and rules; no I/O.

pub mod audit;
pub mod deadlock;
pub mod deploy;
pub mod endpoint;
pub mod error_event;
pub mod event;
pub mod event_catalog;
pub mod export;
pub mod export_schedule;
pub mod failure;
pub mod fingerprint;
pub mod ids;
pub mod incident;
pub mod integration;
pub mod job;
pub mod log_source;
pub mod message;
pub mod notification;
pub mod oauth;
mod principal;
pub mod project;
pub mod retry;
pub mod role;
pub mod schedule;
mod scope;
pub mod sentry_config;
pub mod signal;
pub mod tenant;
pub mod timeline;
mod url_policy;
pub mod user;

pub use deploy::{rank_suspects, DeployRecord, Suspect};
pub use endpoint::{Endpoint, EndpointUrl, RetiredSecret, UrlPolicy};
pub use error_event::ErrorEvent;
pub use event::{DomainEvent, EventType};
pub use export::{ExportFilters, ExportJob, ExportStatus};
pub use export_schedule::ExportSchedule;
pub use failure::Failure;
pub use fingerprint::Fingerprint;
pub use ids::{
    ApiKeyId, DeliveryId, DeployId, DestinationId, EndpointId, EventId, ExportId, ExportScheduleId,
    IncidentId, IntegrationId, LogSourceId, MaintenanceWindowId, MessageId, NotificationId,
    NotificationRuleId, OAuthAppId, ProjectId, SentryConfigId, TenantId, UserId,
};
pub use incident::{Incident, IncidentStatus, ManualStatus, Severity};
pub use integration::{Integration, Source};
pub use job::JobHealth;
pub use log_source::LogSource;
pub use message::{Attempt, AttemptOutcome, DeliveryStatus, DeliveryTask, Message};
pub use oauth::{OAuthApp, Pkce};
pub use principal::{Principal, Subject};
pub use project::Project;
pub use retry::{parse_retry_after, FailureClass, RetrySchedule};
pub use role::{Role, RoleDefinition, Roles};
pub use scope::Scope;
pub use sentry_config::SentryConfig;
pub use signal::{Signal, SignalKind, SignalStatus};
pub use tenant::{Tenant, TenantSettings};
pub use timeline::TimelineEntry;
pub use user::User;
