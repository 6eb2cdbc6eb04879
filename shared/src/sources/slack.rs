//! Slack: `X-Slack-Signature: v0=<hex HMAC("v0:{timestamp}:{body}")>` with
//! `X-Slack-Request-Timestamp` within 5 minutes both ways. The Events API's `url_verification` is
//! answered with its challenge; `event_callback` messages in the configured channels that match the
//! configured patterns become alerts (retries, `X-Slack-Retry-Num`, are deduplicated on the event
//! id); the `/faultline` slash command is answered in Slack's response format.

use super::SourceError;
use super::{Interpretation, SignedRequest, WebhookSource};
use crate::domain::{Fingerprint, Severity, Signal, Source};
use crate::signing::{hmac_sha256, is_fresh, SignatureError};
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

/// The Slack source.
#[derive(Debug, Clone, Copy)]
pub struct SlackSource;

/// Requests whose timestamp is further than this from now are refused (replays).
pub const WINDOW_SECS: i64 = 5 * 60;

/// Patterns used when the integration configures none (case-insensitive substrings).
pub const DEFAULT_PATTERNS: &[&str] =
    &["error", "exception", "fatal", "critical", "alert", "firing"];

/// A parsed `/faultline` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlashCommand {
    /// `list`, `ack`, `resolve`, `status` (or anything else, answered with help).
    pub verb: String,
    /// The argument (an incident id for `ack` and `resolve`).
    pub argument: Option<String>,
    /// Who typed it.
    pub user: String,
    /// Where.
    pub channel: String,
}

/// The `action_id` of the buttons on Faultline's Slack messages, with the command each runs.
pub const BUTTONS: &[(&str, &str)] = &[
    ("faultline.acknowledge", "ack"),
    ("faultline.resolve", "resolve"),
];

/// An interactivity request's JSON (`payload=` form field), if the request is one.
fn interaction_payload(request: &SignedRequest<'_>) -> Option<Value> {
    if !is_form(request) {
        return None;
    }
    serde_json::from_str(&form_field(request.body, "payload")?).ok()
}

/// A click on one of Faultline's buttons (`block_actions`) as the command it stands for, run as
/// the Slack user who clicked.
fn button_command(payload: &Value) -> Option<SlashCommand> {
    if payload["type"] != "block_actions" {
        return None;
    }
    let action = payload["actions"].as_array()?.first()?;
    let (_, verb) = BUTTONS.iter().find(|(id, _)| action["action_id"] == *id)?;
    let user = &payload["user"];
    let name = user["username"]
        .as_str()
        .or_else(|| user["name"].as_str())
        .or_else(|| user["id"].as_str())
        .unwrap_or_default();
    Some(SlashCommand {
        verb: (*verb).to_owned(),
        argument: action["value"].as_str().map(str::to_owned),
        user: name.to_owned(),
        channel: payload["channel"]["id"]
            .as_str()
            .or_else(|| payload["container"]["channel_id"].as_str())
            .unwrap_or_default()
            .to_owned(),
    })
}

/// Verifies a Slack request signature over the exact bytes with the clock given.
pub fn verify_slack_signature(
    secret: &str,
    timestamp: &str,
    body: &[u8],
    signature: &str,
    now: i64,
) -> Result<(), SignatureError> {
    let ts: i64 = timestamp
        .parse()
        .map_err(|_| SignatureError::BadTimestamp(TIMESTAMP_HEADER))?;
    if !is_fresh(ts, now, WINDOW_SECS) {
        return Err(SignatureError::Stale {
            header: TIMESTAMP_HEADER,
            window_secs: WINDOW_SECS,
        });
    }
    let mut base = format!("v0:{timestamp}:").into_bytes();
    base.extend_from_slice(body);
    let expected = format!("v0={}", hex::encode(hmac_sha256(secret.as_bytes(), &base)));
    if bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch("X-Slack-Signature"))
    }
}

const TIMESTAMP_HEADER: &str = "X-Slack-Request-Timestamp";

fn form_field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn is_form(request: &SignedRequest<'_>) -> bool {
    request
        .header("content-type")
        .map(|ct| ct.starts_with("application/x-www-form-urlencoded"))
        .unwrap_or_else(|| !request.body.starts_with(b"{"))
}

fn configured(request: &SignedRequest<'_>, key: &str) -> Vec<String> {
    request
        .integration
        .config
        .get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_lowercase)
                .collect()
        })
        .unwrap_or_default()
}

