//! Suspect changes for a new incident: the merged changes in its scope shortly before it opened,
//! ranked, as a timeline line and a `hypothesis.generated` event.

use crate::domain::{rank_suspects, DomainEvent, EventType, Incident, TimelineEntry};
use crate::store::StoreError;
use crate::views::{event_data, DeployView, IncidentView};
use crate::AppState;
use chrono::{DateTime, Utc};
use serde_json::json;

/// Suspect changes for a new incident: merged in its scope within the window before its first
/// occurrence, closest first.
pub(crate) async fn hypothesis(
    state: &AppState,
    incident: &Incident,
    now: DateTime<Utc>,
) -> Result<Option<(TimelineEntry, DomainEvent)>, StoreError> {
    let window = state.config.suspect_window;
    let changes = state
        .store
        .deploys_between(
            &incident.tenant_id,
            incident.first_seen_at - window,
            incident.first_seen_at,
        )
        .await?;
    let suspects = rank_suspects(
        changes,
        incident.project_id.as_deref(),
        incident.first_seen_at,
        window,
    );
    if suspects.is_empty() {
        return Ok(None);
    }
    let ranked: Vec<_> = suspects
        .iter()
        .enumerate()
        .map(|(rank, s)| {
            let mut change = event_data(&DeployView::from(&s.change));
            change["rank"] = json!(rank + 1);
            change["minutes_before"] = json!(s.before.num_minutes());
            change["reason"] = json!(s.reason());
            change
        })
        .collect();
    let top = &suspects[0];
    let entry = TimelineEntry {
        at: now,
        kind: "hypothesis".into(),
        message: format!(
            "suspect change: {}#{} \"{}\" ({})",
            top.change.repo,
            top.change.number,
            top.change.title,
            top.reason()
        ),
        data: json!({"suspects": ranked}),
    };
    let event = DomainEvent::new(
        incident.tenant_id.clone(),
        EventType::HypothesisGenerated,
        json!({"incident": event_data(&IncidentView::from(incident)), "suspects": ranked}),
        now,
    );
    Ok(Some((entry, event)))
}
