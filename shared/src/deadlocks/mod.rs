//! Deadlock reports found in error text (Sentry error events, scanned log records, generic
//! alerts): PostgreSQL's `deadlock detected` with its `Process N waits for …` lines, and MySQL /
//! MariaDB InnoDB's `LATEST DETECTED DEADLOCK` section, read into a wait-for graph — who waits
//! for which lock held by whom, the cycle named — and a signature (the engine, the relations and
//! the lock modes involved) that groups recurring deadlocks. Text that says "deadlock" but does
//! not parse is kept and flagged, never an error.

mod mysql;
mod postgres;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// Which database printed it.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB (InnoDB).
    Mysql,
}

/// A lock: its mode and what it is on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Lock {
    /// `ShareLock`, `AccessExclusiveLock`; `X`, `S`, `IX`, `X,GAP`, `X,INSERT_INTENTION`.
    pub mode: String,
    /// What PostgreSQL or InnoDB says it is on: `transaction 12345`, `tuple (0,1) of relation
    /// 16385 of database 16384`, `` index PRIMARY of table `bank`.`accounts` ``.
    pub object: String,
    /// The relation or table it is on, when the text names one (`accounts`, `bank.accounts`,
    /// `relation 16385`).
    pub relation: Option<String>,
}

/// One process (PostgreSQL) or transaction (InnoDB) of the deadlock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Participant {
    /// `process 9012`, `transaction (1)`.
    pub id: String,
    /// The statement it was running, when printed.
    pub query: Option<String>,
    /// Locks it holds, when printed.
    pub holds: Vec<Lock>,
    /// The lock it waits for.
    pub waits_for: Option<Lock>,
}

/// An edge of the wait-for graph: `waiter` waits for `lock`, held by `holder`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Wait {
    /// Who waits.
    pub waiter: String,
    /// Who holds what it waits for.
    pub holder: String,
    /// The lock waited for.
    pub lock: Lock,
}

/// A deadlock report read from text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Deadlock {
    /// Which database.
    pub engine: Engine,
    /// Its processes or transactions.
    pub participants: Vec<Participant>,
    /// The wait-for graph's edges.
    pub waits: Vec<Wait>,
    /// The cycle, as participant ids in waiting order (the first waits for the second, …, the
    /// last for the first); empty when the edges make none.
    pub cycle: Vec<String>,
    /// The relations or tables involved, sorted.
    pub relations: Vec<String>,
    /// The lock modes involved, sorted.
    pub modes: Vec<String>,
    /// The transaction the database rolled back (InnoDB says which).
    pub victim: Option<String>,
    /// Extra context lines (PostgreSQL's `CONTEXT`, `HINT`).
    pub context: Vec<String>,
}

impl Deadlock {
    /// What recurring deadlocks share: the engine, the relations and the lock modes.
    pub fn signature(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(format!("{:?}\n", self.engine));
        hasher.update(self.relations.join("\n"));
        hasher.update("\n--\n");
        hasher.update(self.modes.join("\n"));
        hex::encode(&hasher.finalize()[..10])
    }

    /// `accounts, orders: ShareLock, ExclusiveLock (2 processes)`.
    pub fn summary(&self) -> String {
        let who = match self.engine {
            Engine::Postgres => "processes",
            Engine::Mysql => "transactions",
        };
        format!(
            "{}: {} ({} {who})",
            if self.relations.is_empty() {
                "unnamed relations".to_owned()
            } else {
                self.relations.join(", ")
            },
            self.modes.join(", "),
            self.participants.len()
        )
    }

    /// Fills the derived fields (edges' cycle, relations, modes) once participants and waits are
    /// known.
    fn finish(mut self) -> Self {
        let mut relations = BTreeSet::new();
        let mut modes = BTreeSet::new();
        for participant in &self.participants {
            for lock in participant.holds.iter().chain(&participant.waits_for) {
                modes.insert(lock.mode.clone());
                relations.extend(lock.relation.clone());
            }
        }
        for wait in &self.waits {
            modes.insert(wait.lock.mode.clone());
            relations.extend(wait.lock.relation.clone());
        }
        self.relations = relations.into_iter().collect();
        self.modes = modes.into_iter().collect();
        self.cycle = cycle(&self.waits);
        self
    }
}

/// The first cycle of the wait-for graph, following each waiter's edge from the first waiter.
fn cycle(waits: &[Wait]) -> Vec<String> {
    let Some(first) = waits.first() else {
        return Vec::new();
    };
    let mut path = vec![first.waiter.clone()];
    let mut at = first.waiter.clone();
    for _ in 0..=waits.len() {
        let Some(edge) = waits.iter().find(|w| w.waiter == at) else {
            return Vec::new();
        };
        if let Some(start) = path.iter().position(|p| *p == edge.holder) {
            return path.split_off(start);
        }
        path.push(edge.holder.clone());
        at = edge.holder.clone();
    }
    Vec::new()
}

/// What a text says about deadlocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// A report that parsed.
    Parsed(Box<Deadlock>),
    /// The text speaks of a deadlock but the report did not parse: kept as it is, flagged.
    Unparsed {
        /// The engine it looks like, if any.
        engine: Option<Engine>,
    },
}

/// The deadlock report in `text`, if it holds one.
pub fn find(text: &str) -> Option<Finding> {
    if let Some(report) = mysql::parse(text) {
        return Some(report);
    }
    if let Some(report) = postgres::parse(text) {
        return Some(report);
    }
    let lower = text.to_ascii_lowercase();
    lower.contains("deadlock").then_some(Finding::Unparsed {
        engine: if lower.contains("innodb") || lower.contains("mysql") || lower.contains("1213") {
            Some(Engine::Mysql)
        } else if lower.contains("postgres") || lower.contains("40p01") {
            Some(Engine::Postgres)
        } else {
            None
        },
    })
}

#[cfg(test)]
mod tests;
