//! Maintenance windows and people's notification preferences through the api handler, fed the
//! sample events in events/api/.

use crate::call;
use crate::notifications::create_destination;
use faultline_testkit::{HttpEvent, TestStack};
use serde_json::{json, Value};

#[tokio::test]
async fn maintenance_windows_are_checked_show_their_status_and_preview_what_they_hold() {
    use faultline::domain::{Severity, SignalKind};
    let stack = TestStack::deploy().await;
    let (owner, key) = stack.tenant().await;
    let key = Some(key.expose());
    let create = |body: Value| {
        HttpEvent::load("api/create-maintenance-window.json")
            .key(key)
            .body_json(&body)
    };
    for (body, field) in [
        (
            json!({"name": "x", "schedule": {"cron": "0 2 * *", "duration_minutes": 60}}),
            "schedule",
        ),
        (
            json!({"name": "x", "schedule": {"cron": "0 2 * * *", "time_zone": "Mars/Olympus", "duration_minutes": 60}}),
            "schedule",
        ),
        (
            json!({"name": "x", "schedule": {"cron": "0 2 * * *"}}),
            "schedule",
        ),
        (
            json!({"name": "x", "schedule": {"starts_at": "2026-12-02T10:00:00Z", "ends_at": "2026-12-02T09:00:00Z"}}),
            "schedule",
        ),
        (
            json!({"name": "x", "schedule": {"starts_at": "2026-12-02T10:00:00Z", "ends_at": "2026-12-02T11:00:00Z", "cron": "0 2 * * *"}}),
            "schedule",
        ),
        (
            json!({"name": "x", "schedule": {"cron": "0 2 * * *", "duration_minutes": 60}, "strategy": "ignore"}),
            "strategy",
        ),
    ] {
        let (status, problem) = call(&stack, &create(body.clone())).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{body}: {problem}"
        );
    }

    let now = chrono::Utc::now();
    let (status, active) = call(&stack, &create(json!({
        "name": "checkout release",
        "schedule": {"starts_at": (now - chrono::Duration::minutes(5)).to_rfc3339(), "ends_at": (now + chrono::Duration::hours(1)).to_rfc3339()},
        "matchers": {"min_severity": "high"},
    })))
    .await;
    assert_eq!(status, 201, "{active}");
    assert_eq!(
        (active["status"].as_str(), active["strategy"].as_str()),
        (Some("active"), Some("suppress"))
    );
    assert!(active["active_until"].is_string());
    let (status, nightly) = call(
        &stack,
        &HttpEvent::load("api/create-maintenance-window.json").key(key),
    )
    .await;
    assert_eq!(status, 201, "{nightly}");
    assert_eq!(nightly["schedule"]["type"], "recurring");
    assert!(nightly["next_start"].is_string(), "{nightly}");
    let (_, listed) = call(
        &stack,
        &HttpEvent::load("api/list-maintenance-windows.json").key(key),
    )
    .await;
    assert_eq!(
        listed["items"][0]["id"], active["id"],
        "active windows first"
    );

    let high = stack
        .stored_incident(&owner, "Checkout down", Severity::High, SignalKind::Alert)
        .await;
    stack
        .stored_incident(&owner, "Slow page", Severity::Low, SignalKind::Alert)
        .await;
    let (status, preview) = call(
        &stack,
        &HttpEvent::load("api/preview-maintenance-window.json")
            .path_param("id", active["id"].as_str().expect("id"))
            .key(key),
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["active"], true);
    let ids: Vec<&str> = preview["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(ids, [high.id.as_str()], "only what its matchers match");
}

#[tokio::test]
async fn people_set_their_preferences_and_are_destinations_of_their_own() {
    let stack = TestStack::deploy().await;
    let (_, key) = stack.tenant().await;
    let key = Some(key.expose());
    let (status, user) = call(&stack, &HttpEvent::load("api/create-user.json").key(key)).await;
    assert_eq!(status, 201, "{user}");
    let user_id = user["id"].as_str().expect("id");
    let set = |body: Value| {
        HttpEvent::load("api/set-notification-preferences.json")
            .path_param("id", user_id)
            .key(key)
            .body_json(&body)
    };
    for (body, field) in [
        (
            json!({"quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "Nowhere"}}),
            "quiet_hours",
        ),
        (
            json!({"quiet_hours": {"start": "25:00", "end": "07:00", "time_zone": "UTC"}}),
            "quiet_hours",
        ),
        (
            json!({"digest": {"every": "daily", "hour": 24, "time_zone": "UTC"}}),
            "digest",
        ),
        (json!({"digest_only": true}), "digest_only"),
    ] {
        let (status, problem) = call(&stack, &set(body.clone())).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{body}: {problem}"
        );
    }
    let (status, problem) = call(&stack, &set(json!({"min_severity": "urgent"}))).await;
    assert!(status == 400 || status == 422, "{problem}");

    let (status, saved) = call(
        &stack,
        &HttpEvent::load("api/set-notification-preferences.json")
            .path_param("id", user_id)
            .key(key),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["min_severity"], "high");
    assert!(
        saved["next_digest_at"].is_string(),
        "a daily digest is filed: {saved}"
    );
    let (_, read) = call(
        &stack,
        &HttpEvent::load("api/get-notification-preferences.json")
            .path_param("id", user_id)
            .key(key),
    )
    .await;
    assert_eq!(read, saved);

    let (status, person) = create_destination(
        &stack,
        key,
        json!({"name": "Ana", "kind": "user", "user_id": user_id}),
    )
    .await;
    assert_eq!(
        (status, person["user_id"].as_str()),
        (201, Some(user_id)),
        "{person}"
    );
    let (status, problem) = create_destination(
        &stack,
        key,
        json!({"name": "nobody", "kind": "user", "user_id": "usr_01JD0000000000000000000000"}),
    )
    .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("user_id")),
        "{problem}"
    );
}
