//! Merged changes: into the tenant's change log, and onto the timeline of every open incident in
//! the same scope (so responders see what shipped while it burns).

use crate::domain::{DeployId, DeployRecord, DomainEvent, EventType, Integration, TimelineEntry};
use crate::sources::DeployDraft;
use crate::store::StoreError;
use crate::views::{event_data, DeployView};
use crate::AppState;
use serde_json::json;

/// Records a merged change and attaches it to open incidents in scope; returns the change and how
/// many incidents it was attached to.
pub async fn record_deploy(
    state: &AppState,
    integration: &Integration,
    draft: DeployDraft,
) -> Result<(DeployRecord, usize), StoreError> {
    let now = state.clock.now();
    let change = DeployRecord {
        id: DeployId::generate(),
        tenant_id: integration.tenant_id.clone(),
        project_id: integration.project_id.clone(),
        integration_id: integration.id.clone(),
        repo: draft.repo,
        number: draft.number,
        title: draft.title,
        author: draft.author,
        merge_commit: draft.merge_commit,
        url: draft.url,
        merged_at: draft.merged_at,
    };
    let recorded = [DomainEvent::new(
        change.tenant_id.clone(),
        EventType::DeployRecorded,
        event_data(&DeployView::from(&change)),
        now,
    )];
    state.store.record_change(&change, &recorded).await?;

    let open = state
        .store
        .open_incidents_in_scope(&change.tenant_id, change.project_id.as_deref())
        .await?;
    for incident in &open {
        let entry = TimelineEntry {
            at: now,
            kind: "deploy".into(),
            message: format!(
                "deploy: {}#{} \"{}\" merged by {}",
                change.repo, change.number, change.title, change.author
            ),
            data: event_data(&DeployView::from(&change)),
        };
        let events = [DomainEvent::new(
            change.tenant_id.clone(),
            EventType::TimelineUpdated,
            json!({"incident_id": incident.id, "entry": entry}),
            now,
        )];
        state
            .store
            .add_timeline_entry(incident, &entry, &events)
            .await?;
    }
    Ok((change, open.len()))
}
