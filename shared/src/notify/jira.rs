//! Jira: one issue per incident, with an ADF description (Cloud, REST v3) or wiki text (Data
//! Center, REST v2) and a label naming the incident; notable updates as comments; a resolve moves
//! it with the configured transition; a regression reopens it or opens a new issue linked to the
//! old one. The search (`POST /rest/api/3/search/jql`, paged by `nextPageToken`) only recovers an
//! issue a lost attempt created; the hub's own claim is what prevents duplicates.

use super::tickets::{found_again, plain_failure, Answer, RestClient, TicketJob};
use super::{Delivered, Notice, SendFailure};
use crate::domain::notification::ticket::{
    identity_label, JiraDeployment, JiraProject, Regression,
};
use crate::domain::notification::{Ticket, TicketStep};
use crate::sinks::webhook::WebhookSender;
use crate::text::truncated;
use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};

/// Jira's limit on a summary.
const MAX_SUMMARY_CHARS: usize = 255;
/// Jira's limit on a text field (description, comment body).
const MAX_TEXT_CHARS: usize = 32_000;
/// Search pages read while recovering before giving up (and creating).
const MAX_SEARCH_PAGES: usize = 10;

/// A Jira site's REST API for one destination.
#[derive(Debug)]
pub struct JiraClient<'a> {
    rest: RestClient<'a>,
    project: &'a JiraProject,
}

fn text_node(text: &str) -> Value {
    json!({"type": "text", "text": text})
}

fn paragraph(content: Vec<Value>) -> Value {
    json!({"type": "paragraph", "content": content})
}

/// The notice as an Atlassian Document Format document: the news, the description, the facts as
/// a bullet list, the links.
pub fn adf(notice: &Notice, lead: &str) -> Value {
    let mut content = vec![paragraph(vec![
        json!({"type": "text", "text": format!("{lead} "), "marks": [{"type": "strong"}]}),
        text_node(&format!("{} · {}", notice.status_word(), notice.news)),
    ])];
    if let Some(description) = notice
        .incident
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        content.push(paragraph(vec![text_node(&truncated(
            description,
            MAX_TEXT_CHARS / 2,
        ))]));
    }
    let items: Vec<Value> = notice
        .facts()
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(label, value)| {
            json!({"type": "listItem", "content": [paragraph(vec![
                json!({"type": "text", "text": format!("{label}: "), "marks": [{"type": "strong"}]}),
                text_node(&truncated(&value, 500)),
            ])]})
        })
        .collect();
    content.push(json!({"type": "bulletList", "content": items}));
    for (label, url) in notice.links() {
        content.push(paragraph(vec![json!({"type": "text", "text": label,
            "marks": [{"type": "link", "attrs": {"href": url}}]})]));
    }
    json!({"type": "doc", "version": 1, "content": content})
}

/// The same as wiki text, for Data Center's REST v2.
fn wiki(notice: &Notice, lead: &str) -> String {
    let mut text = format!("*{lead}* {} · {}\n", notice.status_word(), notice.news);
    if let Some(description) = notice.incident.description.as_deref() {
        text.push_str(&format!(
            "\n{}\n",
            truncated(description, MAX_TEXT_CHARS / 2)
        ));
    }
    text.push('\n');
    for (label, value) in notice.facts() {
        text.push_str(&format!("* *{label}:* {value}\n"));
    }
    for (label, url) in notice.links() {
        text.push_str(&format!("[{label}|{url}]\n"));
    }
    truncated(&text, MAX_TEXT_CHARS)
}

