//! Exports through the API: what is refused before anything is queued, who sees which export,
//! and the download link signed afresh on each read.

use crate::call;
use faultline::domain::Scope;
use faultline::queue::ExportTask;
use faultline::services::api_keys::issue_api_key;
use faultline::services::exports::run_export;
use faultline_testkit::{HttpEvent, TestStack};
use serde_json::{json, Value};

fn create(key: &str, body: Value) -> HttpEvent {
    HttpEvent::load("api/create-export.json")
        .key(Some(key))
        .body_json(&body)
}

#[tokio::test]
async fn bad_exports_are_refused_naming_the_field_and_nothing_is_queued() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let k = key.expose();
    for (body, field) in [
        (
            json!({"resource": "incidents", "format": "csv", "columns": ["id", "nope"]}),
            "columns",
        ),
        (
            json!({"resource": "incidents", "format": "csv", "filters": {"action": "x"}}),
            "filters.action",
        ),
        (
            json!({"resource": "messages", "format": "csv", "filters": {"status": "resolved"}}),
            "filters.status",
        ),
        (json!({"resource": "incidents", "format": "docx"}), "format"),
        (
            json!({"resource": "incidents", "format": "pdf", "title": ""}),
            "title",
        ),
    ] {
        let (status, problem) = call(&stack, &create(k, body.clone())).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert!(
            problem.to_string().contains(field),
            "{body} names {field}: {problem}"
        );
    }
    assert!(stack.drain_queue("ExportQueue").await.is_empty());
    let (status, page) = call(
        &stack,
        &HttpEvent::load("api/list-exports.json").key(Some(k)),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["items"], json!([]), "{tenant}: nothing stored");
}

#[tokio::test]
async fn an_export_needs_its_list_s_read_scope_and_lists_show_only_readable_ones() {
    let stack = TestStack::deploy().await;
    let (tenant, admin) = stack.tenant().await;
    let (reader, _) = issue_api_key(&stack.state, &tenant, "reader", vec![Scope::IncidentsRead])
        .await
        .expect("key");
    let (status, problem) = call(
        &stack,
        &create(
            reader.expose(),
            json!({"resource": "audit", "format": "csv"}),
        ),
    )
    .await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["missing_scope"], "audit:read");
    let (status, _) = call(
        &stack,
        &create(
            admin.expose(),
            json!({"resource": "audit", "format": "csv"}),
        ),
    )
    .await;
    assert_eq!(status, 202);
    let (status, mine) = call(
        &stack,
        &create(
            reader.expose(),
            json!({"resource": "issues", "format": "xlsx"}),
        ),
    )
    .await;
    assert_eq!(status, 202, "{mine}");
    assert_eq!(mine["status"], "queued");
    assert!(mine["requested_by"]
        .as_str()
        .expect("who")
        .starts_with("key:"));

    let list = |key: &str| HttpEvent::load("api/list-exports.json").key(Some(key));
    let (_, page) = call(&stack, &list(reader.expose())).await;
    let ids: Vec<&Value> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| &e["id"])
        .collect();
    assert_eq!(
        ids,
        [&mine["id"]],
        "the audit export is not the reader's to see"
    );
    let (_, page) = call(&stack, &list(admin.expose())).await;
    assert_eq!(page["items"].as_array().expect("items").len(), 2);
}

