//! Deadlock analysis as signals arrive: a signal whose text speaks of a deadlock (an alert's
//! description, a Sentry error's message and exception values, a scanned log record) is read by
//! [`crate::deadlocks::find`] and recorded as an occurrence of its group. Signals that do not
//! mention one cost nothing (a text search, no AWS call).

use crate::deadlocks::find;
use crate::domain::deadlock::{group_of, DeadlockGroup, DeadlockOccurrence, MAX_REPORT_CHARS};
use crate::domain::{IncidentId, Signal, TenantId};
use crate::store::StoreError;
use crate::AppState;
use chrono::{DateTime, Utc};

/// The signal's text that may hold a deadlock report: its title, description, and its error
/// event's message and exception values; `None` when none mentions a deadlock.
pub fn report_text(signal: &Signal) -> Option<String> {
    let mut parts: Vec<&str> = vec![signal.title.as_str()];
    parts.extend(signal.description.as_deref());
    if let Some(event) = &signal.error_event {
        parts.extend(event.message.as_deref());
        parts.extend(event.exceptions.iter().filter_map(|e| e.value.as_deref()));
    }
    let text = parts.join("\n");
    text.to_ascii_lowercase()
        .contains("deadlock")
        .then_some(text)
}

/// Records the deadlock `signal` reports, if any, as an occurrence on `incident`: its group's id.
pub async fn record(
    state: &AppState,
    tenant: &TenantId,
    incident: &IncidentId,
    signal: &Signal,
    at: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
    let Some(text) = report_text(signal) else {
        return Ok(None);
    };
    let Some(finding) = find(&text) else {
        return Ok(None);
    };
    let (id, engine, parsed, summary, deadlock) = group_of(&finding);
    let group = DeadlockGroup {
        id: id.clone(),
        tenant_id: tenant.clone(),
        engine,
        parsed,
        summary,
        relations: deadlock.map(|d| d.relations.clone()).unwrap_or_default(),
        modes: deadlock.map(|d| d.modes.clone()).unwrap_or_default(),
        count: 1,
        first_seen_at: at,
        last_seen_at: at,
        latest: deadlock.cloned(),
        last_incident_id: Some(incident.clone()),
    };
    let kept = crate::text::truncated(&text, MAX_REPORT_CHARS);
    let occurrence = DeadlockOccurrence {
        group_id: id.clone(),
        at,
        incident_id: incident.clone(),
        text: kept,
    };
    state.store.record_deadlock(&group, &occurrence).await?;
    Ok(Some(id))
}
