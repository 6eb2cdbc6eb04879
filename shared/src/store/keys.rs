//! Every key format of the table, in one place (see the storage table in README.md).

use crate::domain::{
    ApiKeyId, DestinationId, EndpointId, ExportId, ExportScheduleId, Fingerprint, IncidentId,
    IntegrationId, LogSourceId, MaintenanceWindowId, MessageId, NotificationRuleId, OAuthAppId,
    ProjectId, Role, SentryConfigId, TenantId, UserId,
};

pub const META: &str = "META";

/// A time as it appears in sort keys: RFC 3339, UTC, milliseconds — fixed width, so keys sort in
/// time order.
pub fn sort_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn tenant(t: &TenantId) -> String {
    format!("TENANT#{t}")
}

pub fn api_key(id: &ApiKeyId) -> String {
    format!("KEY#{id}")
}

pub fn tenant_api_keys(t: &TenantId) -> String {
    format!("TENANT#{t}#KEYS")
}

pub fn oauth_app(id: &OAuthAppId) -> String {
    format!("OAUTHAPP#{id}")
}

pub fn tenant_oauth_apps(t: &TenantId) -> String {
    format!("TENANT#{t}#OAUTHAPPS")
}

/// An authorization code, by the digest of its value.
pub fn oauth_code(digest: &str) -> String {
    format!("OAUTHCODE#{digest}")
}

/// A refresh token, by the digest of its value.
pub fn oauth_refresh(digest: &str) -> String {
    format!("OAUTHREFRESH#{digest}")
}

/// A revoked refresh-token family.
pub fn oauth_family(family: &str) -> String {
    format!("OAUTHFAMILY#{family}")
}

pub fn integration(id: &IntegrationId) -> String {
    format!("INTEGRATION#{id}")
}

pub fn tenant_integrations(t: &TenantId) -> String {
    format!("TENANT#{t}#INTEGRATIONS")
}

pub fn incidents(t: &TenantId) -> String {
    format!("TENANT#{t}#INCIDENT")
}

pub fn incident_timeline(t: &TenantId, id: &IncidentId) -> String {
    format!("TENANT#{t}#INCIDENT#{id}")
}

pub fn fingerprint_guard(t: &TenantId, fp: &Fingerprint) -> String {
    format!("TENANT#{t}#FP#{fp}")
}

pub fn changes(t: &TenantId) -> String {
    format!("TENANT#{t}#CHANGE")
}

pub fn deliveries(t: &TenantId) -> String {
    format!("TENANT#{t}#DELIVERY")
}

pub fn endpoint_sk(id: &EndpointId) -> String {
    format!("ENDPOINT#{id}")
}

pub const ENDPOINT_PREFIX: &str = "ENDPOINT#";

/// A destination in its tenant's partition; also the sort key of a notification log entry.
pub fn destination_sk(id: &DestinationId) -> String {
    format!("{DESTINATION_PREFIX}{id}")
}

/// The sort-key prefix of destinations.
pub const DESTINATION_PREFIX: &str = "DESTINATION#";

/// A notification rule in its tenant's partition.
pub fn notification_rule_sk(id: &NotificationRuleId) -> String {
    format!("{NOTIFICATION_RULE_PREFIX}{id}")
}

/// The sort-key prefix of notification rules.
pub const NOTIFICATION_RULE_PREFIX: &str = "NRULE#";

/// A maintenance window in its tenant's partition.
pub fn maintenance_window_sk(id: &MaintenanceWindowId) -> String {
    format!("{MAINTENANCE_WINDOW_PREFIX}{id}")
}

/// The sort-key prefix of maintenance windows.
pub const MAINTENANCE_WINDOW_PREFIX: &str = "MWINDOW#";

/// A user's notification preferences, in their tenant's partition.
pub fn preferences_sk(user: &UserId) -> String {
    format!("NPREF#{user}")
}

/// The index of digests by the time they fall due (sort key `{due}#{tenant}#{user}`).
pub const DIGESTS_DUE: &str = "DIGEST#DUE";

/// The notification log of one incident: one item per destination told about it.
pub fn notification_log(t: &TenantId, incident: &IncidentId) -> String {
    format!("TENANT#{t}#NLOG#{incident}")
}

/// The notification ledger of a tenant (sorted by `ntf_` id, so by time).
pub fn notifications(t: &TenantId) -> String {
    format!("TENANT#{t}#NOTIFICATION")
}

pub fn project_sk(id: &ProjectId) -> String {
    format!("{PROJECT_PREFIX}{id}")
}

pub const PROJECT_PREFIX: &str = "PROJECT#";

pub fn user_sk(id: &UserId) -> String {
    format!("{USER_PREFIX}{id}")
}

pub const USER_PREFIX: &str = "USER#";

pub fn role_sk(role: &Role) -> String {
    format!("{ROLE_PREFIX}{role}")
}

pub const ROLE_PREFIX: &str = "ROLE#";

/// Emails are unique within a tenant (the password grant names the tenant).
pub fn user_email(t: &TenantId, email: &str) -> String {
    format!("TENANT#{t}#USEREMAIL#{email}")
}

/// Before emails were per tenant, one claim per email across the hub; still read so users made
/// then can sign in.
pub fn legacy_user_email(email: &str) -> String {
    format!("USEREMAIL#{email}")
}

