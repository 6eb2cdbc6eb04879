//! The `export` function against the emulator: exports asked for through the API (on the
//! harness, so only the function's own calls are recorded for the IAM contract), written into
//! the exports bucket, read back through their download links and opened by other programs
//! (`openpyxl`, `pdftotext`).

mod failures;
mod files;
mod schedules;

use faultline::domain::{Incident, TenantId};
use faultline_testkit::{sqs_event, HttpEvent, TestStack};
use serde_json::{json, Value};

/// Asks the API (as the harness) for an export: its id.
pub async fn ask(stack: &TenantStack, body: Value) -> String {
    let event = HttpEvent::load("api/create-export.json")
        .key(Some(&stack.key))
        .body_json(&body);
    let (status, view) = faultline_testkit::json_of(
        &faultline_api::handle(&stack.stack.harness, event.request()).await,
    );
    assert_eq!(status, 202, "{view}");
    view["id"].as_str().expect("id").to_owned()
}

/// A deployed stack, a tenant and its admin key.
pub struct TenantStack {
    pub stack: TestStack,
    pub tenant: TenantId,
    pub key: String,
}

impl TenantStack {
    pub async fn new() -> Self {
        let stack = TestStack::deploy().await;
        let (tenant, key) = stack.tenant().await;
        Self {
            stack,
            tenant,
            key: key.expose().to_owned(),
        }
    }

    /// Stores `n` made-up incidents, one a minute up to now.
    pub async fn seed(&self, n: usize) {
        let incidents =
            faultline_testkit::synthetic_incidents(&self.tenant, n, chrono::Utc::now(), |_, _| {});
        self.import(&incidents).await;
    }

    /// Stores `incidents` as they are.
    pub async fn import(&self, incidents: &[Incident]) {
        self.stack
            .harness
            .store
            .import_incidents(incidents)
            .await
            .expect("import");
    }

    /// The queued export tasks, as the function's SQS batch (one task each).
    pub async fn queued(&self) -> Vec<String> {
        self.stack
            .drain_queue("ExportQueue")
            .await
            .iter()
            .map(Value::to_string)
            .collect()
    }

    /// Runs the function on `task` with `state`: the ids of the records it reported failed.
    pub async fn run(&self, state: &faultline::AppState, task: &str) -> Vec<String> {
        let event = sqs_event("export/export-task.json", &[task.to_owned()]);
        let response = faultline_export::handle(state, event).await;
        response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect()
    }

    /// `GET /v1/exports/{id}` (as the harness).
    pub async fn job(&self, id: &str) -> Value {
        let event = HttpEvent::load("api/get-export.json")
            .key(Some(&self.key))
            .path_param("id", id)
            .query("");
        let (status, view) = faultline_testkit::json_of(
            &faultline_api::handle(&self.stack.harness, event.request()).await,
        );
        assert_eq!(status, 200, "{view}");
        view
    }

    /// The finished export's file, through its download link.
    pub async fn download(&self, id: &str) -> Vec<u8> {
        let view = self.job(id).await;
        assert_eq!(view["status"], "succeeded", "{view}");
        let url = view["download_url"].as_str().expect("a download link");
        let response = reqwest::get(url).await.expect("download");
        assert_eq!(response.status(), 200);
        response.bytes().await.expect("body").to_vec()
    }

    /// Asks for an export, runs the function on it, and downloads the file.
    pub async fn export(&self, body: Value) -> (String, Vec<u8>) {
        let id = ask(self, body).await;
        let tasks = self.queued().await;
        assert_eq!(tasks.len(), 1, "one task queued");
        let failed = self.run(&self.stack.state, &tasks[0]).await;
        assert!(failed.is_empty(), "{}", self.job(&id).await);
        let file = self.download(&id).await;
        (id, file)
    }
}

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
