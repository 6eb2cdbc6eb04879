//! Error events: one occurrence of an error-tracker issue with its stack trace, as Sentry sends it
//! in `error` and `event_alert` webhooks. Kept bounded (a few exceptions, the innermost frames,
//! short context lines) so a record always fits; the archived request keeps the whole payload.

use super::IncidentId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

const MAX_EXCEPTIONS: usize = 5;
const MAX_FRAMES: usize = 50;
const MAX_CONTEXT_LINES: usize = 5;
const MAX_LINE_CHARS: usize = 256;
const MAX_TAGS: usize = 50;
/// Largest contexts map kept (runtime, OS, browser, trace, …), as JSON bytes.
const MAX_CONTEXTS_BYTES: usize = 8 * 1024;

/// One stack frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Frame {
    /// File or path.
    pub filename: Option<String>,
    /// Function name.
    pub function: Option<String>,
    /// Module or package.
    pub module: Option<String>,
    /// Line number.
    pub lineno: Option<u64>,
    /// Column number.
    pub colno: Option<u64>,
    /// Whether the frame is the application's own code.
    pub in_app: Option<bool>,
    /// Lines before the failing one.
    pub pre_context: Vec<String>,
    /// The failing line.
    pub context_line: Option<String>,
    /// Lines after it.
    pub post_context: Vec<String>,
    /// Where the lines came from when the tracker sent none (`github:<owner/name>@<commit>:<path>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_from: Option<String>,
}

/// One exception of the event (chained exceptions come as several).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Exception {
    /// Its type, e.g. `ReferenceError`.
    pub kind: Option<String>,
    /// Its message.
    pub value: Option<String>,
    /// How it was caught (`onerror`, `generic`, …).
    pub mechanism: Option<String>,
    /// Whether the application handled it.
    pub handled: Option<bool>,
    /// Frames, outermost first (only the innermost 50 kept).
    pub frames: Vec<Frame>,
    /// How many frames were left out.
    pub frames_omitted: usize,
}

/// One error event, linked to the incident (issue) it belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorEvent {
    /// The tracker's event id.
    pub event_id: String,
    /// The tracker's issue id.
    pub issue_id: String,
    /// The Faultline incident (issue) it landed on.
    #[serde(default)]
    pub incident_id: Option<IncidentId>,
    /// Title.
    pub title: String,
    /// Log message, when there is one.
    pub message: Option<String>,
    /// `error`, `warning`, `fatal`, …
    pub level: Option<String>,
    /// `javascript`, `python`, …
    pub platform: Option<String>,
    /// Where it happened, as the tracker sums it up.
    pub culprit: Option<String>,
    /// The release it happened in.
    pub release: Option<String>,
    /// The environment it happened in.
    pub environment: Option<String>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Tags, in the tracker's order.
    pub tags: Vec<(String, String)>,
    /// Exceptions with their stack traces.
    pub exceptions: Vec<Exception>,
    /// The event's contexts (`runtime`, `os`, `browser`, `trace`, …), at most 8 KiB: larger ones
    /// are replaced by a note naming them.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub contexts: serde_json::Map<String, Value>,
    /// The tracker's page for the event.
    pub url: Option<String>,
}

