//! Incidents and their timelines, and the pure rule for applying a signal to an incident.

use super::signal::SignalKind;
use super::{Fingerprint, IncidentId, IntegrationId, Signal, SignalStatus, Source, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

mod manual;
pub use manual::{ManualChangeRefused, ManualStatus};

/// How bad an incident is, worst first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Wake someone up.
    Critical,
    /// Needs attention soon.
    High,
    /// The default when a sender does not say.
    Medium,
    /// Can wait.
    Low,
    /// For the record.
    Info,
}

impl Severity {
    /// Every accepted spelling, for error messages.
    pub const NAMES: &'static str = "critical, high, medium, low, info";

    /// The lowercase name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
            Self::Info => "info",
        }
    }

    /// Parses the lowercase name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "critical" => Some(Self::Critical),
            "high" => Some(Self::High),
            "medium" => Some(Self::Medium),
            "low" => Some(Self::Low),
            "info" => Some(Self::Info),
            _ => None,
        }
    }
}

/// Where an incident stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IncidentStatus {
    /// Firing.
    Open,
    /// Someone is on it.
    Acknowledged,
    /// Over.
    Resolved,
}

impl IncidentStatus {
    /// The lowercase name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
        }
    }
}

/// One problem, as Faultline tracks it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Its id.
    pub id: IncidentId,
    /// Its owner.
    pub tenant_id: TenantId,
    /// Alert (an incident) or issue (an error-tracker issue).
    #[serde(default)]
    pub kind: SignalKind,
    /// Identity of the problem within the tenant.
    pub fingerprint: Fingerprint,
    /// The sender's own id (PagerDuty incident, Sentry issue).
    #[serde(default)]
    pub upstream_id: Option<String>,
    /// The project of the integration that opened it.
    #[serde(default)]
    pub project_id: Option<String>,
    /// The kind of sender that opened it.
    pub source: Source,
    /// The integration that opened it.
    pub integration_id: IntegrationId,
    /// Latest one-line summary.
    pub title: String,
    /// Latest longer text.
    pub description: Option<String>,
    /// Latest severity.
    pub severity: Severity,
    /// Open or resolved.
    pub status: IncidentStatus,
    /// The affected service.
    pub service: Option<String>,
    /// The affected environment.
    pub environment: Option<String>,
    /// A link back to the sender's view.
    pub url: Option<String>,
    /// Who owns it, as the sender says.
    #[serde(default)]
    pub assignee: Option<String>,
    /// The sender's priority label.
    #[serde(default)]
    pub priority: Option<String>,
    /// Extra fields the senders gave, latest value per key.
    pub attributes: Map<String, Value>,
    /// How many firing signals it has absorbed.
    pub occurrences: u64,
    /// When the first signal says it happened.
    pub first_seen_at: DateTime<Utc>,
    /// When the latest signal says it happened.
    pub last_seen_at: DateTime<Utc>,
    /// When Faultline opened it.
    pub created_at: DateTime<Utc>,
    /// When Faultline last changed it.
    pub updated_at: DateTime<Utc>,
    /// When it was acknowledged.
    #[serde(default)]
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Content hash of the last signal applied (exact re-sends change nothing).
    #[serde(default)]
    pub last_content_hash: String,
    /// Optimistic-concurrency version: every write is conditional on the version it read.
    pub version: u64,
}

/// What applying a signal did to an incident (the most significant change when several).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Refreshed by another occurrence or changed details.
    Updated,
    /// Someone acknowledged it.
    Acknowledged,
    /// Its assignee changed.
    Assigned,
    /// Only a note was added.
    Annotated,
    /// It was resolved.
    Resolved,
    /// A resolved issue regressed and is open again.
    Reopened,
    /// An exact re-send of the last signal.
    Duplicate,
    /// Nothing to do (e.g. a resolve for an incident already resolved).
    Unchanged,
}

