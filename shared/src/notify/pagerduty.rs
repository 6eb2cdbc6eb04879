//! PagerDuty Events API v2: one alert per incident under a stable `dedup_key`, triggered,
//! acknowledged and resolved with it. `202` is success; `400` is permanent (its `errors[]`
//! recorded); `429` and 5xx are retried with back-off.

use super::tickets::{Answer, TicketJob};
use super::{Delivered, SendFailure};
use crate::domain::notification::ticket::dedup_key;
use crate::domain::notification::{Ticket, TicketStep};
use crate::domain::{IncidentStatus, Severity};
use crate::sinks::webhook::WebhookSender;
use crate::text::truncated;
use serde_json::{json, Map, Value};

/// PagerDuty's limit on one event.
pub const MAX_EVENT_BYTES: usize = 512 * 1024;
/// The size `custom_details` may bring an event to before it is replaced by a note (headroom
/// under [`MAX_EVENT_BYTES`] for the envelope).
const MAX_DETAILS_BYTES: usize = 500 * 1024;
/// PagerDuty's limit on `payload.summary`.
pub const MAX_SUMMARY_CHARS: usize = 1024;

/// PagerDuty's severity for ours.
pub fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "info",
    }
}

/// The `trigger` event for the notice, its `custom_details` replaced by a note when they would
/// take the event past PagerDuty's limit.
pub fn trigger_event(routing_key: &str, job: &TicketJob<'_>) -> Value {
    let incident = &job.notice.incident;
    let mut details = Map::new();
    for (label, value) in job.notice.facts() {
        details.insert(label.to_ascii_lowercase(), json!(value));
    }
    if let Some(description) = incident.description.as_deref().filter(|d| !d.is_empty()) {
        details.insert("description".into(), json!(description));
    }
    details.insert("news".into(), json!(job.notice.news));
    details.insert("faultline_incident".into(), json!(incident.id));
    if !incident.attributes.is_empty() {
        details.insert(
            "attributes".into(),
            Value::Object(incident.attributes.clone()),
        );
    }
    let details = Value::Object(details);
    let size = details.to_string().len();
    let details = if size > MAX_DETAILS_BYTES {
        json!({"note": format!(
            "The details ({size} bytes) are too large for PagerDuty; see the incident in Faultline{}.",
            job.notice.hub_url.as_deref().map(|u| format!(": {u}")).unwrap_or_default()
        )})
    } else {
        details
    };
    let links: Vec<Value> = job
        .notice
        .links()
        .into_iter()
        .map(|(text, href)| json!({"href": href, "text": text}))
        .collect();
    let mut event = json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": key_of(job),
        "payload": {
            "summary": truncated(&job.notice.headline(), MAX_SUMMARY_CHARS),
            "source": incident.service.clone().unwrap_or_else(|| incident.source.as_str().to_owned()),
            "severity": severity(incident.severity),
            "timestamp": incident.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "class": incident.kind,
            "custom_details": details,
        },
        "links": links,
        "client": "Faultline",
    });
    if let Some(environment) = &incident.environment {
        event["payload"]["group"] = json!(environment);
    }
    if let Some(url) = &job.notice.hub_url {
        event["client_url"] = json!(url);
    }
    event
}

/// The alert's `dedup_key`: the linked one, or the hub's for the incident.
fn key_of(job: &TicketJob<'_>) -> String {
    job.ticket
        .map_or_else(|| dedup_key(job.incident_id), |t| t.key.clone())
}

/// An `acknowledge` or `resolve` event: only the key and the action.
fn follow_up(routing_key: &str, action: &str, job: &TicketJob<'_>) -> Value {
    json!({"routing_key": routing_key, "event_action": action, "dedup_key": key_of(job)})
}

