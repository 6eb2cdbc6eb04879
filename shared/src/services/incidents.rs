//! People changing incidents: acknowledge, resolve, reopen, assign — each a timeline line and the
//! matching event, written with the incident in one transaction.

use super::ingest::{lifecycle_event, IngestChange};
use crate::domain::incident::{Change, ManualChangeRefused};
use crate::domain::{
    DestinationId, DomainEvent, Incident, IncidentId, ManualStatus, TenantId, TimelineEntry,
};
use crate::store::{IncidentWrite, StoreError};
use crate::views::{event_data, IncidentView};
use crate::AppState;
use serde_json::json;

/// Why a change was not made.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The change makes no sense in the incident's state.
    #[error(transparent)]
    Refused(#[from] ManualChangeRefused),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Applies a person's change to a tenant's incident; `None` when there is no such incident.
/// `actor` names who did it (for the timeline and the event); `origin` is the destination the
/// change came from (a ticket closed there), which is then not told back.
pub async fn change_incident(
    state: &AppState,
    tenant: &TenantId,
    id: &IncidentId,
    status: Option<ManualStatus>,
    assignee: Option<Option<String>>,
    actor: &str,
    origin: Option<&DestinationId>,
) -> Result<Option<(Incident, Vec<Change>)>, ChangeError> {
    for attempt in 0..8u64 {
        let Some(mut incident) = state.store.get_incident(tenant, id).await? else {
            return Ok(None);
        };
        let now = state.clock.now();
        let changes = incident.change_by_hand(status, assignee.clone(), now)?;
        if changes.is_empty() {
            return Ok(Some((incident, changes)));
        }
        let timeline: Vec<TimelineEntry> = changes
            .iter()
            .map(|change| {
                let (kind, message) = match change {
                    Change::Acknowledged => ("acknowledged", format!("acknowledged by {actor}")),
                    Change::Resolved => ("resolved", format!("resolved by {actor}")),
                    Change::Reopened => ("reopened", format!("reopened by {actor}")),
                    _ => (
                        "assigned",
                        match &incident.assignee {
                            Some(who) => format!("assigned to {who} by {actor}"),
                            None => format!("unassigned by {actor}"),
                        },
                    ),
                };
                TimelineEntry {
                    at: now,
                    kind: kind.into(),
                    message,
                    data: json!({"actor": actor, "status": incident.status, "assignee": incident.assignee}),
                }
            })
            .collect();
        let mut events: Vec<DomainEvent> = Vec::new();
        for change in &changes {
            let event_type = lifecycle_event(incident.kind, IngestChange::Applied(*change));
            if !events.iter().any(|e| e.event_type == event_type) {
                let mut event = DomainEvent::new(
                    tenant.clone(),
                    event_type,
                    event_data(&IncidentView::from(&incident)),
                    now,
                );
                event.origin = origin.cloned();
                events.push(event);
            }
        }
        let write = IncidentWrite {
            incident: &incident,
            timeline: &timeline,
            events: &events,
            receipt: None,
            error_event: None,
        };
        match state.store.update_incident(write).await {
            Ok(()) => {
                return Ok(Some((incident, changes)));
            }
            Err(StoreError::Conflict) => {
                let pause = rand::random_range(5..40u64) * (attempt + 1);
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(StoreError::Aws("incident change lost 8 races in a row".into()).into())
}