/// Jira's answer to a failed call: `errorMessages` and `errors` in the reason; 429 and 5xx
/// retried (with `Retry-After`), every other status permanent.
fn failure(answer: &Answer, what: &str) -> SendFailure {
    let mut failure = plain_failure(answer, what);
    let body = answer.json();
    let mut messages: Vec<String> = body["errorMessages"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(errors) = body["errors"].as_object() {
        messages.extend(
            errors
                .iter()
                .map(|(field, message)| format!("{field}: {}", message.as_str().unwrap_or("?"))),
        );
    }
    if !messages.is_empty() {
        failure.reason = format!(
            "{what}: HTTP {}: {}",
            answer.result.status_code,
            truncated(&messages.join("; "), 300)
        );
    }
    failure
}

impl<'a> JiraClient<'a> {
    /// A client for `project` with its token opened.
    pub fn new(sender: &'a WebhookSender, project: &'a JiraProject, token: &str) -> Self {
        let authorization = match (&project.deployment, &project.email) {
            (JiraDeployment::Cloud, Some(email)) => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{email}:{token}"))
            ),
            _ => format!("Bearer {token}"),
        };
        let version = match project.deployment {
            JiraDeployment::Cloud => "3",
            JiraDeployment::DataCenter => "2",
        };
        Self {
            rest: RestClient {
                sender,
                base: format!(
                    "{}/rest/api/{version}",
                    project.site_url.trim_end_matches('/')
                ),
                headers: vec![
                    ("authorization", authorization),
                    ("accept", "application/json".into()),
                ],
            },
            project,
        }
    }

    fn cloud(&self) -> bool {
        self.project.deployment == JiraDeployment::Cloud
    }

    /// A rich-text field's value: ADF on Cloud, wiki text on Data Center.
    fn rich(&self, notice: &Notice, lead: &str) -> Value {
        if self.cloud() {
            adf(notice, lead)
        } else {
            json!(wiki(notice, lead))
        }
    }

    fn ticket(&self, key: &str, id: &str) -> Ticket {
        Ticket {
            key: key.to_owned(),
            id: id.to_owned(),
            url: Some(format!(
                "{}/browse/{key}",
                self.project.site_url.trim_end_matches('/')
            )),
        }
    }

    /// Creates the issue for the notice.
    async fn create(&self, job: &TicketJob<'_>) -> Result<(Answer, Ticket), SendFailure> {
        let notice = job.notice;
        let mut labels = self.project.labels.clone();
        labels.push(identity_label(job.incident_id));
        let mut fields = json!({
            "project": {"key": self.project.project_key},
            "issuetype": {"name": self.project.issue_type},
            "summary": truncated(&notice.headline(), MAX_SUMMARY_CHARS),
            "description": self.rich(notice, "Faultline incident."),
            "labels": labels,
        });
        if let Some(priority) = self.project.priority(notice.incident.severity) {
            fields["priority"] = json!({"name": priority});
        }
        if let Some(component) = &self.project.component {
            fields["components"] = json!([{"name": component}]);
        }
        let answer = self
            .rest
            .expect(
                Method::POST,
                "/issue",
                Some(&json!({"fields": fields})),
                "create issue",
                failure,
            )
            .await?;
        let created = answer.json();
        let key = created["key"].as_str().unwrap_or_default().to_owned();
        if key.is_empty() {
            return Err(SendFailure::permanent(
                "create issue: Jira answered without an issue key",
            ));
        }
        let ticket = self.ticket(&key, created["id"].as_str().unwrap_or_default());
        Ok((answer, ticket))
    }

    /// The incident's open issue a lost attempt created, other than `except`: searched by its
    /// label, page by page.
    pub async fn find(
        &self,
        job: &TicketJob<'_>,
        except: Option<&str>,
    ) -> Result<Option<Ticket>, SendFailure> {
        let label = identity_label(job.incident_id);
        let mut jql = format!(
            "project = \"{}\" AND labels = \"{label}\"",
            self.project.project_key
        );
        if let Some(key) = except {
            jql.push_str(&format!(" AND key != \"{key}\" AND statusCategory != Done"));
        }
        jql.push_str(" ORDER BY created DESC");
        let mut token: Option<String> = None;
        for page in 0..MAX_SEARCH_PAGES {
            let (path, body) = if self.cloud() {
                let mut body =
                    json!({"jql": jql, "fields": ["labels", "status"], "maxResults": 50});
                if let Some(token) = &token {
                    body["nextPageToken"] = json!(token);
                }
                ("/search/jql", body)
            } else {
                let body = json!({"jql": jql, "fields": ["labels", "status"], "maxResults": 50,
                    "startAt": page * 50});
                ("/search", body)
            };
            let answer = self
                .rest
                .expect(Method::POST, path, Some(&body), "search issues", failure)
                .await?;
            let found = answer.json();
            let issues = found["issues"].as_array().cloned().unwrap_or_default();
            let matching = issues.iter().find(|issue| {
                issue["key"].as_str() != except
                    && issue
                        .pointer("/fields/labels")
                        .and_then(Value::as_array)
                        .is_some_and(|labels| labels.iter().any(|l| l == label.as_str()))
            });
            if let Some(issue) = matching {
                return Ok(Some(self.ticket(
                    issue["key"].as_str().unwrap_or_default(),
                    issue["id"].as_str().unwrap_or_default(),
                )));
            }
            token = found["nextPageToken"].as_str().map(str::to_owned);
            let more = if self.cloud() {
                token.is_some() && found["isLast"] != true
            } else {
                issues.len() == 50
            };
            if !more {
                break;
            }
        }
        Ok(None)
    }

    /// Comments on the issue.
    async fn comment(&self, key: &str, notice: &Notice, lead: &str) -> Result<Answer, SendFailure> {
        self.rest
            .expect(
                Method::POST,
                &format!("/issue/{key}/comment"),
                Some(&json!({"body": self.rich(notice, lead)})),
                "comment",
                failure,
            )
            .await
    }

    /// Moves the issue with the transition called `name` (any case), commenting in the same
    /// request.
    async fn transition(
        &self,
        key: &str,
        name: &str,
        notice: &Notice,
        lead: &str,
    ) -> Result<Answer, SendFailure> {
        let path = format!("/issue/{key}/transitions");
        let offered = self
            .rest
            .expect(Method::GET, &path, None, "list transitions", failure)
            .await?
            .json();
        let transitions = offered["transitions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let Some(transition) = transitions.iter().find(|t| {
            t["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        }) else {
            let names: Vec<&str> = transitions
                .iter()
                .filter_map(|t| t["name"].as_str())
                .collect();
            return Err(SendFailure::permanent(format!(
                "{key} offers no transition named `{name}` from its status (it offers: {})",
                if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                }
            )));
        };
        let body = json!({
            "transition": {"id": transition["id"]},
            "update": {"comment": [{"add": {"body": self.rich(notice, lead)}}]},
        });
        self.rest
            .expect(Method::POST, &path, Some(&body), "transition", failure)
            .await
    }

    /// Links `new` to `old` ("relates to").
    async fn link(&self, new: &str, old: &str) -> Result<Answer, SendFailure> {
        let body = json!({"type": {"name": "Relates"}, "inwardIssue": {"key": new},
            "outwardIssue": {"key": old}});
        self.rest
            .expect(
                Method::POST,
                "/issueLink",
                Some(&body),
                "link issues",
                failure,
            )
            .await
    }

    /// Checks the token reaches the project (`GET /myself`, `GET /project/{key}`): what a
    /// destination test does, creating nothing.
    pub async fn check(&self) -> Result<Delivered, SendFailure> {
        self.rest
            .expect(Method::GET, "/myself", None, "check the token", failure)
            .await?;
        let path = format!("/project/{}", self.project.project_key);
        let answer = self
            .rest
            .expect(Method::GET, &path, None, "check the project", failure)
            .await?;
        Ok(Delivered::sent(
            "checked: the token reaches the project (no issue was created)",
            &answer.result,
            None,
        ))
    }

    /// Does what `job.step` needs.
    pub async fn send(&self, job: &TicketJob<'_>) -> Result<Delivered, SendFailure> {
        let notice = job.notice;
        let current = job.ticket;
        match (job.step, current) {
            (TicketStep::Open, _) | (_, None) => {
                let (answer, ticket) = self.create(job).await?;
                Ok(answer.delivered("opened an issue", ticket))
            }
            (TicketStep::Resolve, Some(ticket)) => {
                let name = &self.project.resolve_transition;
                let answer = self
                    .transition(&ticket.key, name, notice, "Resolved.")
                    .await?;
                Ok(answer.delivered("transitioned (resolved)", ticket.clone()))
            }
            (TicketStep::Regress, Some(old))
                if self.project.on_regression == Regression::NewIssue =>
            {
                if job.recover {
                    if let Some(found) = self.find(job, Some(&old.key)).await? {
                        return Ok(found_again(found));
                    }
                }
                let (answer, ticket) = self.create(job).await?;
                self.link(&ticket.key, &old.key).await?;
                Ok(answer.delivered("opened a new issue linked to the old one", ticket))
            }
            (TicketStep::Regress, Some(ticket)) => {
                let name = &self.project.reopen_transition;
                let answer = self
                    .transition(&ticket.key, name, notice, "Regressed.")
                    .await?;
                Ok(answer.delivered("transitioned (reopened)", ticket.clone()))
            }
            (TicketStep::Update, Some(ticket)) => {
                // The severity changed: the mapped priority follows (idempotent, so first).
                let priority = self.project.priority(notice.incident.severity);
                if let Some(priority) = priority {
                    let fields = json!({"fields": {"priority": {"name": priority}}});
                    let path = format!("/issue/{}", ticket.key);
                    self.rest
                        .expect(Method::PUT, &path, Some(&fields), "set priority", failure)
                        .await?;
                }
                let answer = self.comment(&ticket.key, notice, "Updated.").await?;
                let action = if priority.is_some() {
                    "set the priority and commented"
                } else {
                    "commented"
                };
                Ok(answer.delivered(action, ticket.clone()))
            }
            (_, Some(ticket)) => {
                let answer = self.comment(&ticket.key, notice, "Acknowledged.").await?;
                Ok(answer.delivered("commented", ticket.clone()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adf_is_a_document_of_non_empty_text_nodes() {
        let notice = Notice::test("jira", chrono::Utc::now());
        let doc = adf(&notice, "Faultline incident.");
        assert_eq!(doc["type"], "doc");
        assert_eq!(doc["version"], 1);
        fn texts(node: &Value, out: &mut Vec<String>) {
            if node["type"] == "text" {
                out.push(node["text"].as_str().unwrap_or_default().to_owned());
            }
            for child in node["content"].as_array().into_iter().flatten() {
                texts(child, out);
            }
        }
        let mut all = Vec::new();
        texts(&doc, &mut all);
        assert!(all.iter().all(|t| !t.is_empty()));
        assert!(all.iter().any(|t| t.contains("Severity")));
    }
}
