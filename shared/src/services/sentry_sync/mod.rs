//! The Sentry sync: for each active configuration with a token, the issues Sentry changed since
//! the configuration's watermark, upserted into the records the Sentry webhooks write; then, now
//! and then, the hub's open Sentry issues read back from Sentry to close what was resolved there
//! (a status change does not move `lastSeen`). Checkpointed after every page, so a run stopped by
//! its deadline, a rate limit or a crash resumes where it was, losing and doubling nothing.

pub mod client;
mod issues;

use crate::domain::job::JobFailure;
use crate::domain::sentry_config::{SentrySyncState, SyncPass};
use crate::domain::SentryConfig;
use crate::services::jobs::raise_alarm;
use crate::store::{PageRequest, StoreError};
use crate::AppState;
use chrono::{DateTime, Duration, Utc};
use client::{Refusal, SentryApi};
use serde::Serialize;
use tokio::time::Instant;

/// Late-ingested events can carry a `lastSeen` a little before the watermark: ask again for a
/// margin before it (re-reading an issue changes nothing).
pub const OVERLAP: Duration = Duration::minutes(5);
/// What a configuration's first pass reaches back to.
pub const FIRST_LOOKBACK: Duration = Duration::hours(24);
/// How often the hub's open issues are read back from Sentry.
pub const RECONCILE_EVERY: Duration = Duration::minutes(15);
/// Issues asked for by id in one call.
const RECONCILE_BATCH: usize = 25;
/// Latest events fetched in one run (one call each); the rest wait for their next change.
const EVENTS_PER_RUN: u32 = 100;

/// What one configuration's run did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SyncReport {
    /// The configuration.
    pub config_id: String,
    /// Calls made to Sentry.
    pub sentry_calls: u32,
    /// Issues Sentry listed.
    pub issues_read: u32,
    /// New issues in the hub.
    pub created: u32,
    /// Issues changed (new events, regressions, details).
    pub updated: u32,
    /// Issues resolved or ignored in Sentry, resolved here.
    pub resolved: u32,
    /// Issues whose assignee changed.
    pub assigned: u32,
    /// Latest events fetched for new and regressed issues.
    pub events_fetched: u32,
    /// Open issues read back from Sentry by the reconciliation pass.
    pub reconciled: u32,
    /// Whether the pass reached the last page (the watermark moved).
    pub complete: bool,
    /// Why the run stopped early, if it did.
    pub stopped: Option<String>,
}

/// Runs every configuration the job works for, until `deadline`; one configuration's failure
/// never stops the others.
pub async fn sync_all(state: &AppState, deadline: Instant) -> Result<Vec<SyncReport>, StoreError> {
    let mut reports = Vec::new();
    let mut page = PageRequest {
        limit: Some(PageRequest::MAX_LIMIT),
        cursor: None,
    };
    loop {
        let configs = state.store.syncable_sentry_configs(&page).await?;
        for config in configs.items {
            if Instant::now() >= deadline {
                return Ok(reports);
            }
            reports.push(sync_config(state, &config, deadline).await?);
        }
        match configs.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => return Ok(reports),
        }
    }
}

/// Runs one configuration until it is done or `deadline`.
pub async fn sync_config(
    state: &AppState,
    config: &SentryConfig,
    deadline: Instant,
) -> Result<SyncReport, StoreError> {
    let mut sync = state.store.sentry_sync_state(config).await?;
    let mut report = SyncReport {
        config_id: config.id.to_string(),
        ..SyncReport::default()
    };
    let now = state.clock.now();
    if let Some(until) = sync.paused_until.filter(|until| *until > now) {
        report.stopped = Some(format!("Sentry asked to wait until {until}"));
        return Ok(report);
    }
    let token = match open_token(state, config).await {
        Ok(token) => token,
        Err(reason) => {
            fail(
                state,
                config,
                &mut sync,
                reason,
                JobFailure::Broken,
                &mut report,
            )
            .await?;
            return Ok(report);
        }
    };
    let mut api = SentryApi {
        sender: state.sender(),
        base: format!("{}/api/0", config.api_base()),
        token,
        deadline,
        calls: 0,
    };
    let outcome = run(state, config, &mut api, &mut sync, &mut report).await;
    report.sentry_calls = api.calls;
    let (reason, how) = match outcome {
        Ok(()) => {
            sync.health.succeeded(state.clock.now());
            state.store.put_sentry_sync_state(config, &sync).await?;
            return Ok(report);
        }
        Err(Stop::Store(e)) => return Err(e),
        Err(Stop::Refused(Refusal::OutOfTime)) => {
            report.stopped = Some("the run's time was up; the next run resumes here".into());
            state.store.put_sentry_sync_state(config, &sync).await?;
            return Ok(report);
        }
        Err(Stop::Refused(Refusal::RateLimited(until))) => {
            sync.paused_until = Some(until);
            (
                format!("rate limited by Sentry until {until}"),
                JobFailure::Degraded,
            )
        }
        Err(Stop::Refused(Refusal::Broken(reason) | Refusal::Missing(reason))) => {
            (reason, JobFailure::Broken)
        }
        Err(Stop::Refused(Refusal::Unavailable(reason))) => (reason, JobFailure::Degraded),
    };
    fail(state, config, &mut sync, reason, how, &mut report).await?;
    Ok(report)
}

