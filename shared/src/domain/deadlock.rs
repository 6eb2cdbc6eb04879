//! Recurring deadlocks: every report found in a signal's text is an occurrence of a group, the
//! group being what the deadlocks share (the engine, the relations and the lock modes; see
//! [`crate::deadlocks`]). A report that does not parse is kept in its engine's "unparsed" group.

use super::{IncidentId, TenantId};
use crate::deadlocks::{Deadlock, Engine, Finding};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The most of a report's text kept, in characters.
pub const MAX_REPORT_CHARS: usize = 8_000;

/// What is known of one group of deadlocks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeadlockGroup {
    /// `dl_<signature>`, or `dl_unparsed_<engine>`.
    pub id: String,
    /// Whose.
    pub tenant_id: TenantId,
    /// The database, when known.
    pub engine: Option<Engine>,
    /// Whether its reports parse (an "unparsed" group keeps text that does not).
    pub parsed: bool,
    /// `accounts: ExclusiveLock, ShareLock (2 processes)`.
    pub summary: String,
    /// The relations or tables involved.
    pub relations: Vec<String>,
    /// The lock modes involved.
    pub modes: Vec<String>,
    /// How many reports in the last 90 days (counted from the occurrences when read).
    #[serde(default)]
    pub count: u64,
    /// The first report's time (the oldest kept occurrence's, when read).
    pub first_seen_at: DateTime<Utc>,
    /// The last report's time.
    pub last_seen_at: DateTime<Utc>,
    /// The last report, read.
    pub latest: Option<Deadlock>,
    /// The incident the last report belongs to.
    pub last_incident_id: Option<IncidentId>,
}

/// One report of a group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeadlockOccurrence {
    /// The group.
    pub group_id: String,
    /// When the signal carrying it happened.
    pub at: DateTime<Utc>,
    /// The incident it belongs to.
    pub incident_id: IncidentId,
    /// The report's text, as received (at most 8,000 characters).
    pub text: String,
}

/// A group's id and description for what `finding` found.
pub fn group_of(finding: &Finding) -> (String, Option<Engine>, bool, String, Option<&Deadlock>) {
    match finding {
        Finding::Parsed(deadlock) => (
            format!("dl_{}", deadlock.signature()),
            Some(deadlock.engine),
            true,
            deadlock.summary(),
            Some(deadlock),
        ),
        Finding::Unparsed { engine } => {
            let name = match engine {
                Some(Engine::Postgres) => "postgres",
                Some(Engine::Mysql) => "mysql",
                None => "unknown",
            };
            (
                format!("dl_unparsed_{name}"),
                *engine,
                false,
                "deadlock reports that did not parse (kept as text)".to_owned(),
                None,
            )
        }
    }
}
