//! What the ticket notifiers (PagerDuty, Jira, GitHub) share: the job they are given, calls to a
//! provider's REST API, and how a failed call is classified.

use super::content::Notice;
use super::{Delivered, SendFailure};
use crate::domain::notification::{Ticket, TicketStep};
use crate::domain::IncidentId;
use crate::sinks::webhook::{DeliveryResult, WebhookSender};
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::time::Duration;

/// How much of a provider's answer is read (a search page, an issue).
pub const ANSWER_LIMIT: usize = 256 * 1024;

/// One step of keeping a ticket in step with its incident.
#[derive(Clone, Copy, Debug)]
pub struct TicketJob<'a> {
    /// The incident as it is now, rendered.
    pub notice: &'a Notice,
    /// Which incident.
    pub incident_id: &'a IncidentId,
    /// What the ticket needs.
    pub step: TicketStep,
    /// The ticket that stands for the incident, if one was opened.
    pub ticket: Option<&'a Ticket>,
    /// An earlier attempt at this step may have created a ticket without recording it: look for
    /// it (by its identity) before creating another.
    pub recover: bool,
}

/// A provider's answer to one REST call.
#[derive(Debug)]
pub struct Answer {
    /// Status, latency and the start of the body.
    pub result: DeliveryResult,
    /// The answer's headers (rate limits, `Link`).
    pub headers: HeaderMap,
}

impl Answer {
    /// The body as JSON (`Null` when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.result.response_excerpt).unwrap_or(Value::Null)
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// What this step achieved, for the ledger.
    pub fn delivered(&self, action: &'static str, ticket: Ticket) -> Delivered {
        let mut delivered = Delivered::sent(action, &self.result, None);
        delivered.ticket = Some(ticket);
        delivered
    }
}

/// A REST client for one provider account: a base URL and the headers every call carries.
#[derive(Debug)]
pub struct RestClient<'a> {
    /// The pooled, SSRF-guarded client.
    pub sender: &'a WebhookSender,
    /// The API's base URL, without a trailing slash.
    pub base: String,
    /// Authorization and the provider's required headers.
    pub headers: Vec<(&'static str, String)>,
}

impl RestClient<'_> {
    /// `method` on `path` (below the base) with an optional JSON body.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Answer {
        let url = format!("{}{path}", self.base);
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        let body = body.map(Value::to_string);
        let (result, headers) = self
            .sender
            .call_api(method, &url, &headers, body.as_deref(), ANSWER_LIMIT)
            .await;
        Answer { result, headers }
    }

    /// Like [`call`](Self::call), but a non-2xx answer is a failure classified by `classify`.
    pub async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
        classify: fn(&Answer, &str) -> SendFailure,
    ) -> Result<Answer, SendFailure> {
        let answer = self.call(method, path, body).await;
        if answer.result.succeeded() {
            Ok(answer)
        } else {
            Err(classify(&answer, what))
        }
    }
}

/// The plain classification: 408, 429 and 5xx (and no answer) retried with `Retry-After`, any
/// other status permanent.
pub fn plain_failure(answer: &Answer, what: &str) -> SendFailure {
    SendFailure::from_http(&answer.result, what)
}

/// A failure that waits at least `wait` before the next attempt.
pub fn retry_after(mut failure: SendFailure, wait: Duration) -> SendFailure {
    failure.retryable = true;
    failure.retry_after = Some(failure.retry_after.map_or(wait, |asked| asked.max(wait)));
    failure
}

/// A ticket an interrupted attempt created, adopted instead of creating another.
pub fn found_again(ticket: Ticket) -> Delivered {
    let mut delivered = Delivered::of("found the issue an interrupted attempt opened", None);
    delivered.ticket = Some(ticket);
    delivered
}
