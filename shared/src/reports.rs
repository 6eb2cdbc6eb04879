//! Reports over a time range of incidents, computed in one pass as the incidents are read (page
//! by page, so memory holds the tallies, not the incidents): counts by severity, status, source
//! and service; time to acknowledge and to resolve (p50, p90, mean) overall, by service and by
//! severity; the noisiest fingerprints; incidents opened soon after a merged change, per
//! repository; and counts per hour or day for charts.

use crate::domain::{DeployRecord, Incident};
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// Fingerprints listed as the noisiest.
const TOP_FINGERPRINTS: usize = 10;

/// p50, p90 and mean of durations, in seconds (`null` without any).
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct DurationStats {
    /// How many incidents had one.
    pub count: u64,
    /// The median.
    pub p50_seconds: Option<i64>,
    /// The 90th percentile.
    pub p90_seconds: Option<i64>,
    /// The mean.
    pub mean_seconds: Option<f64>,
}

/// Durations collected, then summarised.
#[derive(Clone, Debug, Default)]
struct Durations(Vec<i64>);

impl Durations {
    fn add(&mut self, from: DateTime<Utc>, to: Option<DateTime<Utc>>) {
        if let Some(to) = to {
            self.0.push((to - from).num_seconds().max(0));
        }
    }

    fn stats(mut self) -> DurationStats {
        self.0.sort_unstable();
        let n = self.0.len();
        let rank = |p: f64| -> Option<i64> {
            let last = n.checked_sub(1)?;
            Some(self.0[((p * last as f64).round() as usize).min(last)])
        };
        DurationStats {
            count: n as u64,
            p50_seconds: rank(0.5),
            p90_seconds: rank(0.9),
            mean_seconds: (n > 0).then(|| self.0.iter().sum::<i64>() as f64 / n as f64),
        }
    }
}

/// Time to acknowledge and to resolve of a group of incidents.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct ResponseTimes {
    /// Incidents in the group.
    pub incidents: u64,
    /// From opened to acknowledged (incidents acknowledged).
    pub mtta: DurationStats,
    /// From opened to resolved (incidents resolved).
    pub mttr: DurationStats,
}

#[derive(Clone, Debug, Default)]
struct Times {
    incidents: u64,
    ack: Durations,
    resolve: Durations,
}

impl Times {
    fn add(&mut self, incident: &Incident) {
        self.incidents += 1;
        self.ack.add(incident.created_at, incident.acknowledged_at);
        self.resolve.add(incident.created_at, incident.resolved_at);
    }

    fn finish(self) -> ResponseTimes {
        ResponseTimes {
            incidents: self.incidents,
            mtta: self.ack.stats(),
            mttr: self.resolve.stats(),
        }
    }
}

/// A noisy fingerprint.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct NoisyFingerprint {
    /// The fingerprint.
    pub fingerprint: String,
    /// The latest incident's title.
    pub title: String,
    /// Incidents it opened in the range.
    pub incidents: u64,
    /// Signals grouped into them.
    pub occurrences: u64,
}

/// Incidents opened within a window after a merged change.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct AfterChanges {
    /// The window, in hours.
    pub window_hours: i64,
    /// Incidents opened within it after some change.
    pub incidents: u64,
    /// The same, per repository of the latest change before each.
    pub by_repository: BTreeMap<String, u64>,
}

/// The incident part of a summary report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct IncidentSummary {
    /// Incidents opened in the range.
    pub incidents: u64,
    /// By severity.
    pub by_severity: BTreeMap<String, u64>,
    /// By status (now).
    pub by_status: BTreeMap<String, u64>,
    /// By source.
    pub by_source: BTreeMap<String, u64>,
    /// By service (`(none)` for incidents without one).
    pub by_service: BTreeMap<String, u64>,
    /// Time to acknowledge and resolve, overall.
    pub overall: ResponseTimes,
    /// The same per service.
    pub by_service_times: BTreeMap<String, ResponseTimes>,
    /// The same per severity.
    pub by_severity_times: BTreeMap<String, ResponseTimes>,
    /// The fingerprints that opened the most incidents (then the most signals).
    pub top_fingerprints: Vec<NoisyFingerprint>,
    /// Incidents opened soon after merged changes.
    pub after_changes: AfterChanges,
}

