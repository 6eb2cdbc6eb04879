//! GitHub issues: one issue per incident with a hidden marker and a label naming the incident;
//! notable updates as comments; closed as completed on resolve, reopened on regression. Rate
//! limits are honoured: `retry-after`, `x-ratelimit-remaining: 0` until `x-ratelimit-reset`, and
//! the secondary limits (403 or 429; at least a minute).

use super::tickets::{plain_failure, retry_after, Answer, RestClient, TicketJob};
use super::{Delivered, Notice, SendFailure};
use crate::domain::notification::ticket::{identity_label, identity_marker, GithubRepository};
use crate::domain::notification::{Ticket, TicketStep};
use crate::sinks::webhook::WebhookSender;
use crate::text::truncated;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

/// GitHub's limit on a title.
const MAX_TITLE_CHARS: usize = 256;
/// GitHub's limit on a body.
const MAX_BODY_CHARS: usize = 65_000;
/// Pages of issues listed by label while recovering.
const MAX_LIST_PAGES: usize = 5;
/// The least wait after a secondary rate limit without `retry-after`.
const SECONDARY_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// GitHub's answer to a failed call: rate limits retried after the time GitHub names; other
/// 403s (a token without access) permanent.
pub fn failure(answer: &Answer, what: &str) -> SendFailure {
    let failure = plain_failure(answer, what);
    let status = answer.result.status_code;
    if !matches!(status, 403 | 429) {
        return failure;
    }
    if answer.result.retry_after.is_some() {
        return retry_after(failure, Duration::ZERO);
    }
    if answer.header("x-ratelimit-remaining") == Some("0") {
        let reset = answer
            .header("x-ratelimit-reset")
            .and_then(|v| v.parse::<i64>().ok())
            .map_or(SECONDARY_LIMIT_WAIT, |at| {
                Duration::from_secs(
                    u64::try_from(at - chrono::Utc::now().timestamp()).unwrap_or(0) + 1,
                )
            });
        return retry_after(failure, reset);
    }
    let secondary = answer
        .result
        .response_excerpt
        .to_ascii_lowercase()
        .contains("secondary rate limit");
    if secondary || status == 429 {
        return retry_after(failure, SECONDARY_LIMIT_WAIT);
    }
    failure
}

/// The issue body: the notice in Markdown, then the hidden marker.
fn body(notice: &Notice, marker: &str, lead: &str) -> String {
    let mut text = format!("**{lead}** {} · {}\n", notice.status_word(), notice.news);
    if let Some(description) = notice
        .incident
        .description
        .as_deref()
        .filter(|d| !d.is_empty())
    {
        text.push_str(&format!(
            "\n{}\n",
            truncated(description, MAX_BODY_CHARS / 2)
        ));
    }
    text.push_str("\n| | |\n|---|---|\n");
    for (label, value) in notice.facts() {
        text.push_str(&format!("| {label} | {} |\n", value.replace('|', "\\|")));
    }
    for (label, url) in notice.links() {
        text.push_str(&format!("\n[{label}]({url})"));
    }
    let mut text = truncated(&text, MAX_BODY_CHARS);
    text.push_str("\n\n");
    text.push_str(marker);
    text
}

/// A repository's issues API for one destination.
#[derive(Debug)]
pub struct GithubClient<'a> {
    rest: RestClient<'a>,
    repository: &'a GithubRepository,
}

impl<'a> GithubClient<'a> {
    /// A client for `repository` with its token opened.
    pub fn new(sender: &'a WebhookSender, repository: &'a GithubRepository, token: &str) -> Self {
        Self {
            rest: RestClient {
                sender,
                base: format!(
                    "{}/repos/{}",
                    repository.api_url.trim_end_matches('/'),
                    repository.repository
                ),
                headers: vec![
                    ("authorization", format!("Bearer {token}")),
                    ("accept", "application/vnd.github+json".into()),
                    ("x-github-api-version", "2022-11-28".into()),
                ],
            },
            repository,
        }
    }

    fn ticket(&self, issue: &Value) -> Ticket {
        let number = issue["number"].as_u64().unwrap_or_default();
        Ticket {
            key: format!("{}#{number}", self.repository.repository),
            id: number.to_string(),
            url: issue["html_url"].as_str().map(str::to_owned),
        }
    }

