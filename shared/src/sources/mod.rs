//! Inbound providers. Each source verifies its own signature scheme over the exact bytes and
//! interprets its payloads — into signals, a merged change, a command, or a direct reply — so the
//! pipeline in `services::inbound` is the same for all of them.

mod error;
pub mod generic;
pub mod github;
mod headers;
pub mod jira;
pub mod pagerduty;
pub mod sentry;
pub mod sentry_api;
pub mod slack;

pub use error::SourceError;
pub use headers::Headers;

use crate::domain::{Integration, Signal, Source};
use crate::signing::SignatureError;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// A request as a source sees it, before and after verification.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The request headers.
    pub headers: &'a Headers,
    /// The exact body bytes.
    pub body: &'a [u8],
    /// Now (injectable for freshness windows).
    pub now: DateTime<Utc>,
    /// The integration it was sent to.
    pub integration: &'a Integration,
}

impl SignedRequest<'_> {
    /// A header as text, trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// Verifies a `sha256=<hex HMAC of the body>` signature in `header` (GitHub's and Jira's
    /// scheme) with `secret`; these providers always sign, so no secret accepts nothing. `missing`
    /// names the header and where to set the secret.
    pub fn verify_sha256_header(
        &self,
        secret: Option<&str>,
        header: &'static str,
        missing: &'static str,
    ) -> Result<(), SignatureError> {
        let secret = secret.ok_or(SignatureError::NoSecret)?;
        let given = self
            .header(header)
            .ok_or(SignatureError::Missing(missing))?;
        if crate::signing::verify_sha256_hex_signature(secret.as_bytes(), self.body, given) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch(header))
        }
    }
}

/// A merged change a source reported (GitHub), before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployDraft {
    /// `owner/name`.
    pub repo: String,
    /// Pull request number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Author login.
    pub author: String,
    /// Merge commit.
    pub merge_commit: Option<String>,
    /// Link.
    pub url: String,
    /// When merged.
    pub merged_at: DateTime<Utc>,
}

/// What happened to a ticket or page the hub opened for an incident (a Jira issue done, a GitHub
/// issue reopened, a PagerDuty incident resolved), to bring the incident in step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketChange {
    /// The incident the ticket names (its label, marker or `dedup_key`): checked against the
    /// notification log before anything changes.
    pub incident_id: crate::domain::IncidentId,
    /// Where the ticket lives.
    pub kind: crate::domain::notification::DestinationKind,
    /// The ticket's key as the hub records it (`OPS-1`, `acme/api#42`, the `dedup_key`).
    pub key: String,
    /// What to do to the incident.
    pub action: TicketAction,
    /// Who did it, as the provider names them.
    pub actor: String,
}

/// What a ticket's change means for its incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketAction {
    /// Acknowledged there.
    Acknowledge,
    /// Done, closed or resolved there.
    Resolve,
    /// Reopened there.
    Reopen,
    /// Someone commented there: the comment goes onto the incident's timeline.
    Comment(String),
}

/// How a direct reply is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyStatus {
    /// Answered (a ping, a URL check, a command): 200.
    Ok,
    /// Taken and deliberately not used: 202.
    Accepted,
}

/// What a source makes of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Interpretation {
    /// Answer at once and change nothing (a ping, a URL check, an event we do not use).
    Reply {
        /// How to answer.
        status: ReplyStatus,
        /// JSON body.
        body: Value,
    },
    /// Apply these signals.
    Signals(Vec<Signal>),
    /// Record a merged change.
    Deploy(DeployDraft),
    /// Run a Slack slash command.
    Command(slack::SlashCommand),
    /// Bring an incident in step with its ticket.
    Ticket(TicketChange),
}

impl Interpretation {
    /// A 202 saying why nothing was done.
    pub fn ignored(reason: impl Into<String>) -> Self {
        Self::Reply {
            status: ReplyStatus::Accepted,
            body: serde_json::json!({"status": "ignored", "reason": reason.into()}),
        }
    }
}

/// One inbound provider.
pub trait WebhookSource: Send + Sync {
    /// Which provider.
    fn source(&self) -> Source;

    /// Verifies the request over its exact bytes; `secret` is the integration's, opened.
    /// The error text is shown to the caller (it names no secret).
    fn verify(
        &self,
        request: &SignedRequest<'_>,
        secret: Option<&str>,
    ) -> Result<(), SignatureError>;

    /// Whether this request's signature covers a timestamp (so a captured request goes stale).
    /// Where it does not, the pipeline also remembers the signed body for the dedup window.
    fn signs_timestamp(&self, _request: &SignedRequest<'_>) -> bool {
        false
    }

    /// The provider's id for this delivery (for deduplication), if it sends one.
    fn delivery_id(&self, request: &SignedRequest<'_>) -> Option<String>;

    /// What the request means. Only called on verified requests.
    fn interpret(&self, request: &SignedRequest<'_>) -> Result<Interpretation, SourceError>;
}

/// The webhook source for a provider; `None` for CloudWatch, which sends no webhooks.
pub fn source_for(source: Source) -> Option<&'static dyn WebhookSource> {
    Some(match source {
        Source::Generic => &generic::GenericSource,
        Source::Github => &github::GithubSource,
        Source::Jira => &jira::JiraSource,
        Source::Pagerduty => &pagerduty::PagerdutySource,
        Source::Sentry => &sentry::SentrySource,
        Source::Slack => &slack::SlackSource,
        Source::Cloudwatch => return None,
    })
}

/// Parses a body as a JSON object.
pub fn json_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, SourceError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(SourceError::NotThisProvider {
            field: None,
            detail: "the body must be a JSON object".into(),
        }),
        Err(err) => Err(SourceError::Malformed(err.to_string())),
    }
}

/// A string at a JSON pointer.
pub(crate) fn text(value: &Value, pointer: &str) -> Option<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .filter(|s| !s.is_empty())
}

/// An RFC 3339 time at a JSON pointer.
pub(crate) fn time(value: &Value, pointer: &str) -> Option<DateTime<Utc>> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}
