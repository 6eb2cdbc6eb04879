//! Slack: Block Kit messages through an incoming webhook, or through a bot token's
//! `chat.postMessage` / `chat.update` so one message per incident is edited in place and later
//! news goes into its thread.

use super::content::Notice;
use super::{Delivered, SendFailure};
use crate::domain::notification::RemoteMessage;
use crate::sinks::webhook::{DeliveryResult, WebhookSender};
use crate::text::{escape_mrkdwn, truncated};
use serde_json::{json, Value};

/// Slack's limits: blocks per message, characters per section text, header text, fields.
pub const MAX_BLOCKS: usize = 50;
/// Characters in one section's text.
pub const MAX_SECTION_TEXT: usize = 3000;
const MAX_HEADER_TEXT: usize = 150;
const MAX_FIELDS: usize = 10;
const MAX_FALLBACK_TEXT: usize = 4000;

fn status_emoji(notice: &Notice) -> &'static str {
    use crate::domain::{IncidentStatus, Severity};
    match (notice.incident.status, notice.incident.severity) {
        (IncidentStatus::Resolved, _) => ":large_green_circle:",
        (IncidentStatus::Acknowledged, _) => ":large_yellow_circle:",
        (_, Severity::Critical | Severity::High) => ":red_circle:",
        _ => ":large_orange_circle:",
    }
}

/// The *Acknowledge* / *Resolve* buttons an incident in this state offers (none once resolved,
/// nor on a notice about no incident).
fn buttons(notice: &Notice) -> Vec<Value> {
    use crate::domain::IncidentStatus;
    use crate::sources::slack::BUTTONS;
    if crate::domain::IncidentId::parse(&notice.incident.id).is_none() {
        return Vec::new();
    }
    let offered: &[usize] = match notice.incident.status {
        IncidentStatus::Open => &[0, 1],
        IncidentStatus::Acknowledged => &[1],
        IncidentStatus::Resolved => &[],
    };
    offered
        .iter()
        .map(|&i| {
            let (action_id, _) = BUTTONS[i];
            let label = if i == 0 { "Acknowledge" } else { "Resolve" };
            let mut button = json!({"type": "button", "action_id": action_id,
                "text": {"type": "plain_text", "text": label}, "value": notice.incident.id});
            if i == 1 {
                button["style"] = json!("primary");
            }
            button
        })
        .collect()
}

/// The root message: `text` (the notification fallback) and its blocks, within Slack's limits.
/// `interactive` adds the *Acknowledge* and *Resolve* buttons (a bot's messages: its app
/// receives the clicks).
pub fn message(notice: &Notice, interactive: bool) -> Value {
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "emoji": true,
            "text": truncated(&notice.headline(), MAX_HEADER_TEXT)}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": truncated(
            &format!("{} *{}* · {}", status_emoji(notice), notice.status_word(), escape_mrkdwn(&notice.news)),
            MAX_SECTION_TEXT)}}),
    ];
    if let Some(description) = notice
        .incident
        .description
        .as_deref()
        .filter(|d| !d.is_empty())
    {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn",
            "text": truncated(&escape_mrkdwn(description), MAX_SECTION_TEXT)}}));
    }
    let fields: Vec<Value> = notice
        .facts()
        .into_iter()
        .take(MAX_FIELDS)
        .map(|(label, value)| {
            json!({"type": "mrkdwn", "text": truncated(&format!("*{label}*\n{}", escape_mrkdwn(&value)), 2000)})
        })
        .collect();
    blocks.push(json!({"type": "section", "fields": fields}));
    let mut elements: Vec<Value> = if interactive {
        buttons(notice)
    } else {
        Vec::new()
    };
    let links: Vec<Value> = notice
        .links()
        .into_iter()
        .filter(|(_, url)| url.len() <= 3000)
        .map(|(label, url)| {
            json!({"type": "button", "text": {"type": "plain_text", "text": label}, "url": url})
        })
        .collect();
    elements.extend(links);
    if !elements.is_empty() {
        blocks.push(json!({"type": "actions", "elements": elements}));
    }
    blocks.truncate(MAX_BLOCKS);
    json!({
        "text": truncated(&fallback_text(notice), MAX_FALLBACK_TEXT),
        "blocks": blocks,
    })
}

/// The one-line notification text: `[CRITICAL] Database down — Open: Opened`.
fn fallback_text(notice: &Notice) -> String {
    format!(
        "{} — {}: {}",
        notice.headline(),
        notice.status_word(),
        notice.news
    )
}

