use super::*;

use crate::fixtures::json as fixture;

#[test]
fn a_listed_issue_reads_like_the_webhook_issue() {
    let issues = fixture("sentry_api_project_issues_list.json");
    let signals = issue_signals(&issues[0], "production", Utc::now()).expect("an issue");
    let [signal] = signals.as_slice() else {
        panic!("one signal for an unresolved issue: {signals:?}")
    };
    assert_eq!(signal.kind, SignalKind::Issue);
    assert_eq!(signal.status, SignalStatus::Firing);
    assert_eq!(signal.upstream_id.as_deref(), Some("1"));
    assert_eq!(signal.fingerprint, issue_fingerprint("1"));
    assert_eq!(signal.title, "This is an example Python exception");
    assert_eq!(signal.service.as_deref(), Some("pump-station"));
    assert_eq!(signal.environment.as_deref(), Some("production"));
    assert_eq!(
        signal.url.as_deref(),
        Some("https://sentry.io/the-interstellar-jurisdiction/pump-station/issues/1/")
    );
    assert_eq!(signal.occurred_at, last_seen(&issues[0]).expect("lastSeen"));
    assert_eq!(signal.attributes["short_id"], "PUMP-STATION-1");
    assert_eq!(signal.attributes["user_count"], 0);
}

#[test]
fn resolved_and_ignored_issues_resolve_and_say_why() {
    let mut issue = fixture("sentry_api_project_issues_list.json")[0].clone();
    issue["status"] = json!("resolved");
    let signals = issue_signals(&issue, "production", Utc::now()).expect("signals");
    assert_eq!(
        signals.len(),
        2,
        "the issue and the alert incident it opened"
    );
    assert!(signals.iter().all(|s| s.status == SignalStatus::Resolved));
    assert_eq!(signals[1].fingerprint, alert_fingerprint("1"));
    issue["status"] = json!("ignored");
    let signals = issue_signals(&issue, "production", Utc::now()).expect("signals");
    assert_eq!(signals[0].status, SignalStatus::Resolved);
    assert_eq!(signals[0].note.as_deref(), Some("ignored in Sentry"));
    issue["assignedTo"] = json!({"type": "user", "name": "Ann", "email": "ann@example.com"});
    let signals = issue_signals(&issue, "production", Utc::now()).expect("signals");
    assert_eq!(signals[0].assignee.as_deref(), Some("Ann"));
    assert!(issue_signals(&json!({"title": "no id"}), "production", Utc::now()).is_none());
}

#[test]
fn the_latest_event_keeps_its_stack_trace_tags_and_release() {
    let body = fixture("sentry_api_issue_event_latest.json");
    let event =
        latest_event(&body, "1", Some("https://sentry.io/acme/pump/issues/1/")).expect("event");
    assert_eq!(event.event_id, "9fb3a2cbd1d54bd2b5d0b7e4b6a2c001");
    assert_eq!(event.issue_id, "1");
    assert_eq!(
        event.release.as_deref(),
        Some("e48e7b5b90327ea1a4d1a4360c735eee7b536f82")
    );
    assert_eq!(event.environment.as_deref(), Some("production"));
    assert_eq!(event.level.as_deref(), Some("error"));
    assert_eq!(
        event.url.as_deref(),
        Some("https://sentry.io/acme/pump/issues/1/events/9fb3a2cbd1d54bd2b5d0b7e4b6a2c001/")
    );
    assert_eq!(event.tags.len(), 4);
    let exception = &event.exceptions[0];
    assert_eq!(exception.kind.as_deref(), Some("ZeroDivisionError"));
    assert_eq!(exception.handled, Some(true));
    let frame = &exception.frames[0];
    assert_eq!(frame.lineno, Some(41));
    assert_eq!(frame.in_app, Some(true));
    assert_eq!(frame.context_line.as_deref(), Some("    return rate(flow)"));
    assert_eq!(
        frame.pre_context,
        ["def handle(request):", "    flow = request.flow"]
    );
    assert_eq!(frame.post_context, ["", ""]);
    assert_eq!(
        exception.frames[1].context_line, None,
        "no source lines sent"
    );
    assert_eq!(event.contexts["runtime"]["name"], "CPython");
    assert!(latest_event(&json!({"entries": []}), "1", None).is_none());
}
