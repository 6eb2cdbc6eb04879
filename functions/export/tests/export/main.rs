//! The `export` function against the emulator: exports written into the exports bucket, read
//! back through their download links and opened by other programs (`openpyxl`, `pdftotext`);
//! failures, retries and scheduled runs. (Email delivery has a binary of its own: `email`.)

mod failures;
mod files;
mod schedules;
mod support;

pub use support::*;

use serde_json::{json, Value};

#[tokio::test]
async fn a_finished_task_handed_over_again_writes_nothing_and_announces_nothing() {
    let t = TenantStack::new().await;
    t.seed(5).await;
    let id = ask(&t, json!({"resource": "incidents", "format": "ndjson"})).await;
    let task = t.queued().await.remove(0);
    assert!(t.run(&t.stack.state, &task).await.is_empty());
    let first = t.job(&id).await;
    let events = t.stack.published_events().await;
    let completed: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "export.completed")
        .collect();
    assert_eq!(completed.len(), 1, "{events:?}");
    assert_eq!(completed[0]["data"]["export_id"], id.as_str());
    assert_eq!(completed[0]["data"]["rows"], 5);
    assert!(completed[0]["data"]["download_url"].is_string());

    assert!(t.run(&t.stack.state, &task).await.is_empty());
    let again = t.job(&id).await;
    assert_eq!(first["finished_at"], again["finished_at"]);
    assert_eq!(again["attempts"], 1);
    let events = t.stack.published_events().await;
    assert!(
        !events.iter().any(|e| e["type"] == "export.completed"),
        "{events:?}"
    );
}
