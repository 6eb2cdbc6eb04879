//! Inbound providers. Each source verifies its own signature scheme over the exact bytes and
//! interprets its payloads — into signals, a merged change, a command, or a direct reply — so the
//! pipeline in `services::inbound` is the same for all of them.

pub mod generic;
pub mod github;
pub mod pagerduty;
pub mod sentry;
pub mod slack;

use crate::domain::{Integration, Signal, Source};
use crate::http::ApiError;
use chrono::{DateTime, Utc};
use http::{HeaderMap, StatusCode};
use serde_json::Value;

/// A verified-or-not request as the source sees it.
#[derive(Debug, Clone, Copy)]
pub struct InboundRequest<'a> {
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The exact body bytes.
    pub body: &'a [u8],
    /// Now (injectable for freshness windows).
    pub now: DateTime<Utc>,
    /// The integration it was sent to.
    pub integration: &'a Integration,
}

impl InboundRequest<'_> {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    }
}

/// A merged change a source reported (GitHub), before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeDraft {
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

/// What a source makes of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Interpretation {
    /// Answer at once and change nothing (a ping, a URL check, an event we do not use).
    Reply {
        /// Status to answer.
        status: StatusCode,
        /// JSON body.
        body: Value,
    },
    /// Apply these signals.
    Signals(Vec<Signal>),
    /// Record a merged change.
    Change(ChangeDraft),
    /// Run a Slack slash command.
    Command(slack::SlashCommand),
}

impl Interpretation {
    /// A 202 saying why nothing was done.
    pub fn ignored(reason: impl Into<String>) -> Self {
        Self::Reply {
            status: StatusCode::ACCEPTED,
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
    fn verify(&self, request: &InboundRequest<'_>, secret: Option<&str>) -> Result<(), String>;

    /// The provider's id for this delivery (for deduplication), if it sends one.
    fn delivery_id(&self, request: &InboundRequest<'_>) -> Option<String>;

    /// What the request means. Only called on verified requests.
    fn interpret(&self, request: &InboundRequest<'_>) -> Result<Interpretation, ApiError>;
}

/// The source for a provider.
pub fn source_for(source: Source) -> &'static dyn WebhookSource {
    match source {
        Source::Generic => &generic::GenericSource,
        Source::Github => &github::GithubSource,
        Source::Pagerduty => &pagerduty::PagerdutySource,
        Source::Sentry => &sentry::SentrySource,
        Source::Slack => &slack::SlackSource,
    }
}

/// Parses a body as a JSON object: 400 when it is not JSON at all.
pub fn json_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, ApiError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::BadRequest {
            field: None,
            detail: "the body must be a JSON object".into(),
        }),
        Err(err) => Err(ApiError::MalformedJson(err.to_string())),
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
