//! Which destinations an event goes to: the tenant's rules, evaluated in `fanout`.

use super::incident_of;
use crate::domain::notification::{route, Subject, Throttle};
use crate::domain::{DomainEvent, EventType, IncidentId};
use crate::queue::NotifyTask;
use crate::services::ServiceError;
use crate::AppState;

/// The notification tasks `event` makes under the tenant's rules (none for an event that is not
/// about an incident or issue, or that no rule routes).
pub async fn route_event(
    state: &AppState,
    event: &DomainEvent,
) -> Result<Vec<NotifyTask>, ServiceError> {
    if !crate::domain::notification::NOTIFIED_EVENT_TYPES.contains(&event.event_type) {
        return Ok(Vec::new());
    }
    let Some(incident) = incident_of(event) else {
        return Ok(Vec::new());
    };
    let rules = state.store.all_notification_rules(&event.tenant_id).await?;
    let subject = Subject {
        event_type: event.event_type,
        incident: &incident,
    };
    let task = |destination_id, rule_id, throttle| NotifyTask {
        tenant_id: event.tenant_id.clone(),
        event: event.clone(),
        destination_id,
        rule_id,
        throttle,
        attempt: 1,
        flood_summary_of: None,
        released_from_window: false,
        by_hand: false,
    };
    let mut tasks: Vec<NotifyTask> = route(&rules, &subject)
        .into_iter()
        .map(|r| task(r.destination_id, Some(r.rule_id), r.throttle))
        .collect();
    // A resolve reaches every ticket and page the incident has, even when no rule routes
    // resolves there (or the rule that opened it changed since).
    if event.event_type == EventType::IncidentResolved {
        if let Some(id) = IncidentId::parse(&incident.id) {
            for entry in state.store.log_entries_of(&event.tenant_id, &id).await? {
                let routed = tasks
                    .iter()
                    .any(|t| t.destination_id == entry.destination_id);
                if entry.ticket.is_some() && !routed {
                    tasks.push(task(entry.destination_id, None, Throttle::default()));
                }
            }
        }
    }
    Ok(tasks)
}