fn message_signal(
    request: &SignedRequest<'_>,
    envelope: &Value,
) -> Result<Interpretation, SourceError> {
    let event = &envelope["event"];
    let kind = event["type"].as_str().unwrap_or_default();
    if !matches!(kind, "message" | "app_mention")
        || event.get("subtype").is_some_and(|s| s != "bot_message")
    {
        return Ok(Interpretation::ignored(format!(
            "Slack event `{kind}` is not used"
        )));
    }
    let channel = event["channel"].as_str().unwrap_or_default();
    let channels = configured(request, "channels");
    if !channels.is_empty() && !channels.contains(&channel.to_lowercase()) {
        return Ok(Interpretation::ignored(format!(
            "channel {channel} is not watched"
        )));
    }
    let text = event["text"].as_str().unwrap_or_default();
    let lower = text.to_lowercase();
    let mut patterns = configured(request, "patterns");
    if patterns.is_empty() {
        patterns = DEFAULT_PATTERNS.iter().map(|p| (*p).to_owned()).collect();
    }
    let Some(matched) = patterns.iter().find(|p| lower.contains(p.as_str())) else {
        return Ok(Interpretation::ignored(
            "message matches no configured pattern",
        ));
    };
    let first_line = text.lines().next().unwrap_or_default();
    let title: String = first_line.chars().take(200).collect();
    // The same message shape (numbers aside) in the same channel is the same problem.
    let shape: String = lower
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect();
    let at = event["ts"]
        .as_str()
        .and_then(|ts| ts.split('.').next())
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| Utc.timestamp_opt(s, 0).single())
        .unwrap_or(request.now);
    let mut signal = Signal::new(
        Source::Slack,
        Fingerprint::from_key("slack", &format!("{channel}\n{shape}")),
        title,
        at,
    );
    signal.severity = if lower.contains("critical") || lower.contains("fatal") {
        Severity::Critical
    } else {
        Severity::High
    };
    signal.description = (text.len() > first_line.len()).then(|| text.to_owned());
    signal.attributes = json!({
        "channel": channel, "user": event["user"], "matched_pattern": matched, "slack_event_id": envelope["event_id"],
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    Ok(Interpretation::Signals(vec![signal]))
}

impl WebhookSource for SlackSource {
    fn source(&self) -> Source {
        Source::Slack
    }

    fn verify(
        &self,
        request: &SignedRequest<'_>,
        secret: Option<&str>,
    ) -> Result<(), SignatureError> {
        let Some(secret) = secret else {
            return Err(SignatureError::NoSecret);
        };
        let timestamp = request
            .header("x-slack-request-timestamp")
            .ok_or(SignatureError::Missing(TIMESTAMP_HEADER))?;
        let signature = request
            .header("x-slack-signature")
            .ok_or(SignatureError::Missing("X-Slack-Signature"))?;
        verify_slack_signature(
            secret,
            timestamp,
            request.body,
            signature,
            request.now.timestamp(),
        )
    }

    fn signs_timestamp(&self, _request: &SignedRequest<'_>) -> bool {
        true // v0:<timestamp>:<body>, within five minutes
    }

    fn delivery_id(&self, request: &SignedRequest<'_>) -> Option<String> {
        if let Some(payload) = interaction_payload(request) {
            return payload["trigger_id"].as_str().map(str::to_owned);
        }
        if is_form(request) {
            // Slash commands are not retried by Slack; each trigger is its own request.
            return form_field(request.body, "trigger_id");
        }
        serde_json::from_slice::<Value>(request.body).ok()?["event_id"]
            .as_str()
            .map(str::to_owned)
    }

    fn interpret(&self, request: &SignedRequest<'_>) -> Result<Interpretation, SourceError> {
        if let Some(payload) = interaction_payload(request) {
            return Ok(button_command(&payload).map_or_else(
                || {
                    Interpretation::ignored(format!(
                        "Slack interaction `{}` is not one of Faultline's buttons",
                        payload["type"].as_str().unwrap_or_default()
                    ))
                },
                Interpretation::Command,
            ));
        }
        if is_form(request) {
            let command = form_field(request.body, "command").unwrap_or_default();
            if command.is_empty() {
                return Err(SourceError::NotThisProvider {
                    field: Some("command".into()),
                    detail: "not a slash command: no `command` field".into(),
                });
            }
            let text = form_field(request.body, "text").unwrap_or_default();
            let mut words = text.split_whitespace();
            return Ok(Interpretation::Command(SlashCommand {
                verb: words.next().unwrap_or("help").to_lowercase(),
                argument: words.next().map(str::to_owned),
                user: form_field(request.body, "user_name").unwrap_or_default(),
                channel: form_field(request.body, "channel_id").unwrap_or_default(),
            }));
        }
        let envelope = Value::Object(super::json_object(request.body)?);
        match envelope["type"].as_str().unwrap_or_default() {
            "url_verification" => Ok(Interpretation::Reply {
                status: super::ReplyStatus::Ok,
                body: json!({"challenge": envelope["challenge"]}),
            }),
            "event_callback" => message_signal(request, &envelope),
            other => Ok(Interpretation::ignored(format!(
                "Slack payload `{other}` is not used"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Slack's official vector (docs and slack_sdk's test).
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: &str = "1531420618";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    fn body() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/providers/slack_slash_command.form.txt"
        ))
        .expect("fixture")
    }

    #[test]
    fn official_vector_verifies_at_its_time() {
        assert_eq!(
            verify_slack_signature(SECRET, TIMESTAMP, &body(), SIGNATURE, 1531420618),
            Ok(())
        );
    }

    #[test]
    fn the_window_is_five_minutes_both_ways() {
        assert!(
            verify_slack_signature(SECRET, TIMESTAMP, &body(), SIGNATURE, 1531420618 + 300).is_ok()
        );
        assert!(
            verify_slack_signature(SECRET, TIMESTAMP, &body(), SIGNATURE, 1531420618 + 301)
                .is_err()
        );
        assert!(
            verify_slack_signature(SECRET, TIMESTAMP, &body(), SIGNATURE, 1531420618 - 301)
                .is_err()
        );
        assert!(
            verify_slack_signature(SECRET, TIMESTAMP, &body(), SIGNATURE, 1_795_000_000).is_err(),
            "a real clock rejects the vector as stale"
        );
    }

    #[test]
    fn tampering_fails() {
        let mut tampered = body();
        tampered.extend_from_slice(b"&text=resolve");
        assert!(
            verify_slack_signature(SECRET, TIMESTAMP, &tampered, SIGNATURE, 1531420618).is_err()
        );
        assert!(
            verify_slack_signature(SECRET, "1531420619", &body(), SIGNATURE, 1531420618).is_err()
        );
        assert!(verify_slack_signature(
            "another-secret",
            TIMESTAMP,
            &body(),
            SIGNATURE,
            1531420618
        )
        .is_err());
    }
}
