//! Incidents and their timelines, and the pure rule for applying a signal to an incident.

use super::{Fingerprint, IncidentId, IntegrationId, Signal, SignalStatus, Source, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

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
    /// Over.
    Resolved,
}

/// One problem, as Faultline tracks it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Its id.
    pub id: IncidentId,
    /// Its owner.
    pub tenant_id: TenantId,
    /// Identity of the problem within the tenant.
    pub fingerprint: Fingerprint,
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
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version: every write is conditional on the version it read.
    pub version: u64,
}

/// What applying a signal did to an incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A firing signal refreshed an open incident.
    Updated,
    /// A resolved signal closed an open incident.
    Resolved,
    /// Nothing to do (a resolve for an incident already resolved).
    Unchanged,
}

impl Incident {
    /// A new open incident from its first signal.
    pub fn open(
        id: IncidentId,
        tenant_id: TenantId,
        integration_id: IntegrationId,
        signal: &Signal,
        now: DateTime<Utc>,
    ) -> Self {
        let resolved = signal.status == SignalStatus::Resolved;
        Self {
            id,
            tenant_id,
            fingerprint: signal.fingerprint.clone(),
            source: signal.source,
            integration_id,
            title: signal.title.clone(),
            description: signal.description.clone(),
            severity: signal.severity,
            status: if resolved {
                IncidentStatus::Resolved
            } else {
                IncidentStatus::Open
            },
            service: signal.service.clone(),
            environment: signal.environment.clone(),
            url: signal.url.clone(),
            attributes: signal.attributes.clone(),
            occurrences: 1,
            first_seen_at: signal.occurred_at,
            last_seen_at: signal.occurred_at,
            created_at: now,
            updated_at: now,
            resolved_at: resolved.then_some(now),
            version: 1,
        }
    }

    /// Whether a firing signal for this fingerprint should open a new incident instead: once
    /// resolved, a recurrence is a new incident (as PagerDuty treats a dedup key).
    pub fn is_closed(&self) -> bool {
        self.status == IncidentStatus::Resolved
    }

    /// Applies a later signal with the same fingerprint. The caller writes the result back
    /// conditionally on the version it read.
    pub fn apply(&mut self, signal: &Signal, now: DateTime<Utc>) -> Change {
        match (self.status, signal.status) {
            (IncidentStatus::Resolved, _) => Change::Unchanged,
            (IncidentStatus::Open, SignalStatus::Resolved) => {
                self.status = IncidentStatus::Resolved;
                self.resolved_at = Some(now);
                self.touch(now);
                Change::Resolved
            }
            (IncidentStatus::Open, SignalStatus::Firing) => {
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
                self.occurrences += 1;
                self.first_seen_at = self.first_seen_at.min(signal.occurred_at);
                self.last_seen_at = self.last_seen_at.max(signal.occurred_at);
                self.touch(now);
                Change::Updated
            }
        }
    }

    fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }

    /// The public JSON form, used in API responses and event payloads.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "severity": self.severity,
            "status": self.status,
            "fingerprint": self.fingerprint,
            "source": self.source,
            "integration_id": self.integration_id,
            "service": self.service,
            "environment": self.environment,
            "url": self.url,
            "attributes": self.attributes,
            "occurrences": self.occurrences,
            "first_seen_at": self.first_seen_at,
            "last_seen_at": self.last_seen_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "resolved_at": self.resolved_at,
        })
    }
}

/// One line of an incident's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// What happened: `opened`, `signal`, `resolved`.
    pub kind: String,
    /// A sentence for people.
    pub message: String,
    /// Details for machines.
    pub data: Value,
}

impl TimelineEntry {
    /// The entry recording what a signal did to an incident.
    pub fn for_signal(signal: &Signal, kind: &str, message: String, at: DateTime<Utc>) -> Self {
        Self {
            at,
            kind: kind.to_owned(),
            message,
            data: json!({
                "source": signal.source,
                "status": signal.status,
                "severity": signal.severity,
                "title": signal.title,
                "occurred_at": signal.occurred_at,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn signal(status: SignalStatus, severity: Severity) -> Signal {
        Signal {
            source: Source::Generic,
            fingerprint: Fingerprint::from_key("generic", "db"),
            title: "Database down".into(),
            description: None,
            severity,
            status,
            service: Some("db".into()),
            environment: None,
            url: None,
            occurred_at: Utc
                .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .expect("valid"),
            attributes: Map::new(),
        }
    }

    fn opened() -> Incident {
        Incident::open(
            IncidentId::generate(),
            TenantId::generate(),
            IntegrationId::generate(),
            &signal(SignalStatus::Firing, Severity::High),
            Utc::now(),
        )
    }

    #[test]
    fn firing_signal_updates_an_open_incident() {
        let mut incident = opened();
        let change = incident.apply(
            &signal(SignalStatus::Firing, Severity::Critical),
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
            incident.apply(&signal(SignalStatus::Resolved, Severity::High), now),
            Change::Unchanged
        );
        assert_eq!(incident.version, version);
        assert!(incident.is_closed());
    }

    #[test]
    fn missing_optional_fields_do_not_erase_known_ones() {
        let mut incident = opened();
        let mut later = signal(SignalStatus::Firing, Severity::High);
        later.service = None;
        incident.apply(&later, Utc::now());
        assert_eq!(incident.service.as_deref(), Some("db"));
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
