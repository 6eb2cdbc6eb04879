//! Signed deliveries of every provider, as the provider would send them (a new upstream id per
//! number, so each opens an incident or records a change), for the figures and the soak.

use faultline::domain::Source;
use faultline::signing::hmac_sha256::hmac_sha256;
use faultline_testkit::{provider_fixture, HttpEvent};
use serde_json::{json, Value};

/// Each source and the secret its integration is created with.
pub const SECRETS: [(Source, &str); 6] = [
    (Source::Github, "It's a Secret to Everybody"),
    (Source::Jira, "jira-webhook-secret-0123456789"),
    (Source::Generic, "a-long-shared-secret-1234"),
    (
        Source::Pagerduty,
        "HvPtlQNKMPpHSSqJpCdndXfo7HnGXa1pnH6w5axpxLFn9aRBNBGh4e8/HlonK5mz",
    ),
    (Source::Sentry, "test-client-secret"),
    (Source::Slack, "8f742231b10e8888abcd99yyyzzz85a5"),
];

fn hex_hmac(secret: &str, body: &[u8]) -> String {
    hex::encode(hmac_sha256(secret.as_bytes(), body))
}

/// A signed generic alert with `body`, sent under idempotency key `key`.
pub fn generic_alert(integration: &str, body: &Value, key: &str) -> (&'static str, HttpEvent) {
    let body = serde_json::to_vec(body).unwrap_or_default();
    let event = HttpEvent::load("webhook-generic/receive.json")
        .path_param("integration_id", integration)
        .body_bytes(&body)
        .header(
            "x-signature-256",
            &format!("sha256={}", hex_hmac("a-long-shared-secret-1234", &body)),
        )
        .header("idempotency-key", key);
    ("faultline-webhook-generic", event)
}

/// A fresh, signed delivery for `source` (the function that receives it, and the event) (new upstream id `n`, so it opens a new incident/change).
pub fn delivery(
    source: Source,
    integration: &str,
    n: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> (&'static str, HttpEvent) {
    match source {
        Source::Generic => generic_alert(
            integration,
            &json!({"title": format!("disk {n}"), "fingerprint": format!("disk-{n}")}),
            &format!("g-{n}"),
        ),
        Source::Pagerduty => {
            let mut value: Value =
                serde_json::from_slice(&provider_fixture("pagerduty_incident_triggered.json"))
                    .unwrap_or_default();
            value["event"]["data"]["id"] = json!(format!("PD{n}"));
            let body = serde_json::to_vec(&value).unwrap_or_default();
            let secret = "HvPtlQNKMPpHSSqJpCdndXfo7HnGXa1pnH6w5axpxLFn9aRBNBGh4e8/HlonK5mz";
            let event = HttpEvent::load("webhook-pagerduty/receive.json")
                .path_param("integration_id", integration)
                .body_bytes(&body)
                .header(
                    "x-pagerduty-signature",
                    &format!("v1={}", hex_hmac(secret, &body)),
                )
                .header("x-webhook-id", &format!("pd-{n}"));
            ("faultline-webhook-pagerduty", event)
        }
        Source::Sentry => {
            let mut value: Value =
                serde_json::from_slice(&provider_fixture("sentry_event_alert_triggered.json"))
                    .unwrap_or_default();
            value["data"]["event"]["issue_id"] = json!(format!("9{n}"));
            let body = serde_json::to_vec(&value).unwrap_or_default();
            let event = HttpEvent::load("webhook-sentry/receive.json")
                .path_param("integration_id", integration)
                .body_bytes(&body)
                .header("sentry-hook-resource", "event_alert")
                .header("sentry-hook-timestamp", &now.timestamp().to_string())
                .header(
                    "sentry-hook-signature",
                    &hex_hmac("test-client-secret", &body),
                )
                .header("request-id", &format!("s-{n}"));
            ("faultline-webhook-sentry", event)
        }
        Source::Slack => {
            let mut value: Value =
                serde_json::from_slice(&provider_fixture("slack_event_callback_app_mention.json"))
                    .unwrap_or_default();
            value["event_id"] = json!(format!("Ev{n}"));
            // Numbers are stripped from fingerprints: a new job name in letters opens a new incident.
            value["event"]["text"] = json!(format!("error: job {} failed", letters(n)));
            let body = serde_json::to_vec(&value).unwrap_or_default();
            let ts = now.timestamp().to_string();
            let base = [format!("v0:{ts}:").as_bytes(), &body].concat();
            let event = HttpEvent::load("webhook-slack/receive.json")
                .path_param("integration_id", integration)
                .body_bytes(&body)
                .header("content-type", "application/json")
                .header("x-slack-request-timestamp", &ts)
                .header(
                    "x-slack-signature",
                    &format!("v0={}", hex_hmac("8f742231b10e8888abcd99yyyzzz85a5", &base)),
                );
            ("faultline-webhook-slack", event)
        }
        Source::Jira => {
            // The sample's issue moved to Done; a new key each time (no incident is linked to
            // it, so it is verified, archived and answered `ignored`).
            let mut value: Value =
                serde_json::from_slice(&HttpEvent::load("webhook-jira/receive.json").body())
                    .unwrap_or_default();
            value["issue"]["key"] = json!(format!("OPS-{n}"));
            let body = serde_json::to_vec(&value).unwrap_or_default();
            let event = HttpEvent::load("webhook-jira/receive.json")
                .path_param("integration_id", integration)
                .body_bytes(&body)
                .header(
                    "x-hub-signature",
                    &format!(
                        "sha256={}",
                        hex_hmac("jira-webhook-secret-0123456789", &body)
                    ),
                )
                .header("x-atlassian-webhook-identifier", &format!("jira-{n}"));
            ("faultline-webhook-jira", event)
        }
        Source::Github => {
            let mut value: Value =
                serde_json::from_slice(&provider_fixture("github_pull_request_merged.json"))
                    .unwrap_or_default();
            value["pull_request"]["number"] = json!(1000 + n);
            let body = serde_json::to_vec(&value).unwrap_or_default();
            let event = HttpEvent::load("webhook-github/receive.json")
                .path_param("integration_id", integration)
                .body_bytes(&body)
                .header(
                    "x-hub-signature-256",
                    &format!("sha256={}", hex_hmac("It's a Secret to Everybody", &body)),
                )
                .header("x-github-delivery", &format!("gh-{n}"));
            ("faultline-webhook-github", event)
        }
        Source::Cloudwatch => unreachable!("CloudWatch sends no webhooks (Source::ALL has none)"),
    }
}

/// `n` in letters (`a`, `b`, …, `z`, `ba`, …).
fn letters(mut n: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}
