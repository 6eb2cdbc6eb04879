//! Reports as the API shows them.

use crate::reports::{Bucket, IncidentSummary, Point};
use crate::services::reports::{DestinationVolume, EndpointDeliveries};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// `GET /v1/reports/summary`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReportSummaryView {
    /// From.
    pub since: DateTime<Utc>,
    /// To.
    pub until: DateTime<Utc>,
    /// The project filter.
    pub project_id: Option<String>,
    /// The service filter.
    pub service: Option<String>,
    /// The source filter.
    pub source: Option<String>,
    /// True when the range held more than 200,000 incidents and only the first were counted.
    pub truncated: bool,
    /// The incidents opened in the range.
    #[serde(flatten)]
    pub summary: IncidentSummary,
    /// Delivery success and latency per endpoint over the range's last 14 days at most (only for
    /// a caller with `endpoints:read`).
    pub deliveries: Option<Vec<EndpointDeliveries>>,
    /// Notification attempts per destination in the range (the ledger keeps 30 days; only for a
    /// caller with `notifications:read`).
    pub notifications: Option<Vec<DestinationVolume>>,
}

/// `GET /v1/reports/timeseries`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TimeseriesView {
    /// From (rounded down to its bucket).
    pub since: DateTime<Utc>,
    /// To.
    pub until: DateTime<Utc>,
    /// `hour` or `day`.
    pub bucket: Bucket,
    /// True when the range held more than 200,000 incidents.
    pub truncated: bool,
    /// Every bucket, oldest first (zeros included).
    pub points: Vec<Point>,
}
