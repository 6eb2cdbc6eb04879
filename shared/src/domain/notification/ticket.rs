//! Paging and tickets: PagerDuty, Jira and GitHub issues. One remote ticket (or page) per
//! incident and destination, kept in step with the incident both ways; how each is reached; and
//! the identity that finds a ticket again (a label, a hidden marker, a `dedup_key`).

use crate::domain::{IncidentId, IncidentStatus, Severity};
use crate::secrets::SealedSecret;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A ticket or page at a provider that stands for one incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// What people call it: `OPS-123`, `acme/api#42`, or PagerDuty's `dedup_key`.
    pub key: String,
    /// The provider's own id (Jira's numeric id, GitHub's issue number); empty for PagerDuty.
    #[serde(default)]
    pub id: String,
    /// Its page, where the provider has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// What a Jira destination does when a resolved incident opens again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regression {
    /// Move the same issue back with the reopen transition.
    #[default]
    Reopen,
    /// Open a new issue linked to the old one ("relates to").
    NewIssue,
}

impl Regression {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reopen => "reopen",
            Self::NewIssue => "new_issue",
        }
    }

    /// Parses the wire name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Reopen, Self::NewIssue]
            .into_iter()
            .find(|r| r.as_str() == name)
    }
}

/// Which Jira: Cloud (REST v3, email + API token, ADF) or Data Center (REST v2, a personal access
/// token, wiki text).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JiraDeployment {
    /// `https://<site>.atlassian.net`.
    #[default]
    Cloud,
    /// A self-managed Jira Data Center or Server.
    DataCenter,
}

impl JiraDeployment {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cloud => "cloud",
            Self::DataCenter => "data_center",
        }
    }

    /// Parses the wire name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Cloud, Self::DataCenter]
            .into_iter()
            .find(|d| d.as_str() == name)
    }
}

/// A Jira project issues are opened in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JiraProject {
    /// The site, e.g. `https://acme.atlassian.net`.
    pub site_url: String,
    /// Cloud or Data Center.
    #[serde(default)]
    pub deployment: JiraDeployment,
    /// Cloud: the account's email (Basic auth with the API token). Data Center: absent (the
    /// token is a personal access token, sent as a bearer token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The API token or personal access token, sealed.
    pub token: SealedSecret,
    /// The token masked for people.
    pub masked: String,
    /// The project key, e.g. `OPS`.
    pub project_key: String,
    /// The issue type's name, e.g. `Bug`.
    pub issue_type: String,
    /// A component to file under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// Labels every issue gets (besides the incident's own).
    #[serde(default)]
    pub labels: Vec<String>,
    /// The Jira priority name per severity (`critical` → `Highest`); unmapped: Jira's default.
    #[serde(default)]
    pub priorities: BTreeMap<String, String>,
    /// The transition that closes an issue when its incident resolves.
    pub resolve_transition: String,
    /// The transition that reopens it when the incident regresses.
    pub reopen_transition: String,
    /// Reopen the issue or open a new one when a resolved incident regresses.
    #[serde(default)]
    pub on_regression: Regression,
}

impl JiraProject {
    /// The priority name for `severity`, if mapped.
    pub fn priority(&self, severity: Severity) -> Option<&str> {
        self.priorities.get(severity.as_str()).map(String::as_str)
    }
}

/// A GitHub repository issues are opened in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GithubRepository {
    /// The REST API base: `https://api.github.com`, or `https://<host>/api/v3` for GitHub
    /// Enterprise Server.
    pub api_url: String,
    /// `owner/name`.
    pub repository: String,
    /// A fine-grained token with *Issues: read and write*, sealed.
    pub token: SealedSecret,
    /// The token masked for people.
    pub masked: String,
    /// Labels every issue gets (besides the incident's own).
    #[serde(default)]
    pub labels: Vec<String>,
    /// Logins assigned to every issue.
    #[serde(default)]
    pub assignees: Vec<String>,
}

/// The label (Jira and GitHub) that names the incident an issue stands for: deterministic, so a
/// sender that lost track of what it created can find it again.
pub fn identity_label(incident: &IncidentId) -> String {
    format!("faultline-{incident}")
}

/// The hidden marker in a GitHub issue's body (labels can be removed by hand; the marker stays).
pub fn identity_marker(incident: &IncidentId) -> String {
    format!("<!-- faultline:incident={incident} -->")
}