impl Incident {
    /// A new open incident from its first signal.
    pub fn open(
        id: IncidentId,
        tenant_id: TenantId,
        integration_id: IntegrationId,
        project_id: Option<String>,
        signal: &Signal,
        now: DateTime<Utc>,
    ) -> Self {
        let resolved = signal.status == SignalStatus::Resolved;
        let acknowledged = signal.status == SignalStatus::Acknowledged;
        Self {
            id,
            tenant_id,
            kind: signal.kind,
            fingerprint: signal.fingerprint.clone(),
            upstream_id: signal.upstream_id.clone(),
            project_id,
            source: signal.source,
            integration_id,
            title: signal.title.clone(),
            description: signal.description.clone(),
            severity: signal.severity,
            status: if resolved {
                IncidentStatus::Resolved
            } else if acknowledged {
                IncidentStatus::Acknowledged
            } else {
                IncidentStatus::Open
            },
            service: signal.service.clone(),
            environment: signal.environment.clone(),
            url: signal.url.clone(),
            assignee: signal.assignee.clone(),
            priority: signal.priority.clone(),
            attributes: signal.attributes.clone(),
            occurrences: signal.repeats.max(1),
            first_seen_at: signal.occurred_at,
            last_seen_at: signal.occurred_at,
            created_at: now,
            updated_at: now,
            acknowledged_at: acknowledged.then_some(now),
            resolved_at: resolved.then_some(now),
            last_content_hash: signal.content_hash(),
            version: 1,
        }
    }

    /// Whether a firing signal for this fingerprint opens a new incident instead: once resolved,
    /// a recurring alert is a new incident (as PagerDuty treats a dedup key); an issue reopens.
    pub fn is_closed(&self) -> bool {
        self.status == IncidentStatus::Resolved && self.kind == SignalKind::Alert
    }

    /// Applies a later signal with the same identity. The caller writes the result back
    /// conditionally on the version it read.
    pub fn apply(&mut self, signal: &Signal, now: DateTime<Utc>) -> Change {
        let hash = signal.content_hash();
        if hash == self.last_content_hash {
            return Change::Duplicate;
        }
        let change = match (self.status, signal.status) {
            (IncidentStatus::Resolved, SignalStatus::Firing) if self.kind == SignalKind::Issue => {
                self.status = IncidentStatus::Open;
                self.resolved_at = None;
                self.acknowledged_at = None;
                self.refresh(signal);
                Change::Reopened
            }
            (IncidentStatus::Resolved, _) => return Change::Unchanged,
            (_, SignalStatus::Resolved) => {
                self.status = IncidentStatus::Resolved;
                self.resolved_at = Some(now);
                self.note_changes(signal);
                Change::Resolved
            }
            (IncidentStatus::Open, SignalStatus::Acknowledged) => {
                self.status = IncidentStatus::Acknowledged;
                self.acknowledged_at = Some(now);
                self.note_changes(signal);
                Change::Acknowledged
            }
            (_, _) => {
                let assigned = self.note_changes(signal);
                if signal.is_occurrence() {
                    self.refresh(signal);
                    Change::Updated
                } else if assigned {
                    Change::Assigned
                } else if signal.priority.is_some() || signal.title != self.title {
                    self.title = signal.title.clone();
                    Change::Updated
                } else if signal.note.is_some() {
                    Change::Annotated
                } else {
                    return Change::Unchanged;
                }
            }
        };
        self.last_content_hash = hash;
        self.touch(now);
        change
    }

    /// Takes the signal's assignee and priority; says whether the assignee changed.
    fn note_changes(&mut self, signal: &Signal) -> bool {
        if signal.priority.is_some() {
            self.priority = signal.priority.clone();
        }
        let assigned = signal.assignee.is_some() && signal.assignee != self.assignee;
        if assigned {
            self.assignee = signal.assignee.clone();
        }
        assigned
    }

    /// Another occurrence: latest text and severity, merged attributes, counters.
    fn refresh(&mut self, signal: &Signal) {
        self.title = signal.title.clone();
        if signal.description.is_some() {
            self.description = signal.description.clone();
        }
        self.severity = signal.severity;
        self.service = signal.service.clone().or(self.service.take());
        self.environment = signal.environment.clone().or(self.environment.take());
        self.url = signal.url.clone().or(self.url.take());
        for (key, value) in &signal.attributes {
            self.attributes.insert(key.clone(), value.clone());
        }
        // Merged attributes can outgrow a record over many signals with different keys.
        self.attributes = super::signal::bound_attributes(std::mem::take(&mut self.attributes));
        self.occurrences += signal.repeats.max(1);
        self.first_seen_at = self.first_seen_at.min(signal.occurred_at);
        self.last_seen_at = self.last_seen_at.max(signal.occurred_at);
    }

    fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn signal(status: SignalStatus, severity: Severity) -> Signal {
        let at = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("valid");
        let mut signal = Signal::new(
            Source::Generic,
            Fingerprint::from_key("generic", "db"),
            "Database down".into(),
            at,
        );
        signal.severity = severity;
        signal.status = status;
        signal.service = Some("db".into());
        signal
    }

    /// The same signal, `minutes` later (a new occurrence, not an exact re-send).
    fn later(mut signal: Signal, minutes: i64) -> Signal {
        signal.occurred_at += chrono::Duration::minutes(minutes);
        signal
    }

