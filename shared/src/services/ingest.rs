//! Signal → incident. Identity is the fingerprint (the upstream id where the source has one);
//! an exact re-send changes nothing; every line on a timeline says why the signal landed there.
//! Race-free through the fingerprint guard and version checks.

use crate::domain::incident::Change;
use crate::domain::{
    DomainEvent, EventType, Incident, IncidentId, Integration, Signal, SignalKind, SignalStatus,
    TimelineEntry,
};
use crate::store::{IncidentWrite, Receipt, StoreError};
use crate::views::{event_data, IncidentView};
use crate::AppState;
use chrono::{DateTime, Utc};

/// What a signal did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IngestChange {
    /// Opened a new incident (or issue).
    Created,
    /// Changed an existing one.
    Applied(Change),
}

impl IngestChange {
    /// Lowercase name for responses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Applied(change) => match change {
                Change::Updated => "updated",
                Change::Acknowledged => "acknowledged",
                Change::Assigned => "assigned",
                Change::Annotated => "annotated",
                Change::Resolved => "resolved",
                Change::Reopened => "reopened",
                Change::Duplicate => "duplicate",
                Change::Unchanged => "unchanged",
            },
        }
    }
}

/// The incident a signal landed on, and what it did there.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestResult {
    /// The incident, when there is one.
    pub incident_id: Option<IncidentId>,
    /// What changed.
    pub change: IngestChange,
}

/// How many times a write that lost a race is retried with fresh state.
const MAX_RACE_RETRIES: usize = 8;

fn merge_reason(signal: &Signal) -> String {
    match &signal.upstream_id {
        Some(id) => format!("same upstream id {id}"),
        None => "same fingerprint".to_owned(),
    }
}

/// The lifecycle event of a change to an incident (alerts) or issue, whoever made it.
pub fn lifecycle_event(kind: SignalKind, change: IngestChange) -> EventType {
    use EventType::*;
    match (kind, change) {
        (SignalKind::Alert, IngestChange::Created) => IncidentCreated,
        (SignalKind::Alert, IngestChange::Applied(Change::Resolved)) => IncidentResolved,
        (SignalKind::Alert, IngestChange::Applied(Change::Assigned)) => IncidentAssigned,
        (SignalKind::Alert, IngestChange::Applied(Change::Annotated)) => TimelineUpdated,
        (SignalKind::Alert, IngestChange::Applied(_)) => IncidentUpdated,
        (SignalKind::Issue, IngestChange::Created) => IssueCreated,
        (SignalKind::Issue, IngestChange::Applied(Change::Resolved)) => IssueResolved,
        (SignalKind::Issue, IngestChange::Applied(Change::Annotated)) => TimelineUpdated,
        (SignalKind::Issue, IngestChange::Applied(Change::Assigned)) => IssueAssigned,
        (SignalKind::Issue, IngestChange::Applied(_)) => IssueUpdated,
    }
}

/// The events a change emits: lifecycle events per kind, plus the alert stream for alerts.
fn events_for(change: IngestChange, incident: &Incident, signal: &Signal) -> Vec<EventType> {
    use EventType::*;
    let lifecycle = Some(lifecycle_event(incident.kind, change));
    let alert = match (incident.kind, signal.status) {
        (SignalKind::Alert, SignalStatus::Firing) if signal.is_occurrence() => Some(AlertTriggered),
        (SignalKind::Alert, SignalStatus::Resolved) => Some(AlertResolved),
        _ => None,
    };
    lifecycle.into_iter().chain(alert).collect()
}

