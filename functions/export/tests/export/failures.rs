//! Failed attempts: aborted uploads, retries through SQS, and a last failure announced.

use crate::{ask, TenantStack};
use faultline_testkit::FailingWrites;
use serde_json::json;

#[tokio::test]
async fn a_failed_upload_is_aborted_and_the_task_handed_back_then_retried() {
    let t = TenantStack::new().await;
    let description = faultline_testkit::incompressible(4_000);
    t.import(&faultline_testkit::synthetic_incidents(
        &t.tenant,
        2_400,
        chrono::Utc::now(),
        |_, i| i.description = Some(description.clone()),
    ))
    .await;
    let id = ask(
        &t,
        json!({"resource": "incidents", "format": "csv", "columns": ["id", "description"]}),
    )
    .await;
    let task = t.queued().await.remove(0);

    let failing = t.stack.function_state_failing(FailingWrites {
        operation: "CompleteMultipartUpload",
        marker: "",
    });
    assert_eq!(t.run(&failing, &task).await, ["m0"], "handed back to SQS");
    let view = t.job(&id).await;
    assert_eq!(view["status"], "queued");
    assert_eq!(view["attempts"], 1);
    let error = view["error"].as_str().expect("why");
    assert!(error.contains("injected failure"), "{error}");
    assert!(view["download_url"].is_null());
    let bucket = t
        .stack
        .harness
        .config
        .exports_bucket
        .clone()
        .expect("bucket");
    let uploads = t
        .stack
        .clients
        .s3
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .expect("uploads");
    assert!(uploads.uploads().is_empty(), "the parts were discarded");

    assert!(t.run(&t.stack.state, &task).await.is_empty());
    let view = t.job(&id).await;
    assert_eq!(view["status"], "succeeded");
    assert_eq!(view["attempts"], 2);
    assert_eq!(view["rows"], 2_400);
    assert!(view["error"].is_null());
}

#[tokio::test]
async fn the_third_failure_fails_the_export_for_good_and_says_so() {
    let t = TenantStack::new().await;
    let id = ask(&t, json!({"resource": "incidents", "format": "json"})).await;
    let task = t.queued().await.remove(0);
    let broken = t
        .stack
        .function_state_with(|config| config.exports_bucket = Some("no-such-bucket".into()));
    assert_eq!(t.run(&broken, &task).await, ["m0"]);
    assert_eq!(t.run(&broken, &task).await, ["m0"]);
    assert_eq!(t.job(&id).await["status"], "queued");
    assert!(t.run(&broken, &task).await.is_empty(), "done with it");
    let view = t.job(&id).await;
    assert_eq!(view["status"], "failed");
    assert_eq!(view["attempts"], 3);
    assert!(
        view["error"].as_str().expect("why").contains("S3"),
        "{view}"
    );
    // The event is parked in the outbox in the same step (the relay publishes it from there).
    let dump = t.stack.table_dump().await;
    assert_eq!(dump.matches("export.failed").count(), 1, "{dump}");
    // A task handed over once more after that changes nothing.
    assert!(t.run(&t.stack.state, &task).await.is_empty());
    assert_eq!(t.job(&id).await["status"], "failed");
}
