//! Deadlock analysis as signals arrive: a signal whose text speaks of a deadlock (an alert's
//! description, a Sentry error's message and exception values, a scanned log record) is read by
//! [`crate::deadlocks::find`], and a `deadlock.detected` event is written with the incident's
//! change, in the same transaction. The fan-out records it as an occurrence of its group (and
//! delivers it to the endpoints subscribed). Signals that do not mention a deadlock cost a text
//! search.

use crate::deadlocks::{find, Deadlock, Engine};
use crate::domain::deadlock::{group_of, DeadlockGroup, DeadlockOccurrence, MAX_REPORT_CHARS};
use crate::domain::{DomainEvent, EventType, Incident, IncidentId, Signal};
use crate::store::StoreError;
use crate::AppState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The `data` of `deadlock.detected`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeadlockReport {
    /// The incident whose signal carried it.
    pub incident_id: IncidentId,
    /// Its group (`dl_…`).
    pub group_id: String,
    /// The database, when known.
    pub engine: Option<Engine>,
    /// Whether it parsed.
    pub parsed: bool,
    /// The relations, modes and participants in a line.
    pub summary: String,
    /// The relations involved.
    pub relations: Vec<String>,
    /// The lock modes involved.
    pub modes: Vec<String>,
    /// The wait-for graph, when it parsed.
    pub deadlock: Option<Deadlock>,
    /// The report's text (at most 8,000 characters).
    pub text: String,
}

/// The signal's text that may hold a deadlock report: its title, description, and its error
/// event's message and exception values; `None` when none mentions a deadlock.
pub fn report_text(signal: &Signal) -> Option<String> {
    let mut parts: Vec<&str> = vec![signal.title.as_str()];
    parts.extend(signal.description.as_deref());
    if let Some(event) = &signal.error_event {
        parts.extend(event.message.as_deref());
        parts.extend(event.exceptions.iter().filter_map(|e| e.value.as_deref()));
    }
    // Every signal passes here on the ingest path: look before allocating anything.
    parts
        .iter()
        .any(|part| mentions_deadlock(part))
        .then(|| parts.join("\n"))
}

/// Whether `text` says "deadlock", in any case.
fn mentions_deadlock(text: &str) -> bool {
    text.as_bytes()
        .windows(8)
        .any(|w| w.eq_ignore_ascii_case(b"deadlock"))
}

/// The `deadlock.detected` event for `signal` applied to `incident`, if it reports a deadlock.
pub fn detected(signal: &Signal, incident: &Incident, now: DateTime<Utc>) -> Option<DomainEvent> {
    let text = report_text(signal)?;
    let finding = find(&text)?;
    let (group_id, engine, parsed, summary, deadlock) = group_of(&finding);
    let report = DeadlockReport {
        incident_id: incident.id.clone(),
        group_id,
        engine,
        parsed,
        summary,
        relations: deadlock.map(|d| d.relations.clone()).unwrap_or_default(),
        modes: deadlock.map(|d| d.modes.clone()).unwrap_or_default(),
        deadlock: deadlock.cloned(),
        text: crate::text::truncated(&text, MAX_REPORT_CHARS),
    };
    let data = serde_json::to_value(&report).ok()?;
    Some(DomainEvent::new(
        incident.tenant_id.clone(),
        EventType::DeadlockDetected,
        data,
        now,
    ))
}

/// Records a `deadlock.detected` event as an occurrence of its group (writing it again changes
/// nothing); other events are left alone.
pub async fn record(state: &AppState, event: &DomainEvent) -> Result<(), StoreError> {
    if event.event_type != EventType::DeadlockDetected {
        return Ok(());
    }
    let report: DeadlockReport = serde_json::from_value(event.data.clone())
        .map_err(|e| StoreError::Codec(format!("deadlock.detected: {e}")))?;
    let group = DeadlockGroup {
        id: report.group_id.clone(),
        tenant_id: event.tenant_id.clone(),
        engine: report.engine,
        parsed: report.parsed,
        summary: report.summary,
        relations: report.relations,
        modes: report.modes,
        count: 1,
        first_seen_at: event.timestamp,
        last_seen_at: event.timestamp,
        latest: report.deadlock,
        last_incident_id: Some(report.incident_id.clone()),
    };
    let occurrence = DeadlockOccurrence {
        group_id: report.group_id,
        at: event.timestamp,
        incident_id: report.incident_id,
        text: report.text,
    };
    state.store.record_deadlock(&group, &occurrence).await
}
