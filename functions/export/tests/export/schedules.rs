//! Scheduled exports: due runs started once (however many were missed, however many runners),
//! and the finished files delivered by email (attached, read back from SES) or into the
//! customer's bucket.

use crate::TenantStack;
use faultline::domain::{ExportSchedule, ExportScheduleId};
use faultline_testkit::HttpEvent;
use serde_json::{json, Value};

/// Creates a schedule through the API (as the harness).
async fn schedule(t: &TenantStack, body: Value) -> ExportSchedule {
    let event = HttpEvent::load("api/create-export-schedule.json")
        .key(Some(&t.key))
        .body_json(&body);
    let (status, view) =
        faultline_testkit::json_of(&faultline_api::handle(&t.stack.harness, event.request()).await);
    assert_eq!(status, 201, "{view}");
    let id = ExportScheduleId::parse(view["id"].as_str().expect("id")).expect("id");
    stored(t, &id).await
}

/// The schedule as stored now.
async fn stored(t: &TenantStack, id: &ExportScheduleId) -> ExportSchedule {
    t.stack
        .harness
        .store
        .get_export_schedule(&t.tenant, id)
        .await
        .expect("read")
        .expect("stored")
}

/// Makes `schedule` due, as if its runs since `days` ago had been missed.
async fn overdue(t: &TenantStack, schedule: &ExportSchedule, days: i64) {
    let mut due = schedule.clone();
    due.next_run_at = Some(chrono::Utc::now() - chrono::Duration::days(days));
    t.stack
        .harness
        .store
        .put_export_schedule(&due)
        .await
        .expect("due");
}

async fn tick(state: &faultline::AppState) -> Value {
    faultline_export::handle_schedule(state).await.expect("run")
}

#[tokio::test]
async fn missed_runs_are_made_once_and_a_run_is_claimed_by_one_runner() {
    let t = TenantStack::new().await;
    let daily = schedule(
        &t,
        json!({"name": "Daily", "resource": "incidents", "format": "csv", "every": "day",
               "at": "06:00", "window_days": 3, "delivery": {"kind": "webhook"}}),
    )
    .await;
    let next = daily.next_run_at.expect("scheduled");
    assert!(next > chrono::Utc::now());
    assert_eq!(next.format("%H:%M").to_string(), "06:00");
    assert_eq!(tick(&t.stack.state).await["due"], 0, "not due yet");

    overdue(&t, &daily, 3).await;
    let (first, second) = tokio::join!(tick(&t.stack.state), tick(&t.stack.state));
    let started = first["started"].as_u64().unwrap_or(0) + second["started"].as_u64().unwrap_or(0);
    assert_eq!(
        started, 1,
        "one run for three missed days, by one runner: {first} {second}"
    );
    assert_eq!(
        tick(&t.stack.state).await["due"],
        0,
        "the next run is tomorrow's"
    );

    let tasks = t.queued().await;
    assert_eq!(tasks.len(), 1);
    let after = stored(&t, &daily.id).await;
    assert!(after.next_run_at.expect("next") > chrono::Utc::now());
    let export_id = after.last_export_id.expect("the run's export");
    assert!(t.run(&t.stack.state, &tasks[0]).await.is_empty());
    let job = t.job(&export_id).await;
    assert_eq!(job["schedule_id"], daily.id.as_str());
    assert_eq!(job["requested_by"], format!("schedule:{}", daily.id));
    assert_eq!(job["delivery"], "announced by export.completed");
    let since: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(job["filters"]["since"].clone()).expect("since");
    let window = chrono::Utc::now() - since;
    assert!(
        window > chrono::Duration::days(3) - chrono::Duration::minutes(5),
        "{window}"
    );
    assert!(
        window < chrono::Duration::days(3) + chrono::Duration::minutes(5),
        "{window}"
    );
}

#[tokio::test]
async fn a_scheduled_export_is_emailed_with_the_file_attached() {
    let t = TenantStack::new().await;
    t.seed(6).await;
    let from = format!(
        "exports-{}@faultline.example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    t.stack
        .clients
        .ses
        .create_email_identity()
        .email_identity(&from)
        .send()
        .await
        .expect("a verified sender");
    let sender = from.clone();
    let state = t
        .stack
        .function_state_with(move |config| config.email_from = Some(sender));
    let weekly = schedule(
        &t,
        json!({"name": "Weekly incidents", "resource": "incidents", "format": "csv",
               "every": "week", "weekday": "monday", "time_zone": "Europe/Berlin",
               "delivery": {"kind": "email", "recipients": ["leads@example.com"]}}),
    )
    .await;
    overdue(&t, &weekly, 1).await;
    assert_eq!(tick(&state).await["started"], 1);
    let task = t.queued().await.remove(0);
    assert!(t.run(&state, &task).await.is_empty());

    let mail = t.stack.sent_mail(&from).await;
    assert_eq!(mail.len(), 1);
    let raw = &mail[0];
    assert!(raw.contains("Subject: Weekly incidents"), "{raw}");
    assert!(raw.contains("To: leads@example.com"), "{raw}");
    assert!(raw.contains("Content-Disposition: attachment"), "{raw}");
    assert!(raw.contains(".csv"), "{raw}");
    let export = stored(&t, &weekly.id).await.last_export_id.expect("made");
    assert_eq!(
        t.job(&export).await["delivery"],
        "emailed to 1 recipient(s), attached"
    );
}

#[tokio::test]
async fn a_scheduled_export_is_copied_into_the_customer_s_bucket() {
    let t = TenantStack::new().await;
    t.seed(4).await;
    let bucket = format!(
        "acme-reports-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    t.stack
        .clients
        .s3
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("the customer's bucket");
    let monthly = schedule(
        &t,
        json!({"name": "Monthly audit", "resource": "incidents", "format": "ndjson",
               "every": "month", "day_of_month": 1, "window_days": 31,
               "delivery": {"kind": "s3", "bucket": bucket, "prefix": "faultline/"}}),
    )
    .await;
    overdue(&t, &monthly, 2).await;
    assert_eq!(tick(&t.stack.state).await["started"], 1);
    let task = t.queued().await.remove(0);
    assert!(t.run(&t.stack.state, &task).await.is_empty());
    let listed = t
        .stack
        .clients
        .s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("faultline/")
        .send()
        .await
        .expect("listed");
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].ends_with(".ndjson"), "{keys:?}");
    let copy = t
        .stack
        .clients
        .s3
        .get_object()
        .bucket(&bucket)
        .key(keys[0])
        .send()
        .await
        .expect("the copy")
        .body
        .collect()
        .await
        .expect("bytes")
        .into_bytes();
    assert_eq!(String::from_utf8_lossy(&copy).lines().count(), 4);
}
