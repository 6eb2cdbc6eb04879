//! The tenant's change log: deploys and merged changes, kept to correlate with incidents.

use super::{DeployId, IntegrationId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One merged change (a GitHub pull request merged into its base branch).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeployRecord {
    /// Its id.
    pub id: DeployId,
    /// Its owner.
    pub tenant_id: TenantId,
    /// The project of the integration that reported it, if any.
    pub project_id: Option<String>,
    /// The integration that reported it.
    pub integration_id: IntegrationId,
    /// `owner/name`.
    pub repo: String,
    /// Pull request number.
    pub number: u64,
    /// Pull request title.
    pub title: String,
    /// Who opened it.
    pub author: String,
    /// The merge commit.
    pub merge_commit: Option<String>,
    /// Link to the pull request.
    pub url: String,
    /// When it was merged.
    pub merged_at: DateTime<Utc>,
}

impl DeployRecord {
    /// Whether it belongs to the same scope as an incident: the same project, or the same tenant
    /// when the integration has no project.
    pub fn same_scope(&self, project_id: Option<&str>) -> bool {
        match (self.project_id.as_deref(), project_id) {
            (Some(a), Some(b)) => a == b,
            (None, None) => true,
            _ => false,
        }
    }
}

/// A change suspected of causing an incident, with the reason.
#[derive(Clone, Debug, PartialEq)]
pub struct Suspect {
    /// The change.
    pub change: DeployRecord,
    /// How long before the incident's first occurrence it was merged.
    pub before: chrono::Duration,
}

impl Suspect {
    /// "merged 40 min before first occurrence".
    pub fn reason(&self) -> String {
        let minutes = self.before.num_minutes();
        if minutes < 90 {
            format!("merged {minutes} min before first occurrence")
        } else {
            format!(
                "merged {:.1} h before first occurrence",
                minutes as f64 / 60.0
            )
        }
    }
}

/// Changes in scope merged within `window` before `first_seen`, closest first.
pub fn rank_suspects(
    changes: Vec<DeployRecord>,
    project_id: Option<&str>,
    first_seen: DateTime<Utc>,
    window: chrono::Duration,
) -> Vec<Suspect> {
    let mut suspects: Vec<Suspect> = changes
        .into_iter()
        .filter(|c| c.same_scope(project_id))
        .filter_map(|change| {
            let before = first_seen - change.merged_at;
            (before >= chrono::Duration::zero() && before <= window)
                .then_some(Suspect { change, before })
        })
        .collect();
    suspects.sort_by_key(|s| s.before);
    suspects
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(project: Option<&str>, merged_at: DateTime<Utc>) -> DeployRecord {
        DeployRecord {
            id: DeployId::generate(),
            tenant_id: TenantId::generate(),
            project_id: project.map(str::to_owned),
            integration_id: IntegrationId::generate(),
            repo: "acme/api".into(),
            number: 1,
            title: "t".into(),
            author: "a".into(),
            merge_commit: None,
            url: "https://github.com/acme/api/pull/1".into(),
            merged_at,
        }
    }

    #[test]
    fn suspects_are_in_scope_in_the_window_and_closest_first() {
        let first_seen = Utc::now();
        let minutes = chrono::Duration::minutes;
        let ranked = rank_suspects(
            vec![
                change(None, first_seen - minutes(300)),
                change(None, first_seen - minutes(40)),
                change(Some("other"), first_seen - minutes(10)),
                change(None, first_seen + minutes(5)),
                change(None, first_seen - minutes(25 * 60)),
            ],
            None,
            first_seen,
            chrono::Duration::hours(24),
        );
        let befores: Vec<i64> = ranked.iter().map(|s| s.before.num_minutes()).collect();
        assert_eq!(befores, vec![40, 300]);
        assert_eq!(ranked[0].reason(), "merged 40 min before first occurrence");
        assert_eq!(ranked[1].reason(), "merged 5.0 h before first occurrence");
    }
}
