//! People changing an incident by hand: acknowledge, resolve, reopen, (un)assign.

use super::{Change, Incident, IncidentStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A status a person sets by hand (`PATCH /v1/incidents/{id}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ManualStatus {
    /// Someone is on it.
    Acknowledged,
    /// It is over.
    Resolved,
    /// It is not over after all.
    Reopened,
}

/// A manual change that makes no sense in the incident's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ManualChangeRefused(pub String);

impl Incident {
    /// Applies a person's change: a new status and/or assignee (`Some(None)` unassigns). Returns
    /// what changed, in order (empty when nothing did); the caller writes it back conditionally
    /// on the version it read.
    pub fn change_by_hand(
        &mut self,
        status: Option<ManualStatus>,
        assignee: Option<Option<String>>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, ManualChangeRefused> {
        let mut changes = Vec::new();
        match (status, self.status) {
            (None, _)
            | (Some(ManualStatus::Acknowledged), IncidentStatus::Acknowledged)
            | (Some(ManualStatus::Resolved), IncidentStatus::Resolved) => {}
            (Some(ManualStatus::Acknowledged), IncidentStatus::Open) => {
                self.status = IncidentStatus::Acknowledged;
                self.acknowledged_at = Some(now);
                changes.push(Change::Acknowledged);
            }
            (Some(ManualStatus::Acknowledged), IncidentStatus::Resolved) => {
                return Err(ManualChangeRefused(
                    "a resolved incident cannot be acknowledged; reopen it first".into(),
                ))
            }
            (Some(ManualStatus::Resolved), _) => {
                self.status = IncidentStatus::Resolved;
                self.resolved_at = Some(now);
                changes.push(Change::Resolved);
            }
            (Some(ManualStatus::Reopened), IncidentStatus::Resolved) => {
                self.status = IncidentStatus::Open;
                self.resolved_at = None;
                self.acknowledged_at = None;
                changes.push(Change::Reopened);
            }
            (Some(ManualStatus::Reopened), _) => {
                return Err(ManualChangeRefused(
                    "only a resolved incident can be reopened".into(),
                ))
            }
        }
        if let Some(assignee) = assignee {
            if assignee != self.assignee {
                self.assignee = assignee;
                changes.push(Change::Assigned);
            }
        }
        if !changes.is_empty() {
            self.touch(now);
        }
        Ok(changes)
    }
}
