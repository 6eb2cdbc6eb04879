//! Which destinations an event goes to: the tenant's rules, evaluated in `fanout`.

use super::incident_of;
use crate::domain::notification::{route, Subject};
use crate::domain::DomainEvent;
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
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let subject = Subject {
        event_type: event.event_type,
        incident: &incident,
    };
    Ok(route(&rules, &subject)
        .into_iter()
        .map(|r| NotifyTask {
            tenant_id: event.tenant_id.clone(),
            event: event.clone(),
            destination_id: r.destination_id,
            rule_id: r.rule_id,
            throttle: r.throttle,
            attempt: 1,
            flood_summary_of: None,
            released_from_window: false,
        })
        .collect())
}
