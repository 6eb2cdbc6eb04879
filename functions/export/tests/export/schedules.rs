//! Scheduled exports: due runs started once (however many were missed, however many runners),
//! and the finished files delivered by email (attached, read back from SES) or into the
//! customer's bucket.

use crate::{overdue, schedule, stored, tick, TenantStack};
use serde_json::json;

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
