//! The other way: a ticket or page the hub opened changed at its provider (a Jira issue done, a
//! GitHub issue reopened, a PagerDuty incident resolved), so its incident follows — as the
//! provider's user, marked as coming from that destination so nothing is sent back to it. A
//! comment written there goes onto the incident's timeline.

use super::incidents::{change_incident, ChangeError};
use crate::domain::{
    DestinationId, DomainEvent, EventType, Integration, ManualStatus, TimelineEntry,
};
use crate::sources::{TicketAction, TicketChange};
use crate::store::StoreError;
use crate::text::truncated;
use crate::AppState;
use serde_json::{json, Value};

/// Applies `change` to the incident its ticket stands for; the answer says what was done. A
/// ticket the notification log does not link to that incident (in this tenant, at a destination
/// of that kind) changes nothing.
pub async fn apply_ticket_change(
    state: &AppState,
    integration: &Integration,
    change: &TicketChange,
) -> Result<Value, StoreError> {
    let tenant = &integration.tenant_id;
    let entries = state
        .store
        .log_entries_of(tenant, &change.incident_id)
        .await?;
    let mut linked = None;
    for entry in entries {
        if entry.ticket.as_ref().is_some_and(|t| t.key == change.key) {
            let destination =
                super::notify::cached_destination(state, tenant, &entry.destination_id).await?;
            if destination.is_some_and(|d| d.target.kind() == change.kind) {
                linked = Some(entry.destination_id);
                break;
            }
        }
    }
    let Some(destination_id) = linked else {
        return Ok(json!({"status": "ignored", "reason": format!(
            "{} is not linked to incident {} here", change.key, change.incident_id)}));
    };
    let status = match &change.action {
        TicketAction::Acknowledge => ManualStatus::Acknowledged,
        TicketAction::Resolve => ManualStatus::Resolved,
        TicketAction::Reopen => ManualStatus::Reopened,
        TicketAction::Comment(text) => {
            return mirror_comment(state, integration, change, &destination_id, text).await
        }
    };
    let changed = change_incident(
        state,
        tenant,
        &change.incident_id,
        Some(status),
        None,
        &change.actor,
        Some(&destination_id),
    )
    .await;
    match changed {
        Ok(Some((incident, changes))) => Ok(json!({
            "status": "accepted",
            "incident_id": change.incident_id,
            "incident_status": incident.status,
            "change": if changes.is_empty() { "unchanged" } else { "applied" },
            "destination_id": destination_id,
        })),
        Ok(None) => Ok(json!({"status": "ignored",
            "reason": format!("incident {} no longer exists", change.incident_id)})),
        Err(ChangeError::Refused(refused)) => Ok(json!({"status": "ignored",
            "incident_id": change.incident_id, "reason": refused.to_string()})),
        Err(ChangeError::Store(err)) => Err(err),
    }
}

/// Puts a comment written on the ticket onto the incident's timeline (`timeline.updated`, marked
/// as coming from that destination).
async fn mirror_comment(
    state: &AppState,
    integration: &Integration,
    change: &TicketChange,
    destination_id: &DestinationId,
    text: &str,
) -> Result<Value, StoreError> {
    let tenant = &integration.tenant_id;
    let Some(incident) = state
        .store
        .get_incident(tenant, &change.incident_id)
        .await?
    else {
        return Ok(json!({"status": "ignored",
            "reason": format!("incident {} no longer exists", change.incident_id)}));
    };
    let now = state.clock.now();
    let entry = TimelineEntry {
        at: now,
        kind: "comment".into(),
        message: format!(
            "{} commented on {}: {}",
            change.actor,
            change.key,
            truncated(text.trim(), 1000)
        ),
        data: json!({"destination_id": destination_id, "ticket": change.key, "actor": change.actor}),
    };
    let mut event = DomainEvent::new(
        tenant.clone(),
        EventType::TimelineUpdated,
        json!({"incident_id": incident.id, "entry": entry}),
        now,
    );
    event.origin = Some(destination_id.clone());
    state
        .store
        .add_timeline_entry(&incident, &entry, &[event])
        .await?;
    Ok(
        json!({"status": "accepted", "incident_id": incident.id, "change": "annotated",
        "destination_id": destination_id}),
    )
}