fn timeline_line(
    change: IngestChange,
    incident: &Incident,
    signal: &Signal,
) -> (&'static str, String) {
    let source = signal.source.as_str();
    match change {
        IngestChange::Created => (
            "opened",
            format!("opened by {source} signal: {}", signal.title),
        ),
        IngestChange::Applied(Change::Resolved) => {
            ("resolved", format!("resolved by {source} signal"))
        }
        IngestChange::Applied(Change::Acknowledged) => (
            "acknowledged",
            format!(
                "acknowledged in {source}{}",
                signal
                    .assignee
                    .as_ref()
                    .map(|a| format!(" by {a}"))
                    .unwrap_or_default()
            ),
        ),
        IngestChange::Applied(Change::Assigned) => (
            "assigned",
            format!(
                "assigned to {}",
                incident.assignee.as_deref().unwrap_or("nobody")
            ),
        ),
        IngestChange::Applied(Change::Annotated) => {
            ("note", signal.note.clone().unwrap_or_default())
        }
        IngestChange::Applied(Change::Reopened) => {
            ("reopened", format!("reopened: {source} says it regressed"))
        }
        IngestChange::Applied(_) => (
            "signal",
            format!(
                "{source} signal received ({} occurrences)",
                incident.occurrences
            ),
        ),
    }
}

/// What a signal does to the incident its fingerprint finds: the change, the incident after it,
/// the closed incident a recurrence replaces, and why the signal joined (or opened) it.
#[derive(Debug)]
struct Plan {
    change: IngestChange,
    incident: Incident,
    replaces: Option<IncidentId>,
    reason: String,
}

/// A plan to write, or the answer when there is nothing to write.
#[derive(Debug)]
enum Planned {
    Write(Box<Plan>),
    Nothing(IngestResult),
}

/// Decides what `signal` does, given the incident `current` its fingerprint finds (the pure part
/// of ingestion, tested without storage).
fn plan(
    current: Option<Incident>,
    integration: &Integration,
    signal: &Signal,
    now: DateTime<Utc>,
) -> Planned {
    match current {
        Some(mut incident) if !(incident.is_closed() && signal.status == SignalStatus::Firing) => {
            let change = incident.apply(signal, now);
            if matches!(change, Change::Duplicate | Change::Unchanged) {
                return Planned::Nothing(IngestResult {
                    incident_id: Some(incident.id),
                    change: IngestChange::Applied(change),
                });
            }
            Planned::Write(Box::new(Plan {
                change: IngestChange::Applied(change),
                incident,
                replaces: None,
                reason: merge_reason(signal),
            }))
        }
        closed_or_none => {
            if signal.status == SignalStatus::Resolved {
                // A resolve for something never opened here: nothing to close.
                return Planned::Nothing(IngestResult {
                    incident_id: closed_or_none.map(|i| i.id),
                    change: IngestChange::Applied(Change::Unchanged),
                });
            }
            let reason = match &closed_or_none {
                Some(closed) => format!("recurrence after {} was resolved", closed.id),
                None => "new fingerprint".to_owned(),
            };
            let incident = Incident::open(
                IncidentId::generate(),
                integration.tenant_id.clone(),
                integration.id.clone(),
                integration.project_id.clone(),
                signal,
                now,
            );
            Planned::Write(Box::new(Plan {
                change: IngestChange::Created,
                incident,
                replaces: closed_or_none.map(|c| c.id),
                reason,
            }))
        }
    }
}

/// Applies a signal from `integration` to its tenant's incidents, writes the change with its
/// timeline lines and events atomically, then publishes the events.
pub async fn ingest_signal(
    state: &AppState,
    integration: &Integration,
    signal: &Signal,
) -> Result<IngestResult, StoreError> {
    ingest_received(state, integration, signal, &mut None).await
}

/// [`ingest_signal`] for a signal of an inbound delivery whose receipt is not yet written: a
/// write the signal makes carries the receipt (taken from `receipt`), and fails with
/// `AlreadyReceived`, changing nothing, when the delivery was received before. A signal that
/// changes nothing leaves the receipt for the caller to write.
pub async fn ingest_received(
    state: &AppState,
    integration: &Integration,
    signal: &Signal,
    receipt: &mut Option<&Receipt>,
) -> Result<IngestResult, StoreError> {
    ingest_with(state, integration, signal, receipt, None).await
}

