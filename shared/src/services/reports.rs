//! Reports: the incidents opened in a range read once, page by page (1,000 at a time, by their
//! time-ordered ids, so only the range is read), into the tallies of [`crate::reports`]; the
//! delivery and notification parts from the ledgers the endpoints' statistics and the
//! notification log already keep.

use super::ServiceError;
use crate::domain::{DeployRecord, Incident, TenantId};
use crate::reports::{Bucket, IncidentSummary, Point, SeriesBuilder, SummaryBuilder};
use crate::store::{IncidentFilters, PageRequest, StoreError};
use crate::AppState;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The most incidents a report reads; past it, the report says it is truncated.
pub const MAX_INCIDENTS: usize = 200_000;
/// The most changes related to incidents.
const MAX_CHANGES: usize = 10_000;
/// The most notifications counted.
const MAX_NOTIFICATIONS: usize = 100_000;
/// The longest window of delivery statistics (the attempts' own retention).
pub const DELIVERY_WINDOW: Duration = Duration::days(14);

/// What a report covers.
#[derive(Clone, Debug)]
pub struct ReportRange {
    /// From (inclusive).
    pub since: DateTime<Utc>,
    /// To (inclusive).
    pub until: DateTime<Utc>,
    /// Only this project's incidents.
    pub project_id: Option<String>,
    /// Only this service's.
    pub service: Option<String>,
    /// Only this source's.
    pub source: Option<String>,
}

/// Calls `each` on every incident opened in `range`, oldest first: true when it stopped at
/// [`MAX_INCIDENTS`].
async fn each_incident(
    state: &AppState,
    tenant: &TenantId,
    range: &ReportRange,
    mut each: impl FnMut(&Incident),
) -> Result<bool, StoreError> {
    let filters = IncidentFilters {
        project_id: range.project_id.clone(),
        service: range.service.clone(),
        source: range.source.clone(),
        since: Some(range.since),
        until: Some(range.until),
        oldest_first: true,
        ..Default::default()
    };
    let mut page = PageRequest {
        limit: Some(PageRequest::BULK_LIMIT),
        cursor: None,
    };
    let mut read = 0;
    loop {
        let found = state
            .store
            .list_incidents_filtered(tenant, &filters, &page)
            .await?;
        read += found.items.len();
        found.items.iter().for_each(&mut each);
        match found.next_cursor {
            Some(_) if read >= MAX_INCIDENTS => return Ok(true),
            Some(cursor) => page.cursor = Some(cursor),
            None => return Ok(false),
        }
    }
}

/// The incident summary of `range`, relating incidents to changes merged up to `window` before
/// them: the summary, and whether it was cut at [`MAX_INCIDENTS`].
pub async fn incident_summary(
    state: &AppState,
    tenant: &TenantId,
    range: &ReportRange,
    window: Duration,
) -> Result<(IncidentSummary, bool), StoreError> {
    let changes: Vec<DeployRecord> = state
        .store
        .changes_between(tenant, range.since - window, range.until, MAX_CHANGES)
        .await?
        .into_iter()
        .filter(|c| range.project_id.is_none() || c.project_id == range.project_id)
        .collect();
    let mut builder = SummaryBuilder::new(changes, window);
    let truncated = each_incident(state, tenant, range, |i| builder.add(i)).await?;
    Ok((builder.finish(), truncated))
}

/// Counts per `bucket` over `range`: the points, and whether it was cut.
pub async fn incident_series(
    state: &AppState,
    tenant: &TenantId,
    range: &ReportRange,
    bucket: Bucket,
) -> Result<(Vec<Point>, bool), StoreError> {
    let mut series = SeriesBuilder::new(range.since, range.until, bucket);
    let truncated = each_incident(state, tenant, range, |i| series.add(i)).await?;
    Ok((series.finish(), truncated))
}

/// Deliveries to one endpoint.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EndpointDeliveries {
    /// The endpoint (`ep_…`).
    pub endpoint_id: String,
    /// Its URL.
    pub url: String,
    /// Finished attempts.
    pub attempts: usize,
    /// Of which succeeded.
    pub succeeded: usize,
    /// `succeeded / attempts`.
    pub success_rate: Option<f64>,
    /// Median latency of answered attempts, in milliseconds.
    pub latency_p50_ms: Option<u64>,
    /// 99th percentile.
    pub latency_p99_ms: Option<u64>,
}

/// Delivery success and latency per endpoint since `since` (at most [`DELIVERY_WINDOW`] back).
pub async fn endpoint_deliveries(
    state: &AppState,
    tenant: &TenantId,
    since: DateTime<Utc>,
) -> Result<Vec<EndpointDeliveries>, ServiceError> {
    let window = (state.clock.now() - since).clamp(Duration::hours(1), DELIVERY_WINDOW);
    let mut out = Vec::new();
    for endpoint in state.store.all_endpoints(tenant).await? {
        let stats = super::ledger::endpoint_stats(state, &endpoint, window).await?;
        out.push(EndpointDeliveries {
            endpoint_id: endpoint.id.to_string(),
            url: endpoint.url.to_string(),
            attempts: stats.attempts,
            succeeded: stats.succeeded,
            success_rate: stats.success_rate,
            latency_p50_ms: stats.latency_ms.p50,
            latency_p99_ms: stats.latency_ms.p99,
        });
    }
    Ok(out)
}

/// Notifications to one destination.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct DestinationVolume {
    /// The destination (`dst_…`).
    pub destination_id: String,
    /// Attempts by status (`sent`, `failed`, …).
    pub by_status: BTreeMap<String, u64>,
    /// All attempts.
    pub total: u64,
}

/// Notification attempts per destination in `range` (the ledger keeps 30 days).
pub async fn notification_volume(
    state: &AppState,
    tenant: &TenantId,
    range: &ReportRange,
) -> Result<Vec<DestinationVolume>, StoreError> {
    let records = state
        .store
        .notifications_between(tenant, range.since, range.until, MAX_NOTIFICATIONS)
        .await?;
    let mut volumes: BTreeMap<String, DestinationVolume> = BTreeMap::new();
    for record in records {
        let id = record.destination_id.to_string();
        let volume = volumes
            .entry(id.clone())
            .or_insert_with(|| DestinationVolume {
                destination_id: id,
                ..Default::default()
            });
        let status = serde_json::to_value(record.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        *volume.by_status.entry(status).or_default() += 1;
        volume.total += 1;
    }
    Ok(volumes.into_values().collect())
}
