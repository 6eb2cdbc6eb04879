//! Deadlock groups as the API shows them.

use crate::deadlocks::{Deadlock, Engine};
use crate::domain::deadlock::{DeadlockGroup, DeadlockOccurrence};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A group of recurring deadlocks: the same engine, relations and lock modes.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeadlockView {
    /// `dl_<signature>`; `dl_unparsed_<engine>` for reports kept as text.
    pub id: String,
    /// `postgres` or `mysql` (MySQL and MariaDB), when known.
    pub engine: Option<Engine>,
    /// Whether its reports parsed into a wait-for graph.
    pub parsed: bool,
    /// The relations, lock modes and how many processes or transactions.
    pub summary: String,
    /// The relations or tables involved.
    pub relations: Vec<String>,
    /// The lock modes involved.
    pub modes: Vec<String>,
    /// Reports seen.
    pub count: u64,
    /// The first report's time.
    pub first_seen_at: DateTime<Utc>,
    /// The last report's time.
    pub last_seen_at: DateTime<Utc>,
    /// The incident of the last report.
    pub last_incident_id: Option<String>,
}

impl From<&DeadlockGroup> for DeadlockView {
    fn from(group: &DeadlockGroup) -> Self {
        Self {
            id: group.id.clone(),
            engine: group.engine,
            parsed: group.parsed,
            summary: group.summary.clone(),
            relations: group.relations.clone(),
            modes: group.modes.clone(),
            count: group.count,
            first_seen_at: group.first_seen_at,
            last_seen_at: group.last_seen_at,
            last_incident_id: group.last_incident_id.as_ref().map(ToString::to_string),
        }
    }
}

/// Reports of a day.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DayCount {
    /// The day (UTC).
    #[schema(value_type = String)]
    pub date: NaiveDate,
    /// Reports that day.
    pub count: u64,
}

/// One report.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeadlockOccurrenceView {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Its incident (`inc_…`).
    pub incident_id: String,
    /// The report as received (at most 8,000 characters).
    pub text: String,
}

/// A group with its last report read into a wait-for graph, its reports over time and the
/// incidents they belong to.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeadlockDetailView {
    /// The group.
    #[serde(flatten)]
    pub group: DeadlockView,
    /// The last report: participants (processes or transactions, their queries, locks held and
    /// waited for), the wait-for edges, the cycle, the victim; `null` for unparsed reports.
    pub latest: Option<Deadlock>,
    /// Reports per day over the last 90 days, oldest first (days without any left out).
    pub daily: Vec<DayCount>,
    /// The incidents its reports belong to, most recent first.
    pub incident_ids: Vec<String>,
    /// The last reports, newest first (at most 50).
    pub occurrences: Vec<DeadlockOccurrenceView>,
}

impl DeadlockDetailView {
    /// The view of `group` and its recent `occurrences` (newest first).
    pub fn of(group: &DeadlockGroup, occurrences: &[DeadlockOccurrence]) -> Self {
        let mut days: BTreeMap<NaiveDate, u64> = BTreeMap::new();
        let mut incident_ids: Vec<String> = Vec::new();
        for occurrence in occurrences {
            *days.entry(occurrence.at.date_naive()).or_default() += 1;
            let id = occurrence.incident_id.to_string();
            if !incident_ids.contains(&id) {
                incident_ids.push(id);
            }
        }
        Self {
            group: DeadlockView::from(group),
            latest: group.latest.clone(),
            daily: days
                .into_iter()
                .map(|(date, count)| DayCount { date, count })
                .collect(),
            incident_ids,
            occurrences: occurrences
                .iter()
                .take(50)
                .map(|o| DeadlockOccurrenceView {
                    at: o.at,
                    incident_id: o.incident_id.to_string(),
                    text: o.text.clone(),
                })
                .collect(),
        }
    }
}
