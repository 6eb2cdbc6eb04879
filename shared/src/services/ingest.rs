//! Signal → incident: same fingerprint, same incident; a resolve closes it; a recurrence after
//! resolution opens a new one. Race-free through the fingerprint guard and version checks.

use super::outbox::publish_parked;
use crate::domain::incident::Change;
use crate::domain::{
    DomainEvent, EventType, Incident, IncidentId, Integration, Signal, SignalStatus, TimelineEntry,
};
use crate::store::{IncidentWrite, StoreError};
use crate::AppState;

/// What a signal did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IngestChange {
    /// Opened a new incident.
    Created,
    /// Refreshed an open incident.
    Updated,
    /// Resolved an open incident.
    Resolved,
    /// Nothing to change (a resolve with nothing open).
    Unchanged,
}

impl IngestChange {
    /// Lowercase name for responses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Resolved => "resolved",
            Self::Unchanged => "unchanged",
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

/// Applies a signal from `integration` to its tenant's incidents, writes the change with its
/// timeline line and events atomically, then publishes the events.
pub async fn ingest_signal(
    state: &AppState,
    integration: &Integration,
    signal: &Signal,
) -> Result<IngestResult, StoreError> {
    let tenant = &integration.tenant_id;
    for _ in 0..MAX_RACE_RETRIES {
        let now = state.clock.now();
        let current = state
            .store
            .find_incident_by_fingerprint(tenant, &signal.fingerprint)
            .await?;
        let attempt = match current {
            Some(mut incident)
                if !incident.is_closed() || signal.status == SignalStatus::Resolved =>
            {
                let change = incident.apply(signal, now);
                let (event_type, kind, message) = match change {
                    Change::Unchanged => {
                        return Ok(IngestResult {
                            incident_id: Some(incident.id),
                            change: IngestChange::Unchanged,
                        })
                    }
                    Change::Updated => (
                        EventType::IncidentUpdated,
                        "signal",
                        format!(
                            "{} signal received ({} occurrences)",
                            signal.source.as_str(),
                            incident.occurrences
                        ),
                    ),
                    Change::Resolved => (
                        EventType::IncidentResolved,
                        "resolved",
                        format!("resolved by {} signal", signal.source.as_str()),
                    ),
                };
                let result = IngestResult {
                    incident_id: Some(incident.id.clone()),
                    change: if change == Change::Resolved {
                        IngestChange::Resolved
                    } else {
                        IngestChange::Updated
                    },
                };
                let timeline = TimelineEntry::for_signal(signal, kind, message, now);
                let events = [DomainEvent::new(
                    tenant.clone(),
                    event_type,
                    incident.to_json(),
                    now,
                )];
                let write = IncidentWrite {
                    incident: &incident,
                    timeline: &timeline,
                    events: &events,
                };
                state
                    .store
                    .update_incident(write)
                    .await
                    .map(|()| (result, events))
            }
            closed_or_none => {
                if signal.status == SignalStatus::Resolved {
                    // A resolve for something never opened: nothing to close.
                    return Ok(IngestResult {
                        incident_id: None,
                        change: IngestChange::Unchanged,
                    });
                }
                let replaces = closed_or_none.map(|closed| closed.id);
                let incident = Incident::open(
                    IncidentId::generate(),
                    tenant.clone(),
                    integration.id.clone(),
                    signal,
                    now,
                );
                let timeline = TimelineEntry::for_signal(
                    signal,
                    "opened",
                    format!(
                        "opened by {} signal: {}",
                        signal.source.as_str(),
                        signal.title
                    ),
                    now,
                );
                let events = [DomainEvent::new(
                    tenant.clone(),
                    EventType::IncidentCreated,
                    incident.to_json(),
                    now,
                )];
                let write = IncidentWrite {
                    incident: &incident,
                    timeline: &timeline,
                    events: &events,
                };
                let result = IngestResult {
                    incident_id: Some(incident.id.clone()),
                    change: IngestChange::Created,
                };
                state
                    .store
                    .create_incident(write, replaces.as_ref())
                    .await
                    .map(|()| (result, events))
            }
        };
        match attempt {
            Ok((result, events)) => {
                publish_parked(state, &events).await;
                return Ok(result);
            }
            // Another writer changed the incident or took the fingerprint: read again.
            Err(StoreError::Conflict) => continue,
            Err(other) => return Err(other),
        }
    }
    Err(StoreError::Aws(format!(
        "incident write lost {MAX_RACE_RETRIES} races in a row"
    )))
}
