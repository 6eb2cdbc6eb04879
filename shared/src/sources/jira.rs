//! Jira Cloud admin webhooks: `X-Hub-Signature: sha256=<hex HMAC>` over the raw body (the
//! webhook's secret, WebSub style), `X-Atlassian-Webhook-Identifier` for deduplication. An
//! issue the hub opened (it carries the incident's label) that moves to a *Done* status resolves
//! its incident; one that moves out of *Done* reopens it. Everything else is accepted and
//! ignored, saying so.

use super::{
    text, Interpretation, SignedRequest, SourceError, TicketAction, TicketChange, WebhookSource,
};
use crate::domain::notification::ticket::incident_of_identity;
use crate::domain::notification::DestinationKind;
use crate::domain::Source;
use crate::signing::SignatureError;
use serde_json::Value;

/// The Jira source.
#[derive(Debug, Clone, Copy)]
pub struct JiraSource;

/// What an `jira:issue_updated` means for the hub: `None` (with why) when nothing.
fn issue_updated(body: &Value) -> Result<Interpretation, SourceError> {
    let issue = &body["issue"];
    let key = text(issue, "/key").ok_or_else(|| SourceError::invalid("issue.key", "missing"))?;
    let status_changed = body
        .pointer("/changelog/items")
        .and_then(Value::as_array)
        .is_some_and(|items| items.iter().any(|i| i["field"] == "status"));
    if !status_changed {
        return Ok(Interpretation::ignored(format!("{key}: no status change")));
    }
    let labels = issue
        .pointer("/fields/labels")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let Some(incident_id) = labels
        .iter()
        .filter_map(Value::as_str)
        .find_map(incident_of_identity)
    else {
        return Ok(Interpretation::ignored(format!(
            "{key} was not opened by Faultline (no incident label)"
        )));
    };
    let done = issue.pointer("/fields/status/statusCategory/key") == Some(&Value::from("done"));
    Ok(Interpretation::Ticket(TicketChange {
        incident_id,
        kind: DestinationKind::Jira,
        key,
        action: if done {
            TicketAction::Resolve
        } else {
            TicketAction::Reopen
        },
        actor: format!(
            "{} in Jira",
            text(body, "/user/displayName").unwrap_or_else(|| "someone".into())
        ),
    }))
}

impl WebhookSource for JiraSource {
    fn source(&self) -> Source {
        Source::Jira
    }

    fn verify(
        &self,
        request: &SignedRequest<'_>,
        secret: Option<&str>,
    ) -> Result<(), SignatureError> {
        request.verify_sha256_header(
            secret,
            "X-Hub-Signature",
            "X-Hub-Signature (set the webhook's secret in Jira: System › WebHooks)",
        )
    }

    fn delivery_id(&self, request: &SignedRequest<'_>) -> Option<String> {
        request
            .header("x-atlassian-webhook-identifier")
            .map(str::to_owned)
    }

    fn interpret(&self, request: &SignedRequest<'_>) -> Result<Interpretation, SourceError> {
        let body = Value::Object(super::json_object(request.body)?);
        let Some(event) = body["webhookEvent"].as_str() else {
            return Err(SourceError::NotThisProvider {
                field: Some("webhookEvent".into()),
                detail: "not a Jira webhook: no `webhookEvent`".into(),
            });
        };
        match event {
            "jira:issue_updated" => issue_updated(&body),
            other => Ok(Interpretation::ignored(format!(
                "Jira event `{other}` is not used"
            ))),
        }
    }
}