/// The failure a non-202 answer means: `400` permanent with PagerDuty's `errors[]`, the rest as
/// usual (429 and 5xx retried).
fn failure(answer: &Answer, what: &str) -> SendFailure {
    let mut failure = SendFailure::from_http(&answer.result, what);
    if answer.result.status_code == 400 {
        let body = answer.json();
        let errors: Vec<&str> = body["errors"]
            .as_array()
            .map(|all| all.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        failure.reason = format!(
            "{what}: HTTP 400 {}: {}",
            body["message"].as_str().unwrap_or("invalid event"),
            if errors.is_empty() {
                "no errors given".to_owned()
            } else {
                errors.join("; ")
            }
        );
    }
    failure
}

/// Posts one event to the Events API (`url` is its `/v2/enqueue`); a non-202 is a failure.
async fn post_event(
    sender: &WebhookSender,
    url: &str,
    event: &Value,
) -> Result<Answer, SendFailure> {
    let body = event.to_string();
    if body.len() > MAX_EVENT_BYTES {
        return Err(SendFailure::permanent(format!(
            "the event is {} bytes, over PagerDuty's 512 KB",
            body.len()
        )));
    }
    let (result, headers) = sender
        .call_api(
            reqwest::Method::POST,
            url,
            &[],
            Some(&body),
            super::tickets::ANSWER_LIMIT,
        )
        .await;
    let answer = Answer { result, headers };
    if answer.result.succeeded() {
        Ok(answer)
    } else {
        Err(failure(&answer, "PagerDuty Events API"))
    }
}

/// Sends what `job.step` needs to the Events API at `events_url`.
pub async fn send(
    sender: &WebhookSender,
    events_url: &str,
    routing_key: &str,
    job: &TicketJob<'_>,
) -> Result<Delivered, SendFailure> {
    let url = format!("{}/v2/enqueue", events_url.trim_end_matches('/'));
    let mut events = Vec::new();
    let action = match job.step {
        TicketStep::Open | TicketStep::Regress | TicketStep::Update => {
            events.push(trigger_event(routing_key, job));
            if job.notice.incident.status == IncidentStatus::Acknowledged {
                events.push(follow_up(routing_key, "acknowledge", job));
            }
            match job.step {
                TicketStep::Open => "triggered",
                TicketStep::Regress => "triggered again (regressed)",
                _ => "triggered again (updated)",
            }
        }
        TicketStep::Acknowledge => {
            events.push(follow_up(routing_key, "acknowledge", job));
            "acknowledged"
        }
        TicketStep::Resolve => {
            events.push(follow_up(routing_key, "resolve", job));
            "resolved"
        }
        TicketStep::Nothing => return Err(SendFailure::permanent("nothing to send")),
    };
    let mut last = None;
    for event in events {
        last = Some(post_event(sender, &url, &event).await?);
    }
    let ticket = Ticket {
        key: key_of(job),
        id: String::new(),
        url: None,
    };
    match last {
        Some(answer) => Ok(answer.delivered(action, ticket)),
        None => Err(SendFailure::permanent("nothing to send")),
    }
}

/// A destination test: a plainly-marked `info` alert triggered and resolved at once under its own
/// `dedup_key`.
pub async fn send_test(
    sender: &WebhookSender,
    events_url: &str,
    routing_key: &str,
    notice: &super::Notice,
    destination: &str,
) -> Result<Delivered, SendFailure> {
    let url = format!("{}/v2/enqueue", events_url.trim_end_matches('/'));
    let key = format!("faultline/test-{destination}");
    let trigger = json!({
        "routing_key": routing_key, "event_action": "trigger", "dedup_key": key,
        "payload": {"summary": truncated(&notice.headline(), MAX_SUMMARY_CHARS),
            "source": "faultline", "severity": "info"},
        "client": "Faultline",
    });
    let resolve = json!({"routing_key": routing_key, "event_action": "resolve", "dedup_key": key});
    post_event(sender, &url, &trigger).await?;
    let resolved = post_event(sender, &url, &resolve).await?;
    Ok(Delivered::sent(
        "triggered and resolved a test alert",
        &resolved.result,
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Notice;

    #[test]
    fn oversized_details_are_replaced_by_a_note_and_the_summary_is_bounded() {
        let mut incident = Notice::test("pd", chrono::Utc::now()).incident;
        incident.severity = Severity::Critical;
        incident.title = "x".repeat(5000);
        incident.description = Some("y".repeat(MAX_EVENT_BYTES));
        let notice = Notice::new(incident, None, Some("https://hub.example.com"));
        let id = crate::domain::IncidentId::generate();
        let job = TicketJob {
            notice: &notice,
            incident_id: &id,
            step: TicketStep::Open,
            ticket: None,
            recover: false,
        };
        let event = trigger_event("R0UTINGKEY", &job);
        assert!(event.to_string().len() < MAX_EVENT_BYTES);
        assert!(event["payload"]["custom_details"]["note"]
            .as_str()
            .is_some_and(|n| n.contains("too large")));
        assert!(
            event["payload"]["summary"]
                .as_str()
                .unwrap_or_default()
                .chars()
                .count()
                <= 1024
        );
        assert_eq!(event["dedup_key"], dedup_key(&id));
        assert_eq!(event["payload"]["severity"], "critical");
    }
}