/// A fixed-window counter (rate limits, failed sign-ins).
pub fn counter(name: &str, window: i64) -> String {
    format!("COUNTER#{name}#{window}")
}

pub fn project_slug(t: &TenantId, slug: &str) -> String {
    format!("TENANT#{t}#PROJSLUG#{slug}")
}

pub fn messages(t: &TenantId) -> String {
    format!("TENANT#{t}#MSG")
}

pub fn message_children(t: &TenantId, id: &MessageId) -> String {
    format!("TENANT#{t}#MSG#{id}")
}

pub fn endpoint_attempts(t: &TenantId, endpoint: &EndpointId) -> String {
    format!("TENANT#{t}#EP#{endpoint}#ATTEMPT")
}

pub fn endpoint_rate(t: &TenantId, endpoint: &EndpointId) -> String {
    format!("TENANT#{t}#EP#{endpoint}#RATE")
}

pub fn delivery_sk(endpoint: &EndpointId) -> String {
    format!("DEST#{endpoint}")
}

pub fn attempt_sk(endpoint: &EndpointId, attempt: u32) -> String {
    format!("ATTEMPT#{endpoint}#{attempt:03}")
}

pub const ATTEMPT_PREFIX: &str = "ATTEMPT#";

pub fn inbound_stats(t: &TenantId, integration: &IntegrationId) -> String {
    format!("TENANT#{t}#INTSTATS#{integration}")
}

pub fn dedup(scope: &str, delivery_id: &str) -> String {
    format!("DEDUP#{scope}#{delivery_id}")
}

/// Refused credentials counted per minute, source address and actor, waiting to join their chain
/// as one entry each.
pub const REFUSALS: &str = "AUDIT#REFUSALS";

/// Audit entries whose append failed after their change was made, waiting for the relay.
pub const PARKED_AUDIT: &str = "AUDIT#PARKED";

pub fn outbox_shard(shard: u8) -> String {
    format!("OUTBOX#{shard}")
}

pub fn sentry_configs(t: &TenantId, project: &ProjectId) -> String {
    format!("TENANT#{t}#SENTRY#{project}")
}

pub fn sentry_config_sk(environment: &str) -> String {
    format!("{SENTRY_ENV_PREFIX}{environment}")
}

pub const SENTRY_ENV_PREFIX: &str = "ENV#";

/// The `gsi1` partition of the Sentry configurations the sync job reads.
pub const SENTRY_SYNC_JOBS: &str = "JOBS#SENTRY-SYNC";
/// The `gsi1` partition of the log sources the scan job reads.
pub const LOG_SCAN_JOBS: &str = "JOBS#LOG-SCAN";

/// A job's entry in its `gsi1` partition: its tenant and its configuration.
pub fn job_sk(t: &TenantId, id: &impl std::fmt::Display) -> String {
    format!("{t}#{id}")
}

/// A Sentry configuration's sync state, beside the configuration (not under `ENV#`).
pub fn sentry_sync_sk(id: &SentryConfigId) -> String {
    format!("SYNC#{id}")
}

pub fn log_sources(t: &TenantId) -> String {
    format!("TENANT#{t}#LOGSOURCE")
}

pub fn log_source_sk(id: &LogSourceId) -> String {
    format!("{LOG_SOURCE_PREFIX}{id}")
}

pub const LOG_SOURCE_PREFIX: &str = "SOURCE#";

pub fn evidence(t: &TenantId, incident: &IncidentId) -> String {
    format!("TENANT#{t}#EVIDENCE#{incident}")
}

pub fn source_files(t: &TenantId) -> String {
    format!("TENANT#{t}#SOURCEFILE")
}

/// A log source's scan state (checkpoint and health), beside it.
pub fn log_scan_sk(id: &LogSourceId) -> String {
    format!("SCAN#{id}")
}

pub fn error_events(t: &TenantId) -> String {
    format!("TENANT#{t}#ERROREVENT")
}

pub fn exports(t: &TenantId) -> String {
    format!("TENANT#{t}#EXPORT")
}

pub fn export_sk(id: &ExportId) -> String {
    format!("EXPORT#{id}")
}

pub fn deadlocks(t: &TenantId) -> String {
    format!("TENANT#{t}#DEADLOCK")
}

pub fn deadlock_occurrences(t: &TenantId, group: &str) -> String {
    format!("TENANT#{t}#DEADLOCK#{group}")
}

/// The smallest (or largest) id of type `prefix` minted in the millisecond of `at`: ids are
/// ULIDs, so they bound creation times in sort keys.
pub fn id_bound(prefix: &str, at: chrono::DateTime<chrono::Utc>, upper: bool) -> String {
    let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    let random = if upper { u128::MAX >> 48 } else { 0 };
    format!("{prefix}_{}", ulid::Ulid::from_parts(ms, random))
}

pub fn export_schedules(t: &TenantId) -> String {
    format!("TENANT#{t}#EXPORTSCHEDULE")
}

pub fn export_schedule_sk(id: &ExportScheduleId) -> String {
    format!("SCHEDULE#{id}")
}

/// The scheduled exports' due-time index (`gsi1`): enabled schedules by their next run.
pub const EXPORT_SCHEDULE_JOBS: &str = "JOBS#EXPORT-SCHEDULE";