/// Sends through an incoming webhook (answers `ok` in plain text, or an error code with a 4xx).
pub async fn send_to_webhook(
    sender: &WebhookSender,
    url: &str,
    notice: &Notice,
) -> Result<Delivered, SendFailure> {
    let result = sender
        .post_json(url, &[], &message(notice, false).to_string())
        .await;
    if result.succeeded() {
        return Ok(Delivered::sent("posted", &result, None));
    }
    Err(SendFailure::from_http(
        &result,
        result.response_excerpt.trim(),
    ))
}

/// A Slack Web API client for one bot token.
#[derive(Debug)]
pub struct SlackBot<'a> {
    /// The pooled, SSRF-guarded client.
    pub sender: &'a WebhookSender,
    /// `https://slack.com/api` (a local stub in tests).
    pub api_base: &'a str,
    /// The `xoxb-…` token.
    pub token: &'a str,
}

/// Web API errors worth retrying; every other `error` is permanent (a wrong channel, a revoked
/// token, a missing scope do not fix themselves).
const RETRYABLE_ERRORS: &[&str] = &[
    "ratelimited",
    "rate_limited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
];

impl SlackBot<'_> {
    /// Calls Web API `method` with a JSON body: the answer's JSON when `ok` is true, otherwise the
    /// failure classified by HTTP status or by `error`.
    async fn call(
        &self,
        method: &str,
        body: &Value,
    ) -> Result<(Value, DeliveryResult), SendFailure> {
        let url = format!("{}/{method}", self.api_base.trim_end_matches('/'));
        let authorization = format!("Bearer {}", self.token);
        let result = self
            .sender
            .post_json(
                &url,
                &[("authorization", authorization.as_str())],
                &body.to_string(),
            )
            .await;
        if !result.succeeded() {
            return Err(SendFailure::from_http(&result, &format!("{method} failed")));
        }
        let answer: Value = serde_json::from_str(&result.response_excerpt).unwrap_or(Value::Null);
        if answer["ok"] == Value::Bool(true) {
            return Ok((answer, result));
        }
        let error = answer["error"]
            .as_str()
            .unwrap_or("unreadable_response")
            .to_owned();
        Err(SendFailure {
            retryable: RETRYABLE_ERRORS.contains(&error.as_str()),
            retry_after: None,
            reason: format!("{method}: {error}"),
            status_code: Some(result.status_code),
            latency_ms: Some(result.latency_ms),
        })
    }

    /// Tells `channel` about the notice: a new root message when there is none yet (or it is
    /// gone), otherwise the root edited to the incident's state and the news in its thread.
    pub async fn send(
        &self,
        channel: &str,
        notice: &Notice,
        root: Option<&RemoteMessage>,
    ) -> Result<Delivered, SendFailure> {
        let mut message = message(notice, true);
        if let Some(root) = root {
            message["channel"] = json!(root.channel);
            message["ts"] = json!(root.ts);
            match self.call("chat.update", &message).await {
                Ok(_) => {
                    let reply = json!({
                        "channel": root.channel,
                        "thread_ts": root.ts,
                        "text": truncated(&format!("{} — {}", notice.news, notice.status_word()), MAX_FALLBACK_TEXT),
                    });
                    let (_, result) = self.call("chat.postMessage", &reply).await?;
                    return Ok(Delivered::sent(
                        "edited and replied in thread",
                        &result,
                        Some(root.clone()),
                    ));
                }
                Err(failure) if failure.reason.ends_with("message_not_found") => {
                    tracing::warn!(channel, "the root message is gone; posting a new one");
                }
                Err(failure) => return Err(failure),
            }
            let _ = message.as_object_mut().map(|m| m.remove("ts"));
        }
        message["channel"] = json!(channel);
        let (answer, result) = self.call("chat.postMessage", &message).await?;
        let remote = RemoteMessage {
            channel: answer["channel"].as_str().unwrap_or(channel).to_owned(),
            ts: answer["ts"].as_str().unwrap_or_default().to_owned(),
        };
        Ok(Delivered::sent("posted", &result, Some(remote)))
    }

    /// Checks the token with `auth.test` (what a destination test does before posting).
    pub async fn check_token(&self) -> Result<(), SendFailure> {
        self.call("auth.test", &json!({})).await.map(|_| ())
    }
}