/// The incident an identity label or marker names.
pub fn incident_of_identity(text: &str) -> Option<IncidentId> {
    let start = text.find("faultline")?;
    let rest = &text[start + "faultline".len()..];
    let rest = rest
        .strip_prefix('-')
        .or_else(|| rest.strip_prefix(":incident="))?;
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    IncidentId::parse(&rest[..end])
}

/// PagerDuty's `dedup_key` for an incident (at most 255 characters; PagerDuty reports it back as
/// the incident's `incident_key`).
pub fn dedup_key(incident: &IncidentId) -> String {
    format!("faultline/{incident}")
}

/// The incident a `dedup_key` / `incident_key` names, if the hub made it.
pub fn incident_of_dedup_key(key: &str) -> Option<IncidentId> {
    key.strip_prefix("faultline/").and_then(IncidentId::parse)
}

/// What a ticket needs to be told, given what it last showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketStep {
    /// Nothing at the provider yet: open one (PagerDuty: trigger).
    Open,
    /// Someone acknowledged the incident.
    Acknowledge,
    /// The incident resolved: close it (PagerDuty: resolve).
    Resolve,
    /// A resolved incident opened again.
    Regress,
    /// Something notable changed (severity): a comment (PagerDuty: trigger again, deduplicated).
    Update,
    /// Nothing a ticket needs (only occurrences or details changed).
    Nothing,
}

impl TicketStep {
    /// What a ticket with `shown` (`None`: none yet) needs for an incident now `status` and
    /// `severity`.
    pub fn between(
        shown: Option<(IncidentStatus, Severity)>,
        status: IncidentStatus,
        severity: Severity,
    ) -> Self {
        use IncidentStatus::{Acknowledged, Open, Resolved};
        let Some((was, was_severity)) = shown else {
            return if status == Resolved {
                Self::Nothing
            } else {
                Self::Open
            };
        };
        match (was, status) {
            (Resolved, Open | Acknowledged) => Self::Regress,
            (Open | Acknowledged, Resolved) => Self::Resolve,
            (Open, Acknowledged) => Self::Acknowledge,
            (Resolved, Resolved) => Self::Nothing,
            _ if was_severity != severity => Self::Update,
            _ => Self::Nothing,
        }
    }

    /// The word the ledger and the comments use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "opened",
            Self::Acknowledge => "acknowledged",
            Self::Resolve => "resolved",
            Self::Regress => "reopened",
            Self::Update => "updated",
            Self::Nothing => "nothing to do",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentStatus::{Acknowledged, Open, Resolved};

    #[test]
    fn identities_round_trip() {
        let id = IncidentId::generate();
        assert_eq!(incident_of_identity(&identity_label(&id)), Some(id.clone()));
        let body = format!("text\n\n{}\n", identity_marker(&id));
        assert_eq!(incident_of_identity(&body), Some(id.clone()));
        assert_eq!(incident_of_dedup_key(&dedup_key(&id)), Some(id.clone()));
        assert!(dedup_key(&id).len() <= 255);
        assert_eq!(incident_of_identity("faultline-nope"), None);
        assert_eq!(
            incident_of_dedup_key("dfead9d88e0649e8b7dee514b1875756"),
            None
        );
    }

    #[test]
    fn steps_follow_the_status_a_ticket_last_showed() {
        let high = Severity::High;
        assert_eq!(TicketStep::between(None, Open, high), TicketStep::Open);
        assert_eq!(
            TicketStep::between(None, Resolved, high),
            TicketStep::Nothing
        );
        let shown = |s| Some((s, high));
        assert_eq!(
            TicketStep::between(shown(Open), Acknowledged, high),
            TicketStep::Acknowledge
        );
        assert_eq!(
            TicketStep::between(shown(Acknowledged), Resolved, high),
            TicketStep::Resolve
        );
        assert_eq!(
            TicketStep::between(shown(Resolved), Open, high),
            TicketStep::Regress
        );
        assert_eq!(
            TicketStep::between(shown(Open), Open, Severity::Critical),
            TicketStep::Update
        );
        assert_eq!(
            TicketStep::between(shown(Open), Open, high),
            TicketStep::Nothing
        );
        assert_eq!(
            TicketStep::between(shown(Resolved), Resolved, high),
            TicketStep::Nothing
        );
    }
}
