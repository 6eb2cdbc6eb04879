//! The CloudWatch Logs scan: for each enabled log source, `FilterLogEvents` from its checkpoint
//! to now less the ingestion lag, page after page (`nextToken` until it is absent — a page may
//! be empty with more to come), capped per run and resumed next time. The filter pattern is
//! applied again in the hub, so what matches is the same on AWS and on an emulator that ignores
//! patterns. Events are reassembled into records, grouped by shape, and each group lands on its
//! issue as one signal counting every repeat, with sample lines kept as evidence.

mod groups;
pub mod reader;

use crate::domain::incident::Change;
use crate::domain::job::JobFailure;
use crate::domain::log_source::{LogScanState, ScanWindow};
use crate::domain::{DomainEvent, EventType, Integration, IntegrationId, LogSource, Source};
use crate::logs::records::{postgres_prefix, reassemble, LogLine};
use crate::logs::FilterPattern;
use crate::services::ingest::{ingest_signal, IngestChange};
use crate::services::jobs::raise_alarm;
use crate::store::{PageRequest, StoreError};
use crate::AppState;
use chrono::Duration;
use reader::{read_page, PageQuery, ReadFailure};
use serde::Serialize;
use serde_json::json;
use tokio::time::Instant;

/// Events younger than this may not be searchable yet: a window ends this long before now.
pub const INGESTION_LAG: Duration = Duration::seconds(60);
/// Where a new source's first window starts.
pub const FIRST_LOOKBACK: Duration = Duration::minutes(5);
/// Pages read per source and run; the rest waits for the next run.
pub const PAGES_PER_RUN: u32 = 50;
/// PostgreSQL errors whose continuation lines (`DETAIL`, `STATEMENT`, …) are fetched per run.
const CONTINUATIONS_PER_RUN: u32 = 20;

/// What one source's run did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScanReport {
    /// The log source.
    pub log_source_id: String,
    /// `FilterLogEvents` calls.
    pub calls: u32,
    /// Events read.
    pub events_read: u64,
    /// Records that matched the pattern (after reassembly).
    pub records_matched: u64,
    /// New issues.
    pub issues_created: u32,
    /// Issues that counted more occurrences.
    pub issues_updated: u32,
    /// Whether the scan reached now less the lag.
    pub caught_up: bool,
    /// Why the run stopped early, if it did.
    pub stopped: Option<String>,
}

/// Scans every enabled source until `deadline`.
pub async fn scan_all(state: &AppState, deadline: Instant) -> Result<Vec<ScanReport>, StoreError> {
    let mut reports = Vec::new();
    let mut page = PageRequest {
        limit: Some(PageRequest::MAX_LIMIT),
        cursor: None,
    };
    loop {
        let sources = state.store.scannable_log_sources(&page).await?;
        for source in sources.items {
            if Instant::now() >= deadline {
                return Ok(reports);
            }
            reports.push(scan_source(state, &source, deadline).await?);
        }
        match sources.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => return Ok(reports),
        }
    }
}

/// What the scan ingests as: the log source stands for the integration.
fn integration_of(source: &LogSource) -> Integration {
    Integration {
        id: IntegrationId::standing_for(&source.id),
        tenant_id: source.tenant_id.clone(),
        source: Source::Cloudwatch,
        name: source.name.clone(),
        project_id: source.project_id.as_ref().map(ToString::to_string),
        config: serde_json::Map::new(),
        secret: None,
        unsigned: false,
        created_at: source.created_at,
    }
}

/// Scans one source until it is caught up, its page cap, or `deadline`.
pub async fn scan_source(
    state: &AppState,
    source: &LogSource,
    deadline: Instant,
) -> Result<ScanReport, StoreError> {
    let mut scan = state.store.log_scan_state(source).await?;
    let mut report = ScanReport {
        log_source_id: source.id.to_string(),
        ..ScanReport::default()
    };
    let outcome = match FilterPattern::parse(&source.filter_pattern) {
        Ok(pattern) => run(state, source, &pattern, &mut scan, &mut report, deadline).await,
        Err(e) => {
            Err(ReadFailure::Broken(format!("the filter pattern does not parse: {e}")).into())
        }
    };
    let now = state.clock.now();
    let (reason, how) = match outcome {
        Ok(()) => {
            scan.health.succeeded(now);
            state.store.put_log_scan_state(source, &scan).await?;
            return Ok(report);
        }
        Err(Stop::Store(e)) => return Err(e),
        Err(Stop::Read(ReadFailure::Broken(reason))) => (reason, JobFailure::Broken),
        Err(Stop::Read(ReadFailure::Degraded(reason))) => (reason, JobFailure::Degraded),
    };
    tracing::warn!(source = %source.id, tenant = %source.tenant_id, reason = %reason, "log scan failed");
    let alarm = scan.health.failed(now, reason.clone());
    report.stopped = Some(reason);
    state.store.put_log_scan_state(source, &scan).await?;
    if alarm {
        raise_alarm(
            state,
            "cloudwatch-scan",
            &source.tenant_id,
            &source.id,
            &scan.health,
            how,
            now,
        )
        .await?;
    }
    Ok(report)
}