    /// The issue a lost attempt created: listed by the incident's label (every state), checked
    /// for the marker.
    pub async fn find(&self, job: &TicketJob<'_>) -> Result<Option<Ticket>, SendFailure> {
        let label = identity_label(job.incident_id);
        let marker = identity_marker(job.incident_id);
        for page in 1..=MAX_LIST_PAGES {
            let path = format!("/issues?labels={label}&state=all&per_page=100&page={page}");
            let answer = self
                .rest
                .expect(Method::GET, &path, None, "list issues", failure)
                .await?;
            let issues = answer.json().as_array().cloned().unwrap_or_default();
            if let Some(issue) = issues.iter().find(|issue| {
                issue.get("pull_request").is_none()
                    && issue["body"].as_str().is_some_and(|b| b.contains(&marker))
            }) {
                return Ok(Some(self.ticket(issue)));
            }
            let more = answer
                .header("link")
                .is_some_and(|link| link.contains("rel=\"next\""));
            if !more {
                break;
            }
        }
        Ok(None)
    }

    async fn create(&self, job: &TicketJob<'_>) -> Result<Delivered, SendFailure> {
        let mut labels = self.repository.labels.clone();
        labels.push(identity_label(job.incident_id));
        let issue = json!({
            "title": truncated(&job.notice.headline(), MAX_TITLE_CHARS),
            "body": body(job.notice, &identity_marker(job.incident_id), "Faultline incident."),
            "labels": labels,
            "assignees": self.repository.assignees,
        });
        let answer = self
            .rest
            .expect(
                Method::POST,
                "/issues",
                Some(&issue),
                "create issue",
                failure,
            )
            .await?;
        let ticket = self.ticket(&answer.json());
        if ticket.id == "0" {
            return Err(SendFailure::permanent(
                "create issue: GitHub answered without an issue number",
            ));
        }
        Ok(answer.delivered("opened an issue", ticket))
    }

    async fn comment(&self, number: &str, text: String) -> Result<Answer, SendFailure> {
        self.rest
            .expect(
                Method::POST,
                &format!("/issues/{number}/comments"),
                Some(&json!({"body": text})),
                "comment",
                failure,
            )
            .await
    }

    /// Sets the issue's state (idempotent, so it goes first: a retry after a failed comment
    /// repeats nothing visible).
    async fn set_state(&self, number: &str, state: Value) -> Result<Answer, SendFailure> {
        self.rest
            .expect(
                Method::PATCH,
                &format!("/issues/{number}"),
                Some(&state),
                "update issue",
                failure,
            )
            .await
    }

    /// Checks the token reaches the repository and its issues are enabled: what a destination
    /// test does, creating nothing.
    pub async fn check(&self) -> Result<Delivered, SendFailure> {
        let answer = self
            .rest
            .expect(Method::GET, "", None, "check the repository", failure)
            .await?;
        if answer.json()["has_issues"] == false {
            return Err(SendFailure::permanent(format!(
                "{} has issues turned off",
                self.repository.repository
            )));
        }
        Ok(Delivered::sent(
            "checked: the token reaches the repository (no issue was created)",
            &answer.result,
            None,
        ))
    }

    /// Does what `job.step` needs.
    pub async fn send(&self, job: &TicketJob<'_>) -> Result<Delivered, SendFailure> {
        let Some(ticket) = job.ticket.filter(|_| job.step != TicketStep::Open) else {
            return self.create(job).await;
        };
        let marker = identity_marker(job.incident_id);
        let (lead, state, action) = match job.step {
            TicketStep::Resolve => (
                "Resolved.",
                Some(json!({"state": "closed", "state_reason": "completed"})),
                "commented and closed (completed)",
            ),
            TicketStep::Regress => (
                "Regressed.",
                Some(json!({"state": "open"})),
                "reopened and commented",
            ),
            TicketStep::Acknowledge => ("Acknowledged.", None, "commented"),
            _ => ("Updated.", None, "commented"),
        };
        if let Some(state) = state {
            self.set_state(&ticket.id, state).await?;
        }
        let answer = self
            .comment(&ticket.id, body(job.notice, &marker, lead))
            .await?;
        Ok(answer.delivered(action, ticket.clone()))
    }
}
