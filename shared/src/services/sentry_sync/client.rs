//! Sentry's REST API as the sync job calls it: bearer token, pages by the `Link` header, rate
//! limits by Sentry's headers, 5xx retried with back-off.

use crate::sinks::webhook::WebhookSender;
use chrono::{DateTime, TimeZone, Utc};
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::time::Duration;
use tokio::time::Instant;

/// How much of one answer is read: a page of 100 issues without stats is far less.
const ANSWER_LIMIT: usize = 4 * 1024 * 1024;
/// Tries of a call Sentry answers with 5xx (or not at all), within one run.
const TRIES: u32 = 3;
/// How long to wait when Sentry says 429 without saying until when.
const DEFAULT_PAUSE: Duration = Duration::from_secs(60);

/// Why a call came back without what was asked.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// 429, or no requests left: wait until then.
    RateLimited(DateTime<Utc>),
    /// 401/403: the token is wrong or may not read this (needs a person).
    Broken(String),
    /// 404: no such organisation, project or issue (needs a person, unless the caller expects
    /// it: an issue whose events are gone).
    Missing(String),
    /// 5xx or no answer, still after retries; or an answer that is not what Sentry sends.
    Unavailable(String),
    /// The run's time is up.
    OutOfTime,
}

/// Sentry's rate-limit headers, when it sends them (a self-hosted instance may not).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RateLimit {
    /// Requests left in the window (`X-Sentry-Rate-Limit-Remaining`).
    pub remaining: Option<u64>,
    /// When the window resets (`X-Sentry-Rate-Limit-Reset`, epoch seconds).
    pub reset: Option<DateTime<Utc>>,
    /// Concurrent requests left (`X-Sentry-Rate-Limit-ConcurrentRemaining`).
    pub concurrent_remaining: Option<u64>,
}

impl RateLimit {
    fn of(headers: &HeaderMap) -> Self {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        Self {
            remaining: number("x-sentry-rate-limit-remaining").map(|n| n as u64),
            reset: number("x-sentry-rate-limit-reset")
                .and_then(|secs| Utc.timestamp_opt(secs as i64, 0).single()),
            concurrent_remaining: number("x-sentry-rate-limit-concurrentremaining")
                .map(|n| n as u64),
        }
    }

    /// Whether the window is spent: the next call would be refused.
    pub fn exhausted(&self) -> bool {
        self.remaining == Some(0)
    }
}

/// One answered call: its JSON, the next page's cursor and the rate limit it reported.
#[derive(Debug)]
pub struct Page {
    /// The body.
    pub body: Value,
    /// The cursor of the next page, when `Link` says `rel="next"; results="true"`.
    pub next: Option<String>,
    /// What the answer said about the rate limit.
    pub rate: RateLimit,
}

/// The cursor of the `rel="next"` link, only while it has results: Sentry always sends a next
/// link, with `results="false"` on the last page.
pub fn next_cursor(link: &str) -> Option<String> {
    link.split(",")
        .map(str::trim)
        .filter(|part| part.contains("rel=\"next\""))
        .find(|part| part.contains("results=\"true\""))
        .and_then(|part| {
            part.split(';').map(str::trim).find_map(|attribute| {
                attribute
                    .strip_prefix("cursor=\"")
                    .and_then(|c| c.strip_suffix('"'))
                    .map(str::to_owned)
            })
        })
}

/// A client for one configuration's Sentry.
pub struct SentryApi<'a> {
    /// The pooled, SSRF-guarded client.
    pub sender: &'a WebhookSender,
    /// `https://sentry.io/api/0` or the self-hosted equivalent.
    pub base: String,
    /// The auth token.
    pub token: String,
    /// When the run must stop.
    pub deadline: Instant,
    /// Calls made so far.
    pub calls: u32,
}