    fn opened() -> Incident {
        Incident::open(
            IncidentId::generate(),
            TenantId::generate(),
            IntegrationId::generate(),
            None,
            &signal(SignalStatus::Firing, Severity::High),
            Utc::now(),
        )
    }

    #[test]
    fn firing_signal_updates_an_open_incident() {
        let mut incident = opened();
        let change = incident.apply(
            &later(signal(SignalStatus::Firing, Severity::Critical), 1),
            Utc::now(),
        );
        assert_eq!(change, Change::Updated);
        assert_eq!(incident.occurrences, 2);
        assert_eq!(incident.severity, Severity::Critical);
        assert_eq!(incident.version, 2);
        assert_eq!(incident.status, IncidentStatus::Open);
    }

    #[test]
    fn resolved_signal_resolves_and_a_second_changes_nothing() {
        let mut incident = opened();
        let now = Utc::now();
        assert_eq!(
            incident.apply(&signal(SignalStatus::Resolved, Severity::High), now),
            Change::Resolved
        );
        assert_eq!(incident.status, IncidentStatus::Resolved);
        assert_eq!(incident.resolved_at, Some(now));
        let version = incident.version;
        assert_eq!(
            incident.apply(
                &later(signal(SignalStatus::Resolved, Severity::High), 5),
                now
            ),
            Change::Unchanged
        );
        assert_eq!(incident.version, version);
        assert!(incident.is_closed());
    }

    #[test]
    fn missing_optional_fields_do_not_erase_known_ones() {
        let mut incident = opened();
        let mut next = signal(SignalStatus::Firing, Severity::High);
        next.service = None;
        incident.apply(&later(next, 1), Utc::now());
        assert_eq!(incident.service.as_deref(), Some("db"));
    }

    #[test]
    fn an_exact_resend_is_a_duplicate_but_a_new_occurrence_updates() {
        let mut incident = opened();
        let same = signal(SignalStatus::Firing, Severity::High);
        assert_eq!(incident.apply(&same, Utc::now()), Change::Duplicate);
        assert_eq!(incident.occurrences, 1);
        assert_eq!(incident.apply(&later(same, 5), Utc::now()), Change::Updated);
        assert_eq!(incident.occurrences, 2);
    }

    #[test]
    fn acknowledge_assign_and_annotate_are_told_apart_and_do_not_count_occurrences() {
        let mut incident = opened();
        let mut ack = later(signal(SignalStatus::Acknowledged, Severity::High), 1);
        ack.assignee = Some("ben".into());
        assert_eq!(incident.apply(&ack, Utc::now()), Change::Acknowledged);
        assert_eq!(incident.status, IncidentStatus::Acknowledged);
        assert_eq!(incident.assignee.as_deref(), Some("ben"));

        let mut reassign = later(signal(SignalStatus::Acknowledged, Severity::High), 2);
        reassign.assignee = Some("dad".into());
        assert_eq!(
            incident.apply(&reassign.clone().not_an_occurrence(), Utc::now()),
            Change::Assigned
        );

        let mut note = later(signal(SignalStatus::Acknowledged, Severity::High), 3);
        note.assignee = Some("dad".into());
        note.note = Some("rolled back".into());
        assert_eq!(
            incident.apply(&note.not_an_occurrence(), Utc::now()),
            Change::Annotated
        );
        assert_eq!(incident.occurrences, 1);
    }

    #[test]
    fn a_resolved_issue_reopens_but_a_resolved_alert_stays_closed() {
        let mut issue = opened();
        issue.kind = SignalKind::Issue;
        issue.apply(
            &later(signal(SignalStatus::Resolved, Severity::High), 1),
            Utc::now(),
        );
        assert!(!issue.is_closed(), "issues reopen rather than start anew");
        let mut regressed = later(signal(SignalStatus::Firing, Severity::High), 2);
        regressed.kind = SignalKind::Issue;
        assert_eq!(issue.apply(&regressed, Utc::now()), Change::Reopened);
        assert_eq!(issue.status, IncidentStatus::Open);

        let mut alert = opened();
        alert.apply(
            &later(signal(SignalStatus::Resolved, Severity::High), 1),
            Utc::now(),
        );
        assert!(alert.is_closed());
    }

    #[test]
    fn severity_names_round_trip() {
        for name in ["critical", "high", "medium", "low", "info"] {
            let severity = Severity::parse(name).expect("known severity");
            assert_eq!(serde_json::to_value(severity).expect("serialises"), name);
        }
        assert_eq!(Severity::parse("urgent"), None);
    }
}
