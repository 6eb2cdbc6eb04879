//! What Sentry's REST API answers, read into the same signals and error events its webhooks give:
//! an issue of `GET /api/0/projects/{org}/{project}/issues/` and the event of
//! `GET /api/0/organizations/{org}/issues/{id}/events/latest/`.

use super::sentry::{alert_fingerprint, issue_fingerprint, severity};
use super::{text, time};
use crate::domain::{ErrorEvent, Signal, SignalKind, SignalStatus, Source};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

/// The issue's state as Sentry shows it: `unresolved`, `resolved`, `ignored` (`archived` in
/// newer versions).
pub fn issue_status(issue: &Value) -> &str {
    issue["status"].as_str().unwrap_or("unresolved")
}

/// When the issue was last seen.
pub fn last_seen(issue: &Value) -> Option<DateTime<Utc>> {
    time(issue, "/lastSeen")
}

/// The signals one listed issue gives: the issue itself (firing, resolved, or resolved with a
/// note when ignored), and when it is resolved, the resolve of the incident its alerts opened.
/// `None` without an id.
pub fn issue_signals(issue: &Value, environment: &str, now: DateTime<Utc>) -> Option<Vec<Signal>> {
    let id = text(issue, "/id")?;
    let title = text(issue, "/title").unwrap_or_else(|| format!("Sentry issue {id}"));
    let mut signal = Signal::new(
        Source::Sentry,
        issue_fingerprint(&id),
        title,
        last_seen(issue).unwrap_or(now),
    );
    signal.kind = SignalKind::Issue;
    signal.upstream_id = Some(id.clone());
    signal.severity = severity(issue["level"].as_str());
    signal.url = text(issue, "/permalink");
    signal.service = text(issue, "/project/slug");
    signal.environment = Some(environment.to_owned());
    signal.description = text(issue, "/culprit");
    signal.assignee = text(issue, "/assignedTo/name").or_else(|| text(issue, "/assignedTo/email"));
    let mut attributes = Map::new();
    for (key, pointer) in [
        ("short_id", "/shortId"),
        ("culprit", "/culprit"),
        ("count", "/count"),
        ("user_count", "/userCount"),
        ("first_seen", "/firstSeen"),
        ("platform", "/platform"),
        ("substatus", "/substatus"),
    ] {
        if let Some(value) = issue.pointer(pointer).filter(|v| !v.is_null()) {
            attributes.insert(key.into(), value.clone());
        }
    }
    attributes.insert("sentry_status".into(), json!(issue_status(issue)));
    signal.attributes = attributes;
    match issue_status(issue) {
        "resolved" => {
            signal.status = SignalStatus::Resolved;
            let mut alert = signal.clone();
            alert.kind = SignalKind::Alert;
            alert.fingerprint = alert_fingerprint(&id);
            Some(vec![signal, alert])
        }
        status @ ("ignored" | "archived" | "muted") => {
            signal.status = SignalStatus::Resolved;
            signal.note = Some(format!("{status} in Sentry"));
            Some(vec![signal])
        }
        _ => Some(vec![signal]),
    }
}

/// A frame of the API's shape (`lineNo`, `inApp`, `context: [[line, text], …]`) in the
/// webhook's (`lineno`, `in_app`, `pre_context`/`context_line`/`post_context`).
fn webhook_frame(frame: &Value) -> Value {
    let line = frame["lineNo"].as_u64();
    let mut pre = Vec::new();
    let mut current = Value::Null;
    let mut post = Vec::new();
    for pair in frame["context"].as_array().into_iter().flatten() {
        let (Some(n), Some(code)) = (pair[0].as_u64(), pair[1].as_str()) else {
            continue;
        };
        match line.map(|line| n.cmp(&line)) {
            Some(std::cmp::Ordering::Less) => pre.push(json!(code)),
            Some(std::cmp::Ordering::Equal) => current = json!(code),
            Some(std::cmp::Ordering::Greater) => post.push(json!(code)),
            None => {}
        }
    }
    json!({
        "filename": frame["filename"], "abs_path": frame["absPath"], "function": frame["function"],
        "module": frame["module"], "lineno": frame["lineNo"], "colno": frame["colNo"],
        "in_app": frame["inApp"], "pre_context": pre, "context_line": current,
        "post_context": post,
    })
}

fn webhook_exception(exception: &Value) -> Value {
    let frames: Vec<Value> = exception
        .pointer("/stacktrace/frames")
        .and_then(Value::as_array)
        .map(|frames| frames.iter().map(webhook_frame).collect())
        .unwrap_or_default();
    json!({
        "type": exception["type"], "value": exception["value"], "mechanism": exception["mechanism"],
        "stacktrace": {"frames": frames},
    })
}

/// The latest event of an issue, as `GET /v1/events/{id}` shows events: `None` without an id.
/// Exceptions come from the `exception` entry (or a bare `stacktrace` entry), tags from
/// `[{key, value}]`, the release from the `release` object (or its tag).
pub fn latest_event(event: &Value, issue_id: &str, permalink: Option<&str>) -> Option<ErrorEvent> {
    let entries = event["entries"].as_array().cloned().unwrap_or_default();
    let entry = |kind: &str| {
        entries
            .iter()
            .find(|e| e["type"] == kind)
            .map(|e| &e["data"])
    };
    let exceptions: Vec<Value> = match (entry("exception"), entry("stacktrace")) {
        (Some(data), _) => data["values"]
            .as_array()
            .map(|values| values.iter().map(webhook_exception).collect())
            .unwrap_or_default(),
        (None, Some(stacktrace)) => vec![webhook_exception(&json!({ "stacktrace": stacktrace }))],
        (None, None) => Vec::new(),
    };
    let tags: Vec<Value> = event["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|tag| json!([tag["key"], tag["value"]]))
                .collect()
        })
        .unwrap_or_default();
    let tag = |key: &str| {
        event["tags"]
            .as_array()
            .and_then(|tags| tags.iter().find(|t| t["key"] == key))
            .map(|t| t["value"].clone())
            .unwrap_or(Value::Null)
    };
    let release = match &event["release"] {
        Value::Object(release) => release.get("version").cloned().unwrap_or(Value::Null),
        Value::String(version) => json!(version),
        _ => tag("release"),
    };
    let event_id = text(event, "/eventID").or_else(|| text(event, "/id"))?;
    let url = permalink.map(|issue| format!("{}/events/{event_id}/", issue.trim_end_matches('/')));
    let webhook_shape = json!({
        "event_id": event_id, "issue_id": issue_id, "title": event["title"],
        "message": event["message"], "level": tag("level"), "platform": event["platform"],
        "culprit": event["culprit"], "release": release, "environment": tag("environment"),
        "tags": tags, "exception": {"values": exceptions}, "web_url": url,
        "contexts": event["contexts"],
    });
    let at = time(event, "/dateCreated").unwrap_or_else(Utc::now);
    ErrorEvent::from_sentry(&webhook_shape, at)
}

#[cfg(test)]
#[path = "sentry_api_tests.rs"]
mod tests;