fn name(value: impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Tallies incidents one at a time.
#[derive(Debug, Default)]
pub struct SummaryBuilder {
    summary: IncidentSummary,
    overall: Times,
    by_service: HashMap<String, Times>,
    by_severity: HashMap<String, Times>,
    fingerprints: HashMap<String, NoisyFingerprint>,
    /// Merged changes, oldest first, and the window after each.
    changes: Vec<(DateTime<Utc>, String)>,
    window: Duration,
}

impl SummaryBuilder {
    /// A builder that relates incidents to `changes` merged up to `window` before them.
    pub fn new(mut changes: Vec<DeployRecord>, window: Duration) -> Self {
        changes.sort_by_key(|c| c.merged_at);
        Self {
            changes: changes.into_iter().map(|c| (c.merged_at, c.repo)).collect(),
            window,
            summary: IncidentSummary {
                after_changes: AfterChanges {
                    window_hours: window.num_hours(),
                    ..Default::default()
                },
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// Counts `incident` in.
    pub fn add(&mut self, incident: &Incident) {
        let s = &mut self.summary;
        s.incidents += 1;
        let severity = name(incident.severity);
        let service = incident.service.clone().unwrap_or_else(|| "(none)".into());
        *s.by_severity.entry(severity.clone()).or_default() += 1;
        *s.by_status.entry(name(incident.status)).or_default() += 1;
        *s.by_source
            .entry(incident.source.as_str().to_owned())
            .or_default() += 1;
        *s.by_service.entry(service.clone()).or_default() += 1;
        self.overall.add(incident);
        self.by_service.entry(service).or_default().add(incident);
        self.by_severity.entry(severity).or_default().add(incident);
        let noisy = self
            .fingerprints
            .entry(incident.fingerprint.to_string())
            .or_insert_with(|| NoisyFingerprint {
                fingerprint: incident.fingerprint.to_string(),
                title: String::new(),
                incidents: 0,
                occurrences: 0,
            });
        noisy.incidents += 1;
        noisy.occurrences += incident.occurrences;
        noisy.title.clone_from(&incident.title);
        // The latest change merged at or before the incident opened, if within the window.
        let before = self
            .changes
            .partition_point(|(at, _)| *at <= incident.created_at);
        if let Some((at, repo)) = before.checked_sub(1).map(|i| &self.changes[i]) {
            if incident.created_at - *at <= self.window {
                s.after_changes.incidents += 1;
                *s.after_changes
                    .by_repository
                    .entry(repo.clone())
                    .or_default() += 1;
            }
        }
    }

    /// The summary.
    pub fn finish(self) -> IncidentSummary {
        let mut summary = self.summary;
        summary.overall = self.overall.finish();
        summary.by_service_times = self
            .by_service
            .into_iter()
            .map(|(k, t)| (k, t.finish()))
            .collect();
        summary.by_severity_times = self
            .by_severity
            .into_iter()
            .map(|(k, t)| (k, t.finish()))
            .collect();
        let mut noisy: Vec<NoisyFingerprint> = self.fingerprints.into_values().collect();
        noisy.sort_by(|a, b| {
            (b.incidents, b.occurrences, &a.fingerprint).cmp(&(
                a.incidents,
                a.occurrences,
                &b.fingerprint,
            ))
        });
        noisy.truncate(TOP_FINGERPRINTS);
        summary.top_fingerprints = noisy;
        summary
    }
}

/// The width of a time series' buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    /// An hour.
    Hour,
    /// A day (UTC).
    Day,
}

impl Bucket {
    fn width(self) -> Duration {
        match self {
            Self::Hour => Duration::hours(1),
            Self::Day => Duration::days(1),
        }
    }
}

/// One bucket of a time series.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Point {
    /// The bucket's start.
    pub start: DateTime<Utc>,
    /// Incidents opened in it.
    pub opened: u64,
    /// Incidents (of those opened in the range) acknowledged in it.
    pub acknowledged: u64,
    /// Incidents (of those opened in the range) resolved in it.
    pub resolved: u64,
    /// Opened, by severity.
    pub opened_by_severity: BTreeMap<String, u64>,
}

/// Counts per bucket over `[since, until)`, every bucket present (zeros included).
#[derive(Debug)]
pub struct SeriesBuilder {
    since: DateTime<Utc>,
    bucket: Bucket,
    points: Vec<Point>,
}

impl SeriesBuilder {
    /// Empty buckets from `since` (rounded down to its bucket) to `until`.
    pub fn new(since: DateTime<Utc>, until: DateTime<Utc>, bucket: Bucket) -> Self {
        let width = bucket.width();
        let start = since.duration_trunc(width).unwrap_or(since);
        let mut points = Vec::new();
        let mut at = start;
        while at < until {
            points.push(Point {
                start: at,
                ..Default::default()
            });
            at += width;
        }
        Self {
            since: start,
            bucket,
            points,
        }
    }

    fn slot(&mut self, at: DateTime<Utc>) -> Option<&mut Point> {
        let offset = (at - self.since).num_seconds();
        if offset < 0 {
            return None;
        }
        let index = usize::try_from(offset / self.bucket.width().num_seconds()).ok()?;
        self.points.get_mut(index)
    }

    /// Counts `incident` in.
    pub fn add(&mut self, incident: &Incident) {
        if let Some(point) = self.slot(incident.created_at) {
            point.opened += 1;
            *point
                .opened_by_severity
                .entry(name(incident.severity))
                .or_default() += 1;
        }
        if let Some(point) = incident.acknowledged_at.and_then(|at| self.slot(at)) {
            point.acknowledged += 1;
        }
        if let Some(point) = incident.resolved_at.and_then(|at| self.slot(at)) {
            point.resolved += 1;
        }
    }

    /// The points, oldest first.
    pub fn finish(self) -> Vec<Point> {
        self.points
    }
}

#[cfg(test)]
mod tests;
