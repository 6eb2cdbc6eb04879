//! Standard-Webhooks-signed HTTP POSTs to customer endpoints.

use super::ssrf::{GuardedResolver, ResolveError};
use crate::domain::{Failure, UrlPolicy};
use crate::signing::WebhookSecret;
use std::error::Error as _;
use std::time::{Duration, Instant};

/// One signed POST to make.
#[derive(Debug)]
pub struct OutgoingWebhook<'a> {
    /// Where to.
    pub url: &'a str,
    /// The `webhook-id` (stable across retries).
    pub msg_id: &'a str,
    /// The `webhook-timestamp` (fresh per attempt), unix seconds.
    pub timestamp: i64,
    /// The exact body.
    pub body: &'a str,
    /// The endpoint's custom headers.
    pub headers: &'a std::collections::BTreeMap<String, String>,
    /// The endpoint's signing secrets: the current one, and old ones during a rotation's grace
    /// period; each signs, space-separated, so receivers on either secret verify.
    pub secrets: &'a [WebhookSecret],
}

/// What happened to one POST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryResult {
    /// HTTP status, 0 when no response arrived.
    pub status_code: u16,
    /// Time to the response head, in milliseconds.
    pub latency_ms: u64,
    /// The start of the response body.
    pub response_excerpt: String,
    /// Why it failed, when it did.
    pub failure: Option<Failure>,
    /// The response's `Retry-After`, as sent.
    pub retry_after: Option<String>,
}

impl DeliveryResult {
    /// An attempt refused before any request was made.
    pub fn not_sent(failure: Failure) -> Self {
        Self {
            status_code: 0,
            latency_ms: 0,
            response_excerpt: String::new(),
            failure: Some(failure),
            retry_after: None,
        }
    }

    /// 2xx and nothing else.
    pub fn succeeded(&self) -> bool {
        self.failure.is_none()
    }
}

/// Sends webhooks over one pooled HTTP client per container: keep-alive connections are reused
/// across a batch and across invocations.
#[derive(Clone, Debug)]
pub struct WebhookSender {
    client: reqwest::Client,
    timeout_secs: u64,
}

impl WebhookSender {
    /// The whole attempt (connect, send, response head) must finish within this.
    pub const TIMEOUT: Duration = Duration::from_secs(15);
    /// How much of a response body the ledger keeps.
    pub const EXCERPT_LIMIT: usize = 4096;

    /// A sender with the delivery policy: 15 s timeout, redirects never followed (a redirect could
    /// point anywhere, including inside our network), every resolved address checked against
    /// `policy` at connection time.
    pub fn new(policy: UrlPolicy) -> Self {
        Self::with_timeout(policy, Self::TIMEOUT)
    }

    /// A sender with another timeout (tests of the timeout path use a short one).
    pub fn with_timeout(policy: UrlPolicy, timeout: Duration) -> Self {
        let timeout_secs = timeout.as_secs().max(1);
        let client = reqwest::Client::builder()
            .dns_resolver(GuardedResolver::new(policy))
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Faultline-Webhooks/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .expect("the HTTP client's TLS backend initialises");
        Self {
            client,
            timeout_secs,
        }
    }

    /// POSTs one signed webhook and reports what happened; never errors, every failure is data.
    pub async fn send(&self, webhook: OutgoingWebhook<'_>) -> DeliveryResult {
        let signature = webhook
            .secrets
            .iter()
            .map(|secret| secret.sign(webhook.msg_id, webhook.timestamp, webhook.body.as_bytes()))
            .collect::<Vec<_>>()
            .join(" ");
        let mut request = self.client.post(webhook.url);
        for (name, value) in webhook.headers {
            request = request.header(name, value);
        }
        let request = request
            .header("webhook-id", webhook.msg_id)
            .header("webhook-timestamp", webhook.timestamp.to_string())
            .header("webhook-signature", signature);
        self.post(request, webhook.body).await
    }

    /// POSTs a JSON `body` with `headers` under the same policy (SSRF guard, timeout, no
    /// redirects): what the notifiers send to Slack and Teams.
    pub async fn post_json(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> DeliveryResult {
        let mut request = self.client.post(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.post(request, body).await
    }

    async fn post(&self, request: reqwest::RequestBuilder, body: &str) -> DeliveryResult {
        let request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
        self.exchange(request, Self::EXCERPT_LIMIT).await.0
    }

    /// Calls a provider's REST API under the same policy (SSRF guard, timeout, no redirects):
    /// `method` on `url` with `headers` and a JSON `body`, keeping up to `limit` bytes of the
    /// answer and its headers (rate limits, `Retry-After`). What the ticket notifiers use.
    pub async fn call_api(
        &self,
        method: reqwest::Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
        limit: usize,
    ) -> (DeliveryResult, reqwest::header::HeaderMap) {
        let mut request = self.client.request(method, url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        self.exchange(request, limit).await
    }

    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
        limit: usize,
    ) -> (DeliveryResult, reqwest::header::HeaderMap) {
        let started = Instant::now();
        let response = request.send().await;
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut response = match response {
            Ok(response) => response,
            Err(err) => {
                let result = DeliveryResult {
                    latency_ms,
                    ..DeliveryResult::not_sent(self.transport_failure(&err))
                };
                return (result, reqwest::header::HeaderMap::new());
            }
        };
        let status = response.status();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let headers = response.headers().clone();
        let mut excerpt = Vec::new();
        while excerpt.len() < limit {
            match response.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        excerpt.truncate(limit);
        let result = DeliveryResult {
            status_code: status.as_u16(),
            latency_ms,
            response_excerpt: String::from_utf8_lossy(&excerpt).into_owned(),
            failure: Failure::of_status(status.as_u16(), location),
            retry_after,
        };
        (result, headers)
    }

    /// What a request that got no response failed on.
    fn transport_failure(&self, err: &reqwest::Error) -> Failure {
        if let Some(refused) = refusal(err) {
            Failure::Refused(refused.to_string())
        } else if err.is_timeout() {
            Failure::Timeout {
                after_secs: self.timeout_secs,
            }
        } else if err.is_connect() {
            Failure::Connect
        } else {
            Failure::Request(err.to_string())
        }
    }
}

/// The SSRF guard's refusal somewhere in an error's chain.
fn refusal(err: &reqwest::Error) -> Option<&ResolveError> {
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(refused @ ResolveError::Refused { .. }) = cause.downcast_ref::<ResolveError>() {
            return Some(refused);
        }
        source = cause.source();
    }
    None
}