impl SentryApi<'_> {
    /// `GET` of `path_and_query` below `/api/0`, with 5xx retried (1 s, then 2 s) while time
    /// remains.
    pub async fn get(&mut self, path_and_query: &str) -> Result<Page, Refusal> {
        let url = format!("{}{path_and_query}", self.base);
        let authorization = format!("Bearer {}", self.token);
        let mut pause = Duration::from_secs(1);
        for attempt in 1..=TRIES {
            if Instant::now() >= self.deadline {
                return Err(Refusal::OutOfTime);
            }
            self.calls += 1;
            let (result, headers) = self
                .sender
                .call_api(
                    reqwest::Method::GET,
                    &url,
                    &[
                        ("authorization", &authorization),
                        ("accept", "application/json"),
                    ],
                    None,
                    ANSWER_LIMIT,
                )
                .await;
            let rate = RateLimit::of(&headers);
            let status = result.status_code;
            if result.succeeded() {
                let body = serde_json::from_str(&result.response_excerpt).map_err(|_| {
                    Refusal::Unavailable(format!(
                        "Sentry answered {url_path} with no JSON",
                        url_path = path_only(path_and_query)
                    ))
                })?;
                let next = headers
                    .get("link")
                    .and_then(|v| v.to_str().ok())
                    .and_then(next_cursor);
                return Ok(Page { body, next, rate });
            }
            let detail = crate::text::truncated(result.response_excerpt.trim(), 200);
            match status {
                429 => {
                    let waited = result
                        .retry_after
                        .as_deref()
                        .and_then(|v| v.trim().parse::<i64>().ok())
                        .map(|secs| Utc::now() + chrono::Duration::seconds(secs));
                    let until = rate
                        .reset
                        .or(waited)
                        .unwrap_or_else(|| Utc::now() + DEFAULT_PAUSE);
                    return Err(Refusal::RateLimited(until));
                }
                401 | 403 | 404 => {
                    let reason = format!(
                        "Sentry answered {status} to GET {}: {detail}",
                        path_only(path_and_query)
                    );
                    return Err(if status == 404 {
                        Refusal::Missing(reason)
                    } else {
                        Refusal::Broken(reason)
                    });
                }
                0 | 500..=599 if attempt < TRIES => {
                    tokio::time::sleep(
                        pause.min(self.deadline - Instant::now().min(self.deadline)),
                    )
                    .await;
                    pause *= 2;
                }
                _ => {
                    let what = match &result.failure {
                        Some(failure) if status == 0 => failure.describe(),
                        _ => format!("HTTP {status}: {detail}"),
                    };
                    return Err(Refusal::Unavailable(format!(
                        "Sentry GET {}: {what}",
                        path_only(path_and_query)
                    )));
                }
            }
        }
        Err(Refusal::Unavailable("Sentry kept failing".into()))
    }
}

/// The path without its query (cursors and searches stay out of messages).
fn path_only(path_and_query: &str) -> &str {
    path_and_query.split('?').next().unwrap_or(path_and_query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_cursor_is_followed_only_while_it_has_results() {
        let more = r#"<https://sentry.io/api/0/projects/acme/api/issues/?&cursor=1541455200000:0:1>; rel="previous"; results="false"; cursor="1541455200000:0:1", <https://sentry.io/api/0/projects/acme/api/issues/?&cursor=1541455200000:100:0>; rel="next"; results="true"; cursor="1541455200000:100:0""#;
        assert_eq!(next_cursor(more).as_deref(), Some("1541455200000:100:0"));
        let last = more.replace(r#"results="true""#, r#"results="false""#);
        assert_eq!(next_cursor(&last), None);
        assert_eq!(next_cursor(""), None);
    }

    #[test]
    fn rate_limit_headers_are_read_when_sent() {
        let mut headers = HeaderMap::new();
        headers.insert("x-sentry-rate-limit-remaining", "0".parse().expect("value"));
        headers.insert(
            "x-sentry-rate-limit-reset",
            "1700000000".parse().expect("value"),
        );
        headers.insert(
            "x-sentry-rate-limit-concurrentremaining",
            "24".parse().expect("value"),
        );
        let rate = RateLimit::of(&headers);
        assert!(rate.exhausted());
        assert_eq!(rate.reset.map(|t| t.timestamp()), Some(1_700_000_000));
        assert_eq!(rate.concurrent_remaining, Some(24));
        assert_eq!(RateLimit::of(&HeaderMap::new()), RateLimit::default());
        assert!(!RateLimit::default().exhausted());
    }
}
