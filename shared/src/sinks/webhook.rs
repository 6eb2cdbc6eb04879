//! Standard-Webhooks-signed HTTP POSTs to customer endpoints.

use super::ssrf::{GuardedResolver, REFUSED_MARKER};
use crate::domain::UrlPolicy;
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
    pub error: Option<String>,
    /// `timeout`, `connect`, `redirect`, `status`, `refused` or `request` when it failed.
    pub error_kind: Option<&'static str>,
    /// No response arrived in time.
    pub timed_out: bool,
    /// The response's `Retry-After`, as sent.
    pub retry_after: Option<String>,
}

impl DeliveryResult {
    /// An attempt refused before any request was made.
    pub fn not_sent(error: String, error_kind: &'static str) -> Self {
        Self {
            status_code: 0,
            latency_ms: 0,
            response_excerpt: String::new(),
            error: Some(error),
            error_kind: Some(error_kind),
            timed_out: false,
            retry_after: None,
        }
    }

    /// 2xx and nothing else.
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && (200..300).contains(&self.status_code)
    }
}

/// Sends webhooks over one pooled HTTP client per container: keep-alive connections are reused
/// across a batch and across invocations.
#[derive(Clone, Debug)]
pub struct WebhookSender {
    client: reqwest::Client,
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
        let client = reqwest::Client::builder()
            .dns_resolver(GuardedResolver::new(policy))
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Faultline-Webhooks/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .expect("the HTTP client's TLS backend initialises");
        Self { client }
    }

    /// POSTs one signed webhook and reports what happened; never errors, every failure is data.
    pub async fn send(&self, webhook: OutgoingWebhook<'_>) -> DeliveryResult {
        let signature = webhook
            .secrets
            .iter()
            .map(|secret| secret.sign(webhook.msg_id, webhook.timestamp, webhook.body.as_bytes()))
            .collect::<Vec<_>>()
            .join(" ");
        let started = Instant::now();
        let mut request = self.client.post(webhook.url);
        for (name, value) in webhook.headers {
            request = request.header(name, value);
        }
        let response = request
            .header("content-type", "application/json")
            .header("webhook-id", webhook.msg_id)
            .header("webhook-timestamp", webhook.timestamp.to_string())
            .header("webhook-signature", signature)
            .body(webhook.body.to_owned())
            .send()
            .await;
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut response = match response {
            Ok(response) => response,
            Err(err) => {
                return DeliveryResult {
                    status_code: 0,
                    latency_ms,
                    response_excerpt: String::new(),
                    error: Some(describe_transport_error(&err)),
                    error_kind: Some(if err.is_timeout() {
                        "timeout"
                    } else if refusal(&err).is_some() {
                        "refused"
                    } else if err.is_connect() {
                        "connect"
                    } else {
                        "request"
                    }),
                    timed_out: err.is_timeout(),
                    retry_after: None,
                }
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
        let mut excerpt = Vec::new();
        while excerpt.len() < Self::EXCERPT_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        excerpt.truncate(Self::EXCERPT_LIMIT);
        let error = if status.is_success() {
            None
        } else if status.is_redirection() {
            Some(format!(
                "redirect {} not followed{}",
                status.as_u16(),
                location.map(|l| format!(" (to {l})")).unwrap_or_default()
            ))
        } else {
            Some(format!("endpoint answered HTTP {}", status.as_u16()))
        };
        let error_kind = match () {
            _ if status.is_success() => None,
            _ if status.is_redirection() => Some("redirect"),
            _ => Some("status"),
        };
        DeliveryResult {
            status_code: status.as_u16(),
            latency_ms,
            response_excerpt: String::from_utf8_lossy(&excerpt).into_owned(),
            error,
            error_kind,
            timed_out: false,
            retry_after,
        }
    }
}

/// The SSRF guard's refusal somewhere in an error's chain.
fn refusal(err: &reqwest::Error) -> Option<String> {
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if text.starts_with(REFUSED_MARKER) {
            return Some(text);
        }
        source = cause.source();
    }
    None
}

fn describe_transport_error(err: &reqwest::Error) -> String {
    if let Some(refused) = refusal(err) {
        refused
    } else if err.is_timeout() {
        format!(
            "timeout: no response within {} s",
            WebhookSender::TIMEOUT.as_secs()
        )
    } else if err.is_connect() {
        "connection failed".to_owned()
    } else {
        format!("request failed: {err}")
    }
}
