//! DynamoDB repositories over the single table. Every key starts with the tenant where the item
//! belongs to one; writes that can race are conditional.

mod api_keys;
mod audit;
mod batch_reads;
mod counters;
mod deadlocks;
mod dedup;
mod deploys;
mod endpoints;
mod error_events;
mod evidence;
mod export_schedules;
mod exports;
mod inbound;
mod inbound_stats;
mod incidents;
mod integrations;
mod jobs;
mod keys;
mod log_sources;
mod messages;
mod notifications;
mod oauth;
mod outbox;
mod page;
mod preferences;
mod projects;
mod roles;
mod sentry_configs;
mod source_files;
mod table;
mod tenants;
mod users;

pub use api_keys::ApiKeyRecord;
pub use audit::{AuditChain, AuditFilters, ParkedAudit};
pub use counters::Window;
pub use endpoints::HealthChange;
pub use inbound::{InboundDelivery, Receipt};
pub use inbound_stats::{InboundStats, RESULTS as INBOUND_RESULTS};
pub use incidents::{IncidentFilters, IncidentWrite};
pub use messages::{AttemptClaim, DeliveryRecord, MessageFilters};
pub use notifications::NotificationFilters;
pub use oauth::{OAuthCode, OAuthRefresh, RefreshUse};
pub use outbox::{
    deflate_events, inflate_events, EVENTS_DEFLATED, EVENTS_JSON, OUTBOX_PARTITION_PREFIX,
};
pub use page::{Page, PageRequest};
pub use preferences::{DueDigest, StoredPreferences};
pub use source_files::SourceFile;
pub use table::{Store, StoreError};