#[tokio::test]
async fn a_finished_export_is_downloaded_through_a_link_signed_on_each_read() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let k = key.expose();
    stack
        .harness
        .store
        .import_incidents(&faultline_testkit::synthetic_incidents(
            &tenant,
            3,
            chrono::Utc::now(),
            |_, _| {},
        ))
        .await
        .expect("import");
    let (status, queued) = call(
        &stack,
        &create(k, json!({"resource": "incidents", "format": "csv"})),
    )
    .await;
    assert_eq!(status, 202);
    let id = queued["id"].as_str().expect("id");
    let get = |query: &str| {
        HttpEvent::load("api/get-export.json")
            .key(Some(k))
            .path_param("id", id)
            .query(query)
    };
    let (_, pending) = call(&stack, &get("")).await;
    assert_eq!(pending["status"], "queued");
    assert!(pending["download_url"].is_null());

    let task: ExportTask =
        serde_json::from_value(stack.drain_queue("ExportQueue").await.remove(0)).expect("task");
    run_export(&stack.harness, &task).await.expect("written");

    let (status, done) = call(&stack, &get("expires_in=120")).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["rows"], 3);
    let url = done["download_url"].as_str().expect("a link");
    assert!(url.contains("X-Amz-Expires=120"), "{url}");
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(done["download_expires_at"].clone()).expect("a time");
    assert!(expires - chrono::Utc::now() <= chrono::Duration::seconds(120));
    let file = reqwest::get(url)
        .await
        .expect("download")
        .text()
        .await
        .expect("text");
    assert!(file.starts_with("id,created_at,title,"), "{file}");
    assert_eq!(file.lines().count(), 4);

    let (_, again) = call(&stack, &get("")).await;
    assert!(again["download_url"]
        .as_str()
        .expect("a link")
        .contains("X-Amz-Expires=3600"));
    let (status, problem) = call(&stack, &get("expires_in=10")).await;
    assert_eq!(status, 400, "{problem}");
    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/get-export.json")
            .key(Some(k))
            .path_param("id", "exp_01JD0000000000000000000000"),
    )
    .await;
    assert_eq!(status, 404);
}

fn schedule(key: &str, body: Value) -> HttpEvent {
    HttpEvent::load("api/create-export-schedule.json")
        .key(Some(key))
        .body_json(&body)
}

#[tokio::test]
async fn schedules_run_at_local_times_and_refuse_what_cannot_run() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let k = key.expose();
    let base = json!({"name": "Weekly", "resource": "incidents", "format": "pdf",
                      "every": "week", "weekday": "friday", "at": "16:30",
                      "time_zone": "America/New_York", "delivery": {"kind": "webhook"}});
    let (status, weekly) = call(&stack, &schedule(k, base.clone())).await;
    assert_eq!(status, 201, "{weekly}");
    assert_eq!(weekly["cron"], "30 16 * * FRI");
    assert_eq!(weekly["window_days"], 7);
    let next: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(weekly["next_run_at"].clone()).expect("next run");
    let local = next.with_timezone(&chrono_tz::America::New_York);
    assert_eq!(local.format("%a %H:%M").to_string(), "Fri 16:30");

    for (change, field) in [
        (json!({"cron": "0 7 * * *"}), "cron"),
        (json!({"time_zone": "Mars/Olympus"}), "time_zone"),
        (json!({"every": null, "cron": "0 7 * *"}), "cron"),
        (
            json!({"filters": {"since": "2026-01-01T00:00:00Z"}}),
            "filters.since",
        ),
        (json!({"window_days": 400}), "window_days"),
        (
            json!({"delivery": {"kind": "s3", "bucket": "Not_A_Bucket"}}),
            "delivery.bucket",
        ),
        (
            json!({"delivery": {"kind": "email", "recipients": []}}),
            "delivery.recipients",
        ),
        (json!({"columns": ["nope"]}), "columns"),
    ] {
        let mut body = base.clone();
        for (name, value) in change.as_object().expect("fields") {
            body[name] = value.clone();
        }
        let (status, problem) = call(&stack, &schedule(k, body.clone())).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert!(problem.to_string().contains(field), "{field}: {problem}");
    }

    let (reader, _) = issue_api_key(&stack.state, &tenant, "reader", vec![Scope::IncidentsRead])
        .await
        .expect("key");
    let (status, problem) = call(&stack, &schedule(reader.expose(), base.clone())).await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["missing_scope"], "notifications:write");

    let id = weekly["id"].as_str().expect("id");
    let patch = |body: Value| {
        HttpEvent::load("api/update-export-schedule.json")
            .key(Some(k))
            .path_param("id", id)
            .body_json(&body)
    };
    let (status, paused) = call(&stack, &patch(json!({"enabled": false}))).await;
    assert_eq!(status, 200, "{paused}");
    assert!(paused["next_run_at"].is_null());
    let (_, daily) = call(
        &stack,
        &patch(json!({"enabled": true, "every": "day", "at": "08:00"})),
    )
    .await;
    assert_eq!(daily["cron"], "0 8 * * *");
    assert_eq!(daily["time_zone"], "America/New_York", "the zone stays");
    assert!(daily["next_run_at"].is_string());
    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/delete-export-schedule.json")
            .key(Some(k))
            .path_param("id", id),
    )
    .await;
    assert_eq!(status, 204);
}
