//! Views of destinations, notification rules and the notification ledger.

use crate::domain::notification::{
    Destination, Matchers, NotificationRecord, NotificationRule, Target, Throttle,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A destination: never its credential (a URL or token is shown masked).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DestinationView {
    /// `dst_…`.
    pub id: String,
    /// What people call it.
    pub name: String,
    /// `slack_webhook`, `slack_bot`, `teams`, `email`, `smtp`, `user`, `pagerduty`, `jira` or
    /// `github`.
    pub kind: String,
    /// The credential masked (`https://hooks.slack.com/****`, `xoxb-****`); absent for email.
    pub secret_masked: Option<String>,
    /// The Slack channel ID (`slack_bot`).
    pub channel: Option<String>,
    /// The recipients (`email`, `smtp`).
    pub to: Option<Vec<String>>,
    /// The SMTP server, `host:port` (`smtp`).
    pub server: Option<String>,
    /// The sender address (`smtp`).
    pub from: Option<String>,
    /// The person (`user`: `usr_…`), told by email as their preferences say.
    pub user_id: Option<String>,
    /// `jira`, `github`: where tickets are opened and how (site, project, repository, labels,
    /// transitions…), without the token.
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
    /// Whether it receives notifications.
    pub enabled: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<&Destination> for DestinationView {
    fn from(d: &Destination) -> Self {
        let (channel, to) = match &d.target {
            Target::SlackBot { channel, .. } => (Some(channel.clone()), None),
            Target::Email { to } | Target::Smtp { to, .. } => (None, Some(to.clone())),
            _ => (None, None),
        };
        let (server, from) = match &d.target {
            Target::Smtp {
                host, port, from, ..
            } => (Some(format!("{host}:{port}")), Some(from.clone())),
            _ => (None, None),
        };
        let user_id = match &d.target {
            Target::User { user_id } => Some(user_id.to_string()),
            _ => None,
        };
        Self {
            id: d.id.to_string(),
            name: d.name.clone(),
            kind: d.target.kind().as_str().to_owned(),
            secret_masked: d.target.secret().map(|(_, masked)| masked.to_owned()),
            channel,
            to,
            server,
            from,
            user_id,
            settings: ticket_settings(&d.target),
            enabled: d.enabled,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// A ticket destination's settings without its token.
fn ticket_settings(target: &Target) -> Option<serde_json::Value> {
    let mut settings = match target {
        Target::Jira(project) => serde_json::to_value(project).ok()?,
        Target::Github(repository) => serde_json::to_value(repository).ok()?,
        _ => return None,
    };
    if let Some(map) = settings.as_object_mut() {
        map.remove("token");
        map.remove("masked");
    }
    Some(settings)
}

/// A ticket or page the hub keeps for an incident at one destination.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TicketView {
    /// Where (`dst_…`).
    pub destination_id: String,
    /// `pagerduty`, `jira` or `github`.
    pub kind: String,
    /// `OPS-123`, `acme/api#42`, or PagerDuty's `dedup_key`.
    pub key: String,
    /// Its page, where the provider has one.
    pub url: Option<String>,
    /// The incident's status the ticket was last brought to.
    #[schema(value_type = String)]
    pub status: crate::domain::IncidentStatus,
    /// When it was last changed by the hub.
    pub updated_at: DateTime<Utc>,
}

impl TicketView {
    /// The view of a log entry's ticket at a destination of `kind`; `None` without a ticket.
    pub fn of(entry: &crate::domain::notification::LogEntry, kind: &str) -> Option<Self> {
        let ticket = entry.ticket.as_ref()?;
        Some(Self {
            destination_id: entry.destination_id.to_string(),
            kind: kind.to_owned(),
            key: ticket.key.clone(),
            url: ticket.url.clone(),
            status: entry.status,
            updated_at: entry.sent_at,
        })
    }
}

/// What `POST /v1/incidents/{id}/tickets` did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TicketRequestView {
    /// `opened`, `linked`, or `queued` (the provider could not take it yet; `notify` retries).
    pub status: String,
    /// The ticket, once opened or linked.
    pub ticket: Option<TicketView>,
    /// What the provider said, when queued.
    pub detail: Option<String>,
}

impl TicketRequestView {
    /// Opened or linked.
    pub fn done(status: &str, ticket: Option<TicketView>) -> Self {
        Self {
            status: status.to_owned(),
            ticket,
            detail: None,
        }
    }

    /// Queued, with what the provider said.
    pub fn queued(detail: String) -> Self {
        Self {
            status: "queued".into(),
            ticket: None,
            detail: Some(detail),
        }
    }
}

/// A page of destinations.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DestinationPage {
    /// This page's items.
    pub items: Vec<DestinationView>,
    /// Where the next page starts; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<crate::store::Page<DestinationView>> for DestinationPage {
    fn from(page: crate::store::Page<DestinationView>) -> Self {
        Self {
            items: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

/// What a destination test did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DestinationTestView {
    /// `sent`, `accepted` (Teams: the workflow took it) or `failed`.
    pub status: String,
    /// What was done, or why it failed.
    pub detail: String,
    /// The provider's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// Whether retrying could help, for a failure.
    pub retryable: Option<bool>,
}

/// What a rule matches (every given field must match; lists match any member).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MatchersView {
    /// Event types (`incident.created`, …); empty: all incident and issue events.
    pub event_types: Vec<String>,
    /// This severity or worse.
    pub min_severity: Option<String>,
    /// Sources.
    pub sources: Vec<String>,
    /// Project ids.
    pub project_ids: Vec<String>,
    /// Services.
    pub services: Vec<String>,
    /// Environments.
    pub environments: Vec<String>,
    /// Incident attributes that must equal these strings.
    pub attributes: BTreeMap<String, String>,
}

impl From<&Matchers> for MatchersView {
    fn from(m: &Matchers) -> Self {
        Self {
            event_types: m
                .event_types
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            min_severity: m.min_severity.map(|s| s.as_str().to_owned()),
            sources: m.sources.clone(),
            project_ids: m.project_ids.clone(),
            services: m.services.clone(),
            environments: m.environments.clone(),
            attributes: m.attributes.clone(),
        }
    }
}

/// How often one incident notifies through a rule (status and severity changes always pass).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ThrottleView {
    /// Only the opening message, then the resolve.
    pub once_until_resolved: bool,
    /// At most one message per this many minutes for a still-open incident.
    pub repeat_interval_minutes: Option<u32>,
}

impl From<&Throttle> for ThrottleView {
    fn from(t: &Throttle) -> Self {
        Self {
            once_until_resolved: t.once_until_resolved,
            repeat_interval_minutes: t.repeat_interval_minutes,
        }
    }
}

/// A routing rule.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NotificationRuleView {
    /// `nrl_…`.
    pub id: String,
    /// What people call it.
    pub name: String,
    /// Evaluation order (lower first).
    pub position: u32,
    /// Whether it is evaluated.
    pub enabled: bool,
    /// What it matches.
    pub matchers: MatchersView,
    /// Where matching notifications go (`dst_…`).
    pub destinations: Vec<String>,
    /// Whether the next rules are evaluated after this one matched.
    #[serde(rename = "continue")]
    pub continue_matching: bool,
    /// Applies only when no other rule matched.
    pub fallback: bool,
    /// Its throttle.
    pub throttle: ThrottleView,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<&NotificationRule> for NotificationRuleView {
    fn from(r: &NotificationRule) -> Self {
        Self {
            id: r.id.to_string(),
            name: r.name.clone(),
            position: r.position,
            enabled: r.enabled,
            matchers: MatchersView::from(&r.matchers),
            destinations: r.destinations.iter().map(ToString::to_string).collect(),
            continue_matching: r.continue_matching,
            fallback: r.fallback,
            throttle: ThrottleView::from(&r.throttle),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The tenant's rules, in evaluation order.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NotificationRuleList {
    /// Every rule.
    pub items: Vec<NotificationRuleView>,
    /// Always `null`: the list is whole.
    pub next_cursor: Option<String>,
}

/// One notification attempt.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NotificationView {
    /// `ntf_…`.
    pub id: String,
    /// The incident (`inc_…`), when it was about one.
    pub incident_id: Option<String>,
    /// The destination (`dst_…`).
    pub destination_id: String,
    /// The rule that routed it (`nrl_…`).
    pub rule_id: Option<String>,
    /// The event (`evt_…`).
    pub event_id: Option<String>,
    /// The event's type.
    pub event_type: Option<String>,
    /// `sent`, `accepted`, `held`, `folded`, `retrying` or `failed`.
    pub status: String,
    /// What was done, or why not.
    pub detail: String,
    /// Which attempt (1 first).
    pub attempt: u32,
    /// The provider's HTTP status.
    pub status_code: Option<u16>,
    /// How long the provider took, in milliseconds.
    pub latency_ms: Option<u64>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<&NotificationRecord> for NotificationView {
    fn from(r: &NotificationRecord) -> Self {
        Self {
            id: r.id.to_string(),
            incident_id: r.incident_id.as_ref().map(ToString::to_string),
            destination_id: r.destination_id.to_string(),
            rule_id: r.rule_id.as_ref().map(ToString::to_string),
            event_id: r.event_id.as_ref().map(ToString::to_string),
            event_type: r.event_type.map(|t| t.as_str().to_owned()),
            status: r.status.as_str().to_owned(),
            detail: r.detail.clone(),
            attempt: r.attempt,
            status_code: r.status_code,
            latency_ms: r.latency_ms,
            created_at: r.created_at,
        }
    }
}

/// A page of the notification ledger, newest first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    /// This page's items.
    pub items: Vec<NotificationView>,
    /// Where the next page starts; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<crate::store::Page<NotificationView>> for NotificationPage {
    fn from(page: crate::store::Page<NotificationView>) -> Self {
        Self {
            items: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

/// A maintenance window, with where it stands now.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MaintenanceWindowView {
    /// `mw_…`.
    pub id: String,
    /// What people call it.
    pub name: String,
    /// `{"type": "one_off", "starts_at", "ends_at"}` or `{"type": "recurring", "cron",
    /// "time_zone", "duration_minutes"}`.
    #[schema(value_type = Object)]
    pub schedule: crate::domain::notification::Schedule,
    /// What it holds back.
    pub matchers: MatchersView,
    /// `suppress` (held, looked at again when it ends) or `drop`.
    pub strategy: String,
    /// `upcoming`, `active` or `finished`, now.
    pub status: String,
    /// When the occurrence in force now ends.
    pub active_until: Option<DateTime<Utc>>,
    /// When the next occurrence starts.
    pub next_start: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl MaintenanceWindowView {
    /// The window as it stands at `now`.
    pub fn at(window: &crate::domain::notification::MaintenanceWindow, now: DateTime<Utc>) -> Self {
        use crate::domain::notification::{Strategy, WindowStatus};
        Self {
            id: window.id.to_string(),
            name: window.name.clone(),
            schedule: window.schedule.clone(),
            matchers: MatchersView::from(&window.matchers),
            strategy: match window.strategy {
                Strategy::Suppress => "suppress",
                Strategy::Drop => "drop",
            }
            .into(),
            status: match window.schedule.status(now) {
                WindowStatus::Upcoming => "upcoming",
                WindowStatus::Active => "active",
                WindowStatus::Finished => "finished",
            }
            .into(),
            active_until: window.schedule.active_at(now).map(|(_, end)| end),
            next_start: window.schedule.next_start(now),
            created_at: window.created_at,
            updated_at: window.updated_at,
        }
    }
}

/// The tenant's maintenance windows.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MaintenanceWindowList {
    /// Every window, active first, then by next start.
    pub items: Vec<MaintenanceWindowView>,
    /// Always `null`: the list is whole.
    pub next_cursor: Option<String>,
}

/// What a window would hold back now.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WindowPreview {
    /// Whether the window is in force now.
    pub active: bool,
    /// The open incidents and issues its matchers match (at most 500, newest first).
    pub items: Vec<crate::views::IncidentView>,
}

/// A user's notification preferences.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PreferencesView {
    /// Told at once only this severe or worse.
    pub min_severity: Option<String>,
    /// `{"start": "22:00", "end": "07:00", "time_zone": "Europe/Berlin"}`.
    #[schema(value_type = Option<Object>)]
    pub quiet_hours: Option<crate::domain::notification::preferences::QuietHours>,
    /// `{"every": "daily" | "weekly", "hour": 8, "weekday": "mon", "time_zone": "UTC"}`.
    #[schema(value_type = Option<Object>)]
    pub digest: Option<crate::domain::notification::preferences::Digest>,
    /// Nothing at once: only the digest.
    pub digest_only: bool,
    /// When the next digest goes out.
    pub next_digest_at: Option<DateTime<Utc>>,
}

impl From<&crate::store::StoredPreferences> for PreferencesView {
    fn from(stored: &crate::store::StoredPreferences) -> Self {
        let p = &stored.preferences;
        Self {
            min_severity: p.min_severity.map(|s| s.as_str().to_owned()),
            quiet_hours: p.quiet_hours.clone(),
            digest: p.digest.clone(),
            digest_only: p.digest_only,
            next_digest_at: stored.digest_due,
        }
    }
}
