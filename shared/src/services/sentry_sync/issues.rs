//! One Sentry issue into the hub: the same records, fingerprints and events the Sentry webhooks
//! give, emitting only on real changes; and the reconciliation of the hub's open Sentry issues.

use super::client::{Refusal, SentryApi};
use super::{Stop, SyncReport, RECONCILE_BATCH};
use crate::domain::incident::Change;
use crate::domain::sentry_config::SentrySyncState;
use crate::domain::{
    IncidentStatus, Integration, IntegrationId, SentryConfig, SignalStatus, Source,
};
use crate::services::ingest::{ingest_seen, ingest_signal, IngestChange};
use crate::sources::sentry_api::{issue_signals, last_seen, latest_event};
use crate::store::{IncidentFilters, PageRequest};
use crate::AppState;
use serde_json::Value;

/// What the job ingests as: the configuration stands for the integration (there is no webhook).
fn integration_of(config: &SentryConfig) -> Integration {
    Integration {
        id: IntegrationId::standing_for(&config.id),
        tenant_id: config.tenant_id.clone(),
        source: Source::Sentry,
        name: format!("Sentry sync {}/{}", config.org, config.project),
        project_id: Some(config.project_id.to_string()),
        config: serde_json::Map::new(),
        secret: None,
        unsigned: false,
        created_at: config.created_at,
    }
}

/// Upserts one listed issue. A `lastSeen` that has not moved is no new occurrence (a status or
/// assignee change, or nothing); an issue resolved here that Sentry still shows unresolved with
/// no new event stays resolved (the hub's decision stands until Sentry sees it again).
pub(super) async fn upsert(
    state: &AppState,
    config: &SentryConfig,
    api: &mut SentryApi<'_>,
    issue: &Value,
    events_left: &mut u32,
    report: &mut SyncReport,
) -> Result<(), Stop> {
    let now = state.clock.now();
    let Some(mut signals) = issue_signals(issue, &config.environment, now) else {
        return Ok(());
    };
    let current = state
        .store
        .find_incident_by_fingerprint(&config.tenant_id, &signals[0].fingerprint)
        .await?;
    let seen = last_seen(issue);
    let advanced = match (&current, seen) {
        (Some(incident), Some(seen)) => seen > incident.last_seen_at,
        (Some(_), None) => false,
        (None, _) => true,
    };
    let firing = signals[0].status == SignalStatus::Firing;
    if let Some(incident) = &current {
        if !advanced && firing && incident.status == IncidentStatus::Resolved {
            return Ok(());
        }
    }
    if !advanced {
        signals[0] = signals[0].clone().not_an_occurrence();
    }
    let regressed = current
        .as_ref()
        .is_some_and(|i| i.status == IncidentStatus::Resolved)
        && firing;
    if (current.is_none() || regressed) && firing && *events_left > 0 {
        *events_left -= 1;
        let id = signals[0].upstream_id.clone().unwrap_or_default();
        let path = format!("/organizations/{}/issues/{id}/events/latest/", config.org);
        match api.get(&path).await {
            Ok(page) => {
                report.events_fetched += 1;
                signals[0].error_event = latest_event(&page.body, &id, signals[0].url.as_deref());
            }
            // An issue whose events are gone (retention) still syncs.
            Err(Refusal::Missing(_)) => {}
            Err(refusal) => return Err(refusal.into()),
        }
    }
    let integration = integration_of(config);
    let mut current = Some(current);
    for (n, signal) in signals.iter().enumerate() {
        // The issue's own record was read above; the alert incident a resolve also closes
        // is read by ingest.
        let result = match current.take() {
            Some(read) => ingest_seen(state, &integration, signal, read).await?,
            None => ingest_signal(state, &integration, signal).await?,
        };
        if n > 0 {
            continue; // the alert incident an issue's resolve also closes is not counted
        }
        match result.change {
            IngestChange::Created => report.created += 1,
            IngestChange::Applied(Change::Resolved) => report.resolved += 1,
            IngestChange::Applied(Change::Assigned) => report.assigned += 1,
            IngestChange::Applied(Change::Duplicate | Change::Unchanged) => {}
            IngestChange::Applied(_) => report.updated += 1,
        }
    }
    Ok(())
}

/// One step of reading the hub's open Sentry issues of the configuration's project back from
/// Sentry (by id, whatever their status there), a page of the hub's list per run.
pub(super) async fn reconcile(
    state: &AppState,
    config: &SentryConfig,
    api: &mut SentryApi<'_>,
    sync: &mut SentrySyncState,
    events_left: &mut u32,
    report: &mut SyncReport,
) -> Result<(), Stop> {
    let filters = IncidentFilters {
        source: Some(Source::Sentry.as_str().into()),
        kind: Some("issue".into()),
        project_id: Some(config.project_id.to_string()),
        oldest_first: true,
        ..IncidentFilters::default()
    };
    let page = state
        .store
        .list_incidents_filtered(
            &config.tenant_id,
            &filters,
            &PageRequest {
                limit: Some(PageRequest::MAX_LIMIT),
                cursor: sync.reconcile_cursor.clone(),
            },
        )
        .await?;
    let open: Vec<String> = page
        .items
        .iter()
        .filter(|incident| incident.status != IncidentStatus::Resolved)
        .filter_map(|incident| incident.upstream_id.clone())
        .collect();
    for batch in open.chunks(RECONCILE_BATCH) {
        let ids: String = batch.iter().map(|id| format!("&id={id}")).collect();
        let path = format!("/organizations/{}/issues/?query={ids}", config.org);
        let answer = api.get(&path).await?;
        for issue in answer.body.as_array().into_iter().flatten() {
            report.reconciled += 1;
            upsert(state, config, api, issue, events_left, report).await?;
        }
    }
    sync.reconcile_cursor = page.next_cursor;
    if sync.reconcile_cursor.is_none() {
        sync.reconciled_at = Some(state.clock.now());
    }
    state.store.put_sentry_sync_state(config, sync).await?;
    Ok(())
}