fn text(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn line(value: &Value) -> Option<String> {
    value
        .as_str()
        .map(|s| s.chars().take(MAX_LINE_CHARS).collect())
}

fn lines(value: &Value, keep_last: bool) -> Vec<String> {
    let all: Vec<String> = value
        .as_array()
        .map(|items| items.iter().filter_map(line).collect())
        .unwrap_or_default();
    let skip = all.len().saturating_sub(MAX_CONTEXT_LINES);
    if keep_last {
        all.into_iter().skip(skip).collect()
    } else {
        all.into_iter().take(MAX_CONTEXT_LINES).collect()
    }
}

fn frame(value: &Value) -> Frame {
    Frame {
        filename: text(value, "/filename").or_else(|| text(value, "/abs_path")),
        function: text(value, "/function"),
        module: text(value, "/module"),
        lineno: value["lineno"].as_u64(),
        colno: value["colno"].as_u64(),
        in_app: value["in_app"].as_bool(),
        pre_context: lines(&value["pre_context"], true),
        context_line: line(&value["context_line"]),
        post_context: lines(&value["post_context"], false),
        context_from: None,
    }
}

fn exception(value: &Value) -> Exception {
    let frames: Vec<&Value> = value
        .pointer("/stacktrace/frames")
        .and_then(Value::as_array)
        .map(|f| f.iter().collect())
        .unwrap_or_default();
    // Sentry lists frames outermost first; the innermost (where it failed) matter most.
    let omitted = frames.len().saturating_sub(MAX_FRAMES);
    Exception {
        kind: text(value, "/type"),
        value: text(value, "/value").map(|v| v.chars().take(4096).collect()),
        mechanism: text(value, "/mechanism/type"),
        handled: value.pointer("/mechanism/handled").and_then(Value::as_bool),
        frames: frames[omitted..].iter().map(|f| frame(f)).collect(),
        frames_omitted: omitted,
    }
}

/// The contexts object, kept whole up to [`MAX_CONTEXTS_BYTES`].
fn bounded_contexts(value: &Value) -> serde_json::Map<String, Value> {
    let Some(contexts) = value.as_object() else {
        return serde_json::Map::new();
    };
    let size = serde_json::to_vec(contexts).map_or(usize::MAX, |b| b.len());
    if size <= MAX_CONTEXTS_BYTES {
        return contexts.clone();
    }
    let names: Vec<&String> = contexts.keys().take(20).collect();
    let mut note = serde_json::Map::new();
    note.insert(
        "_omitted".into(),
        serde_json::json!({"reason": "contexts larger than 8 KiB", "size_bytes": size, "names": names}),
    );
    note
}

impl ErrorEvent {
    /// The event in a Sentry `error` or `event_alert` payload (`data.error` / `data.event`);
    /// `None` without an event id or issue id.
    pub fn from_sentry(event: &Value, occurred_at: DateTime<Utc>) -> Option<Self> {
        let event_id = text(event, "/event_id")?;
        let issue_id = text(event, "/issue_id")?;
        let tags: Vec<(String, String)> = event["tags"]
            .as_array()
            .map(|pairs| {
                pairs
                    .iter()
                    .filter_map(|pair| Some((line(&pair[0])?, line(&pair[1])?)))
                    .take(MAX_TAGS)
                    .collect()
            })
            .unwrap_or_default();
        let environment = tags
            .iter()
            .find(|(k, _)| k == "environment")
            .map(|(_, v)| v.clone());
        Some(Self {
            event_id,
            issue_id,
            incident_id: None,
            title: text(event, "/title").unwrap_or_else(|| "Sentry event".into()),
            message: text(event, "/message").or_else(|| text(event, "/logentry/formatted")),
            level: text(event, "/level"),
            platform: text(event, "/platform"),
            culprit: text(event, "/culprit"),
            release: text(event, "/release"),
            environment: environment.or_else(|| text(event, "/environment")),
            occurred_at,
            tags,
            exceptions: event
                .pointer("/exception/values")
                .and_then(Value::as_array)
                .map(|values| values.iter().take(MAX_EXCEPTIONS).map(exception).collect())
                .unwrap_or_default(),
            url: text(event, "/web_url"),
            contexts: bounded_contexts(&event["contexts"]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::fixtures::json as fixture;

    #[test]
    fn a_sentry_error_event_keeps_its_exception_and_stack_trace() {
        let body = fixture("sentry_error_created.json");
        let event = ErrorEvent::from_sentry(&body["data"]["error"], Utc::now()).expect("event");
        assert_eq!(event.event_id, "bb78c1407cea4519aa397afc059c793d");
        assert_eq!(event.issue_id, "1170820242");
        assert_eq!(event.platform.as_deref(), Some("javascript"));
        let exception = &event.exceptions[0];
        assert_eq!(exception.kind.as_deref(), Some("ReferenceError"));
        assert_eq!(exception.value.as_deref(), Some("blooopy is not defined"));
        assert_eq!(exception.mechanism.as_deref(), Some("onerror"));
        assert_eq!(exception.handled, Some(false));
        let frame = &exception.frames[0];
        assert_eq!(
            (frame.filename.as_deref(), frame.lineno, frame.colno),
            (Some("/runner"), Some(3), Some(5))
        );
        assert_eq!(frame.context_line.as_deref(), Some("<meta charset=utf-8>"));
        assert_eq!(frame.pre_context, ["<!doctype html>", "<html>"]);
        assert_eq!(frame.post_context.len(), 5);
        assert_eq!(event.contexts["browser"]["name"], "Chrome");
    }

    #[test]
    fn huge_stack_traces_keep_the_innermost_frames() {
        let frames: Vec<Value> = (0..300)
            .map(|i| json!({"function": format!("f{i}"), "lineno": i}))
            .collect();
        let event = json!({"event_id": "e", "issue_id": "1", "exception": {"values": [{"type": "E", "stacktrace": {"frames": frames}}]}});
        let parsed = ErrorEvent::from_sentry(&event, Utc::now()).expect("event");
        let exception = &parsed.exceptions[0];
        assert_eq!(exception.frames.len(), 50);
        assert_eq!(exception.frames_omitted, 250);
        assert_eq!(
            exception.frames.last().and_then(|f| f.function.as_deref()),
            Some("f299")
        );
    }
}