enum Stop {
    Store(StoreError),
    Read(ReadFailure),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<ReadFailure> for Stop {
    fn from(e: ReadFailure) -> Self {
        Self::Read(e)
    }
}

async fn run(
    state: &AppState,
    source: &LogSource,
    pattern: &FilterPattern,
    scan: &mut LogScanState,
    report: &mut ScanReport,
    deadline: Instant,
) -> Result<(), Stop> {
    let now_ms = state.clock.now().timestamp_millis();
    let mut window = scan.window.clone().unwrap_or_else(|| ScanWindow {
        start_ms: scan
            .checkpoint_ms
            .unwrap_or(now_ms - FIRST_LOOKBACK.num_milliseconds()),
        end_ms: now_ms - INGESTION_LAG.num_milliseconds(),
        next_token: None,
    });
    if window.start_ms > window.end_ms {
        report.caught_up = true;
        return Ok(());
    }
    let client = reader::client_for(state, source).await?;
    let mut last_call = None;
    let mut continuations = CONTINUATIONS_PER_RUN;
    // The newest event seen in this window, and the ids at that millisecond.
    let mut newest: Option<(i64, Vec<String>)> = None;
    for _ in 0..PAGES_PER_RUN {
        if Instant::now() >= deadline {
            report.stopped = Some("the run's time was up; the next run resumes here".into());
            return Ok(());
        }
        report.calls += 1;
        let page = read_page(
            &client,
            PageQuery {
                group: &source.log_group,
                stream: None,
                pattern: &source.filter_pattern,
                start_ms: window.start_ms,
                end_ms: window.end_ms,
                next_token: window.next_token.clone(),
            },
            &mut last_call,
        )
        .await?;
        report.events_read += page.lines.len() as u64;
        for line in &page.lines {
            newest = match newest.take() {
                Some((ms, mut ids)) if ms == line.timestamp_ms => {
                    ids.push(line.id.clone());
                    Some((ms, ids))
                }
                Some((ms, ids)) if ms > line.timestamp_ms => Some((ms, ids)),
                _ => Some((line.timestamp_ms, vec![line.id.clone()])),
            };
        }
        let fresh: Vec<LogLine> = page
            .lines
            .into_iter()
            .filter(|line| {
                !(Some(line.timestamp_ms) == scan.checkpoint_ms
                    && scan.boundary_ids.contains(&line.id))
            })
            .collect();
        let mut records = reassemble(fresh);
        records.retain(|record| pattern.matches(&record.message));
        for record in &mut records {
            if continuations > 0 && needs_continuation(&record.message) {
                continuations -= 1;
                report.calls += 1;
                complete_postgres_record(&client, source, record, &mut last_call).await?;
            }
        }
        report.records_matched += records.len() as u64;
        ingest(state, source, records, report).await?;
        match page.next_token {
            Some(token) => {
                window.next_token = Some(token);
                scan.window = Some(window.clone());
                state.store.put_log_scan_state(source, scan).await?;
            }
            None => {
                match newest.take() {
                    Some((ms, ids)) if Some(ms) == scan.checkpoint_ms => {
                        scan.boundary_ids.extend(ids);
                    }
                    Some((ms, ids)) => {
                        scan.checkpoint_ms = Some(ms);
                        scan.boundary_ids = ids;
                    }
                    None => {
                        scan.checkpoint_ms = Some(window.end_ms);
                        scan.boundary_ids.clear();
                    }
                }
                scan.window = None;
                report.caught_up = true;
                return Ok(());
            }
        }
    }
    report.stopped = Some(format!(
        "read {PAGES_PER_RUN} pages; the next run resumes here"
    ));
    Ok(())
}

/// A PostgreSQL `ERROR`/`FATAL` line alone: its `DETAIL`, `STATEMENT`, … lines did not match
/// the pattern, so they are not in the page.
fn needs_continuation(message: &str) -> bool {
    !message.contains('\n')
        && postgres_prefix(message).is_some_and(|(_, level)| matches!(level, "ERROR:" | "FATAL:"))
}

/// Reads the lines of `record`'s stream logged in the second after it, and joins those that
/// continue it (same session prefix and pid).
async fn complete_postgres_record(
    client: &aws_sdk_cloudwatchlogs::Client,
    source: &LogSource,
    record: &mut crate::logs::records::Record,
    last_call: &mut Option<Instant>,
) -> Result<(), ReadFailure> {
    let page = read_page(
        client,
        PageQuery {
            group: &source.log_group,
            stream: Some(&record.first.stream),
            pattern: "",
            start_ms: record.first.timestamp_ms,
            end_ms: record.first.timestamp_ms + 1_000,
            next_token: None,
        },
        last_call,
    )
    .await?;
    let lines: Vec<LogLine> = std::iter::once(record.first.clone())
        .chain(page.lines.into_iter().filter(|l| l.id != record.first.id))
        .collect();
    if let Some(whole) = reassemble(lines).into_iter().next() {
        record.message = whole.message;
    }
    Ok(())
}

/// Each group onto its issue, then its samples as evidence.
async fn ingest(
    state: &AppState,
    source: &LogSource,
    records: Vec<crate::logs::records::Record>,
    report: &mut ScanReport,
) -> Result<(), StoreError> {
    let integration = integration_of(source);
    for group in groups::group(source, records) {
        let signal = groups::signal(source, &group);
        let result = ingest_signal(state, &integration, &signal).await?;
        match result.change {
            IngestChange::Created => report.issues_created += 1,
            // A page read again after a crash: already counted, its evidence already kept.
            IngestChange::Applied(Change::Duplicate) => continue,
            IngestChange::Applied(_) => report.issues_updated += 1,
        }
        let Some(issue) = result.incident_id else {
            continue;
        };
        state
            .store
            .put_evidence(&source.tenant_id, &issue, &group.samples)
            .await?;
        let event = DomainEvent::new(
            source.tenant_id.clone(),
            EventType::EvidenceAdded,
            json!({"issue_id": issue, "log_source_id": source.id, "lines": group.samples}),
            state.clock.now(),
        );
        state.store.park_events(&[event]).await?;
    }
    Ok(())
}
