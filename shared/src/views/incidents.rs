//! Views of incidents, issues and error events.

use crate::domain::{ErrorEvent, Incident, IncidentStatus, Severity, SignalKind, Source};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// An incident (an alert) or an issue (an error tracker's grouping). Events carry it as their
/// `data`, and `notify` reads it back from there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IncidentView {
    /// `inc_…`.
    pub id: String,
    /// `alert` or `issue`.
    #[schema(value_type = String)]
    pub kind: SignalKind,
    /// What is wrong.
    pub title: String,
    /// More about it.
    pub description: Option<String>,
    /// `critical`, `high`, `medium`, `low` or `info`.
    #[schema(value_type = String)]
    pub severity: Severity,
    /// `open`, `acknowledged` or `resolved`.
    #[schema(value_type = String)]
    pub status: IncidentStatus,
    /// What groups its signals.
    #[schema(value_type = String)]
    pub fingerprint: crate::domain::Fingerprint,
    /// The provider's id for it.
    pub upstream_id: Option<String>,
    /// Its project (`prj_…`).
    pub project_id: Option<String>,
    /// Who is on it.
    pub assignee: Option<String>,
    /// The provider's priority.
    pub priority: Option<String>,
    /// `generic`, `github`, `pagerduty`, `sentry` or `slack`.
    #[schema(value_type = String)]
    pub source: Source,
    /// The integration it came through.
    pub integration_id: String,
    /// The service affected.
    pub service: Option<String>,
    /// The environment affected.
    pub environment: Option<String>,
    /// A link to it at the provider (`http` or `https`).
    pub url: Option<String>,
    /// Everything else the sender said (free-form).
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    /// Signals grouped into it.
    pub occurrences: u64,
    /// The first signal's time.
    pub first_seen_at: DateTime<Utc>,
    /// The last signal's time.
    pub last_seen_at: DateTime<Utc>,
    /// When it was opened here.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
}

impl From<&Incident> for IncidentView {
    fn from(incident: &Incident) -> Self {
        Self {
            id: incident.id.to_string(),
            kind: incident.kind,
            title: incident.title.clone(),
            description: incident.description.clone(),
            severity: incident.severity,
            status: incident.status,
            fingerprint: incident.fingerprint.clone(),
            upstream_id: incident.upstream_id.clone(),
            project_id: incident.project_id.clone(),
            assignee: incident.assignee.clone(),
            priority: incident.priority.clone(),
            source: incident.source,
            integration_id: incident.integration_id.to_string(),
            service: incident.service.clone(),
            environment: incident.environment.clone(),
            url: incident.url.clone(),
            attributes: incident.attributes.clone(),
            occurrences: incident.occurrences,
            first_seen_at: incident.first_seen_at,
            last_seen_at: incident.last_seen_at,
            created_at: incident.created_at,
            updated_at: incident.updated_at,
            acknowledged_at: incident.acknowledged_at,
            resolved_at: incident.resolved_at,
        }
    }
}

/// An incident after a change by hand, and what changed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ChangedIncidentView {
    /// The incident after the change.
    #[serde(flatten)]
    pub incident: IncidentView,
    /// What changed: `acknowledged`, `resolved`, `reopened`, `assigned`.
    pub changes: Vec<String>,
}

/// An incident with the tickets and pages the hub keeps for it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IncidentDetailView {
    /// The incident.
    #[serde(flatten)]
    pub incident: IncidentView,
    /// Its Jira and GitHub issues and PagerDuty pages, one per destination.
    pub tickets: Vec<crate::views::TicketView>,
}

/// A page of incidents or issues.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IncidentPage {
    /// This page's items.
    pub items: Vec<IncidentView>,
    /// Where the next page starts; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<crate::store::Page<IncidentView>> for IncidentPage {
    fn from(page: crate::store::Page<IncidentView>) -> Self {
        Self {
            items: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

/// An error event with its stack traces (bounded), linked to its issue.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ErrorEventView {
    /// The tracker's event id.
    pub event_id: String,
    /// The tracker's issue id.
    pub issue_id: String,
    /// The issue here (`inc_…`).
    pub incident_id: Option<String>,
    /// The error's title.
    pub title: String,
    /// Its message.
    pub message: Option<String>,
    /// Its level.
    pub level: Option<String>,
    /// The platform.
    pub platform: Option<String>,
    /// Where it happened.
    pub culprit: Option<String>,
    /// The release.
    pub release: Option<String>,
    /// The environment.
    pub environment: Option<String>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Its tags.
    pub tags: Vec<TagView>,
    /// Its exceptions, innermost frames kept.
    pub exceptions: Vec<crate::domain::error_event::Exception>,
    /// A link to it at the tracker.
    pub url: Option<String>,
    /// Its contexts (`runtime`, `os`, `browser`, `trace`, …), at most 8 KiB.
    #[schema(value_type = Object)]
    pub contexts: serde_json::Map<String, serde_json::Value>,
}

/// One tag.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TagView {
    /// Its name.
    pub key: String,
    /// Its value.
    pub value: String,
}

impl From<&ErrorEvent> for ErrorEventView {
    fn from(event: &ErrorEvent) -> Self {
        Self {
            event_id: event.event_id.clone(),
            issue_id: event.issue_id.clone(),
            incident_id: event.incident_id.as_ref().map(ToString::to_string),
            title: event.title.clone(),
            message: event.message.clone(),
            level: event.level.clone(),
            platform: event.platform.clone(),
            culprit: event.culprit.clone(),
            release: event.release.clone(),
            environment: event.environment.clone(),
            occurred_at: event.occurred_at,
            tags: event
                .tags
                .iter()
                .map(|(key, value)| TagView {
                    key: key.clone(),
                    value: value.clone(),
                })
                .collect(),
            exceptions: event.exceptions.clone(),
            contexts: event.contexts.clone(),
            url: event.url.clone(),
        }
    }
}

/// A merged change (a deploy), as `deploy.recorded` and the suspects of a hypothesis carry it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeployView {
    /// `chg_…`.
    pub id: String,
    /// Its project.
    pub project_id: Option<String>,
    /// `owner/name`.
    pub repo: String,
    /// The pull request's number.
    pub number: u64,
    /// Its title.
    pub title: String,
    /// Who wrote it.
    pub author: String,
    /// The merge commit.
    pub merge_commit: Option<String>,
    /// A link to it.
    pub url: String,
    /// When it was merged.
    pub merged_at: DateTime<Utc>,
}

impl From<&crate::domain::DeployRecord> for DeployView {
    fn from(change: &crate::domain::DeployRecord) -> Self {
        Self {
            id: change.id.to_string(),
            project_id: change.project_id.clone(),
            repo: change.repo.clone(),
            number: change.number,
            title: change.title.clone(),
            author: change.author.clone(),
            merge_commit: change.merge_commit.clone(),
            url: change.url.clone(),
            merged_at: change.merged_at,
        }
    }
}

/// A value's JSON as events carry it (views never fail to serialise).
pub fn event_data(view: &impl Serialize) -> Value {
    serde_json::to_value(view).unwrap_or(Value::Null)
}