/// Why a run stopped before its end.
enum Stop {
    Store(StoreError),
    Refused(Refusal),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<Refusal> for Stop {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}

async fn open_token(state: &AppState, config: &SentryConfig) -> Result<String, String> {
    let sealed = config
        .auth_token
        .as_ref()
        .ok_or("the configuration has no auth token")?;
    let cipher = state
        .cipher()
        .await
        .map_err(|e| format!("the data key could not be read: {e}"))?;
    cipher
        .open(sealed, &config.token_context())
        .map_err(|_| "the stored auth token could not be opened".to_owned())
}

fn since_text(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// The pass over changed issues, then (when it completed and is due) reconciliation.
async fn run(
    state: &AppState,
    config: &SentryConfig,
    api: &mut SentryApi<'_>,
    sync: &mut SentrySyncState,
    report: &mut SyncReport,
) -> Result<(), Stop> {
    let now = state.clock.now();
    let mut pass = sync.pass.clone().unwrap_or_else(|| SyncPass {
        since: sync
            .watermark
            .map_or(now - FIRST_LOOKBACK, |mark| mark - OVERLAP),
        cursor: String::new(),
        high: sync.watermark,
    });
    let mut events_left = EVENTS_PER_RUN.saturating_sub(report.events_fetched);
    loop {
        let mut path = format!(
            "/projects/{}/{}/issues/?query={}&environment={}&sort=date&statsPeriod=&limit=100",
            config.org,
            config.project,
            urlencoding(&format!("lastSeen:>{}", since_text(pass.since))),
            urlencoding(&config.environment),
        );
        if !pass.cursor.is_empty() {
            path.push_str(&format!("&cursor={}", urlencoding(&pass.cursor)));
        }
        let page = api.get(&path).await?;
        let listed = page.body.as_array().cloned().unwrap_or_default();
        for issue in &listed {
            report.issues_read += 1;
            issues::upsert(state, config, api, issue, &mut events_left, report).await?;
            if let Some(seen) = crate::sources::sentry_api::last_seen(issue) {
                pass.high = Some(pass.high.map_or(seen, |high| high.max(seen)));
            }
        }
        match page.next {
            // A checkpoint only between pages: every way a run ends saves the state anyway.
            Some(cursor) => {
                pass.cursor = cursor;
                sync.pass = Some(pass.clone());
                state.store.put_sentry_sync_state(config, sync).await?;
            }
            None => {
                sync.watermark = pass.high.or(sync.watermark);
                sync.pass = None;
                report.complete = true;
            }
        }
        if page.rate.exhausted() {
            let until = page.rate.reset.unwrap_or(now + Duration::seconds(60));
            return Err(Refusal::RateLimited(until).into());
        }
        if report.complete {
            break;
        }
    }
    let due = sync
        .reconciled_at
        .is_none_or(|at| now - at >= RECONCILE_EVERY);
    if due || sync.reconcile_cursor.is_some() {
        issues::reconcile(state, config, api, sync, &mut events_left, report).await?;
    }
    Ok(())
}

/// A failed run: its health, and the alarm when failures keep coming.
async fn fail(
    state: &AppState,
    config: &SentryConfig,
    sync: &mut SentrySyncState,
    reason: String,
    how: JobFailure,
    report: &mut SyncReport,
) -> Result<(), StoreError> {
    let now = state.clock.now();
    tracing::warn!(config = %config.id, tenant = %config.tenant_id, reason = %reason, "sentry sync failed");
    let alarm = sync.health.failed(now, reason.clone());
    report.stopped = Some(reason);
    state.store.put_sentry_sync_state(config, sync).await?;
    if alarm {
        raise_alarm(
            state,
            "sentry-sync",
            &config.tenant_id,
            &config.id,
            &sync.health,
            how,
            now,
        )
        .await?;
    }
    Ok(())
}

/// Percent-encodes a query value.
fn urlencoding(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