/// [`ingest_signal`] for a caller that has just read the incident the signal's fingerprint
/// finds (`current`, `None` when there is none): that read stands for the first attempt's, so
/// the store is not asked twice. A lost race reads again, as always.
pub async fn ingest_seen(
    state: &AppState,
    integration: &Integration,
    signal: &Signal,
    current: Option<Incident>,
) -> Result<IngestResult, StoreError> {
    ingest_with(state, integration, signal, &mut None, Some(current)).await
}

async fn ingest_with(
    state: &AppState,
    integration: &Integration,
    signal: &Signal,
    receipt: &mut Option<&Receipt>,
    mut known: Option<Option<Incident>>,
) -> Result<IngestResult, StoreError> {
    let tenant = &integration.tenant_id;
    let bounded = signal.clone().bounded();
    let signal = &bounded;
    for attempt in 0..MAX_RACE_RETRIES {
        let now = state.clock.now();
        let current = match known.take() {
            Some(current) => current,
            None => {
                state
                    .store
                    .find_incident_by_fingerprint(tenant, &signal.fingerprint)
                    .await?
            }
        };
        let Plan {
            change,
            incident,
            replaces,
            reason,
        } = match plan(current, integration, signal, now) {
            Planned::Write(plan) => *plan,
            Planned::Nothing(result) => return Ok(result),
        };
        let mut timeline = Vec::new();
        let (kind, message) = timeline_line(change, &incident, signal);
        timeline.push(TimelineEntry::for_signal(
            signal, kind, message, &reason, now,
        ));
        let mut events: Vec<DomainEvent> = events_for(change, &incident, signal)
            .into_iter()
            .map(|event_type| {
                DomainEvent::new(
                    tenant.clone(),
                    event_type,
                    event_data(&IncidentView::from(&incident)),
                    now,
                )
            })
            .collect();
        if change == IngestChange::Created && incident.kind == SignalKind::Alert {
            if let Some((entry, event)) = super::suspects::hypothesis(state, &incident, now).await?
            {
                timeline.push(entry);
                events.push(event);
            }
        }
        events.extend(super::deadlocks::detected(signal, &incident, now));
        let error_event = signal
            .error_event
            .as_ref()
            .map(|event| crate::domain::ErrorEvent {
                incident_id: Some(incident.id.clone()),
                ..event.clone()
            });
        let write = IncidentWrite {
            incident: &incident,
            timeline: &timeline,
            events: &events,
            receipt: *receipt,
            error_event: error_event.as_ref(),
        };
        let written = match change {
            IngestChange::Created => state.store.create_incident(write, replaces.as_ref()).await,
            IngestChange::Applied(_) => state.store.update_incident(write).await,
        };
        match written {
            Ok(()) => {
                receipt.take();
                return Ok(IngestResult {
                    incident_id: Some(incident.id),
                    change,
                });
            }
            // Another writer changed the incident or took the fingerprint: read again, after a
            // short random pause so that racing writers do not collide again in lockstep.
            Err(StoreError::Conflict) => {
                let pause = rand::random_range(5..40u64) * (attempt as u64 + 1);
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                continue;
            }
            Err(other) => return Err(other),
        }
    }
    Err(StoreError::Aws(format!(
        "incident write lost {MAX_RACE_RETRIES} races in a row"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Fingerprint, IntegrationId, Source, TenantId};

    fn integration() -> Integration {
        Integration {
            id: IntegrationId::generate(),
            tenant_id: TenantId::generate(),
            source: Source::Generic,
            name: "g".into(),
            project_id: None,
            config: Default::default(),
            secret: None,
            unsigned: true,
            created_at: Utc::now(),
        }
    }

    fn signal(status: SignalStatus) -> Signal {
        let mut signal = Signal::new(
            Source::Generic,
            Fingerprint::from_key("generic", "disk-full"),
            "Disk full".into(),
            Utc::now(),
        );
        signal.status = status;
        signal
    }

    fn written(planned: Planned) -> Plan {
        match planned {
            Planned::Write(plan) => *plan,
            Planned::Nothing(result) => panic!("nothing written: {result:?}"),
        }
    }

    #[test]
    fn a_new_fingerprint_opens_an_incident_with_its_line_and_events() {
        let integration = integration();
        let firing = signal(SignalStatus::Firing);
        let plan = written(plan(None, &integration, &firing, Utc::now()));
        assert_eq!(plan.change, IngestChange::Created);
        assert_eq!(plan.reason, "new fingerprint");
        assert_eq!(plan.replaces, None);
        let (kind, message) = timeline_line(plan.change, &plan.incident, &firing);
        assert_eq!(kind, "opened");
        assert_eq!(message, "opened by generic signal: Disk full");
        assert_eq!(
            events_for(plan.change, &plan.incident, &firing),
            [EventType::IncidentCreated, EventType::AlertTriggered]
        );
    }

    #[test]
    fn a_resolve_closes_the_open_incident_and_says_so() {
        let integration = integration();
        let opened = written(plan(
            None,
            &integration,
            &signal(SignalStatus::Firing),
            Utc::now(),
        ));
        let resolved = signal(SignalStatus::Resolved);
        let plan = written(plan(
            Some(opened.incident),
            &integration,
            &resolved,
            Utc::now(),
        ));
        assert_eq!(plan.change, IngestChange::Applied(Change::Resolved));
        assert_eq!(plan.reason, "same fingerprint");
        let (kind, _) = timeline_line(plan.change, &plan.incident, &resolved);
        assert_eq!(kind, "resolved");
        assert_eq!(
            events_for(plan.change, &plan.incident, &resolved),
            [EventType::IncidentResolved, EventType::AlertResolved]
        );
    }

    #[test]
    fn a_resolve_for_nothing_open_and_an_exact_duplicate_write_nothing() {
        let integration = integration();
        assert!(matches!(
            plan(
                None,
                &integration,
                &signal(SignalStatus::Resolved),
                Utc::now()
            ),
            Planned::Nothing(IngestResult {
                incident_id: None,
                change: IngestChange::Applied(Change::Unchanged)
            })
        ));
        let firing = signal(SignalStatus::Firing);
        let opened = written(plan(None, &integration, &firing, Utc::now()));
        assert!(matches!(
            plan(Some(opened.incident), &integration, &firing, Utc::now()),
            Planned::Nothing(IngestResult {
                change: IngestChange::Applied(Change::Duplicate),
                ..
            })
        ));
    }

    #[test]
    fn firing_again_after_a_resolve_opens_a_recurrence() {
        let integration = integration();
        let firing = signal(SignalStatus::Firing);
        let opened = written(plan(None, &integration, &firing, Utc::now()));
        let closed = written(plan(
            Some(opened.incident),
            &integration,
            &signal(SignalStatus::Resolved),
            Utc::now(),
        ))
        .incident;
        let closed_id = closed.id.clone();
        let recurrence = written(plan(Some(closed), &integration, &firing, Utc::now()));
        assert_eq!(recurrence.change, IngestChange::Created);
        assert_eq!(recurrence.replaces, Some(closed_id.clone()));
        assert_eq!(
            recurrence.reason,
            format!("recurrence after {closed_id} was resolved")
        );
    }

    #[test]
    fn issues_have_their_own_lifecycle_events() {
        assert_eq!(
            lifecycle_event(SignalKind::Issue, IngestChange::Created),
            EventType::IssueCreated
        );
        assert_eq!(
            lifecycle_event(SignalKind::Issue, IngestChange::Applied(Change::Resolved)),
            EventType::IssueResolved
        );
        assert_eq!(
            lifecycle_event(SignalKind::Alert, IngestChange::Applied(Change::Annotated)),
            EventType::TimelineUpdated
        );
        assert_eq!(
            lifecycle_event(SignalKind::Alert, IngestChange::Applied(Change::Assigned)),
            EventType::IncidentAssigned
        );
    }
}
