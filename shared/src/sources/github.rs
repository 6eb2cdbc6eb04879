//! GitHub webhooks: `X-Hub-Signature-256: sha256=<hex HMAC>` over the raw body,
//! `X-GitHub-Event` routing, `X-GitHub-Delivery` for deduplication. A merged pull request is a
//! change (a deploy) for the change log; an issue the hub opened (its marker or label) that is
//! closed resolves its incident, reopened reopens it, and a comment written on it goes onto the
//! incident's timeline; pings are answered; everything else is accepted and ignored, saying so.

use super::SourceError;
use super::{text, time, DeployDraft, Interpretation, SignedRequest, WebhookSource};
use super::{TicketAction, TicketChange};
use crate::domain::notification::ticket::incident_of_identity;
use crate::domain::notification::DestinationKind;
use crate::domain::Source;
use crate::signing::SignatureError;
use serde_json::{json, Value};

/// The GitHub source.
#[derive(Debug, Clone, Copy)]
pub struct GithubSource;

fn pull_request_change(body: &Value) -> Result<Interpretation, SourceError> {
    let pr = &body["pull_request"];
    if body["action"] != "closed" {
        return Ok(Interpretation::ignored(format!(
            "pull_request action `{}` is not used",
            body["action"].as_str().unwrap_or_default()
        )));
    }
    if pr["merged"] != true {
        return Ok(Interpretation::ignored("pull request closed without merge"));
    }
    let field = |name: &str| SourceError::invalid(name, format!("`{name}` is missing"));
    Ok(Interpretation::Deploy(DeployDraft {
        repo: text(body, "/repository/full_name").ok_or_else(|| field("repository.full_name"))?,
        number: pr["number"]
            .as_u64()
            .or(body["number"].as_u64())
            .ok_or_else(|| field("pull_request.number"))?,
        title: text(pr, "/title").unwrap_or_default(),
        author: text(pr, "/user/login").unwrap_or_default(),
        merge_commit: text(pr, "/merge_commit_sha"),
        url: text(pr, "/html_url").ok_or_else(|| field("pull_request.html_url"))?,
        merged_at: time(pr, "/merged_at").ok_or_else(|| field("pull_request.merged_at"))?,
    }))
}

/// An `issue_comment` event: a comment written on an issue the hub opened (not one of the hub's
/// own, which carry its marker).
fn issue_comment(body: &Value) -> Result<Interpretation, SourceError> {
    if body["action"] != "created" {
        return Ok(Interpretation::ignored(format!(
            "issue_comment action `{}` is not used",
            body["action"].as_str().unwrap_or_default()
        )));
    }
    let text = text(body, "/comment/body").unwrap_or_default();
    if incident_of_identity(&text).is_some() {
        return Ok(Interpretation::ignored("the hub's own comment"));
    }
    issue_action(body, TicketAction::Comment(text))
}

/// An `issues` event: closed or reopened, on an issue the hub opened.
fn issue_change(body: &Value) -> Result<Interpretation, SourceError> {
    let action = match body["action"].as_str().unwrap_or_default() {
        "closed" => TicketAction::Resolve,
        "reopened" => TicketAction::Reopen,
        other => {
            return Ok(Interpretation::ignored(format!(
                "issues action `{other}` is not used"
            )))
        }
    };
    issue_action(body, action)
}

/// `action` on the incident the event's issue names (by its marker or label).
fn issue_action(body: &Value, action: TicketAction) -> Result<Interpretation, SourceError> {
    let issue = &body["issue"];
    let field = |name: &str| SourceError::invalid(name, format!("`{name}` is missing"));
    let repository =
        text(body, "/repository/full_name").ok_or_else(|| field("repository.full_name"))?;
    let number = issue["number"]
        .as_u64()
        .ok_or_else(|| field("issue.number"))?;
    let labels = issue["labels"].as_array().cloned().unwrap_or_default();
    let incident = issue["body"]
        .as_str()
        .and_then(incident_of_identity)
        .or_else(|| {
            labels
                .iter()
                .filter_map(|l| l["name"].as_str())
                .find_map(incident_of_identity)
        });
    let Some(incident_id) = incident else {
        return Ok(Interpretation::ignored(format!(
            "{repository}#{number} was not opened by Faultline"
        )));
    };
    Ok(Interpretation::Ticket(TicketChange {
        incident_id,
        kind: DestinationKind::Github,
        key: format!("{repository}#{number}"),
        action,
        actor: format!(
            "{} on GitHub",
            text(body, "/sender/login").unwrap_or_else(|| "someone".into())
        ),
    }))
}

impl WebhookSource for GithubSource {
    fn source(&self) -> Source {
        Source::Github
    }

    fn verify(
        &self,
        request: &SignedRequest<'_>,
        secret: Option<&str>,
    ) -> Result<(), SignatureError> {
        request.verify_sha256_header(
            secret,
            "X-Hub-Signature-256",
            "X-Hub-Signature-256 (configure the webhook's secret in GitHub)",
        )
    }

    fn delivery_id(&self, request: &SignedRequest<'_>) -> Option<String> {
        request.header("x-github-delivery").map(str::to_owned)
    }

    fn interpret(&self, request: &SignedRequest<'_>) -> Result<Interpretation, SourceError> {
        let event = request
            .header("x-github-event")
            .unwrap_or_default()
            .to_owned();
        if event.is_empty() {
            return Err(SourceError::NotThisProvider {
                field: Some("X-GitHub-Event".into()),
                detail: "not a GitHub webhook: no X-GitHub-Event header".into(),
            });
        }
        let body = Value::Object(super::json_object(request.body)?);
        match event.as_str() {
            "ping" => Ok(Interpretation::Reply {
                status: super::ReplyStatus::Ok,
                body: json!({"status": "pong", "zen": body["zen"], "hook_id": body["hook_id"]}),
            }),
            "pull_request" => pull_request_change(&body),
            "issues" => issue_change(&body),
            "issue_comment" => issue_comment(&body),
            other => Ok(Interpretation::ignored(format!(
                "GitHub event `{other}` is not used"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::signing::verify_sha256_hex_signature;

    #[test]
    fn the_real_merged_pull_request_verifies_over_its_exact_bytes() {
        let body = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/providers/github_pull_request_merged.json"
        ))
        .expect("fixture");
        let signature = "sha256=ad93d10cb9710f9356f7ade6ce2fd438fb09bf0809d68b12a51b0c1ec49b5ae9";
        assert!(verify_sha256_hex_signature(
            b"It's a Secret to Everybody",
            &body,
            signature
        ));
        let reserialised =
            serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(&body).expect("JSON"))
                .expect("JSON");
        assert!(!verify_sha256_hex_signature(
            b"It's a Secret to Everybody",
            &reserialised,
            signature
        ));
    }
}
