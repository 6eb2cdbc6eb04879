//! What the `export` function's tests share: a stack with a tenant, exports asked for through
//! the API (on the harness, so only the function's own calls are recorded for the IAM
//! contract), the function run on their tasks, and their files downloaded.

use faultline::domain::{ExportSchedule, ExportScheduleId, Incident, TenantId};
use faultline_testkit::{sqs_event, HttpEvent, TestStack};
use serde_json::Value;

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

/// Creates a schedule through the API (as the harness).
pub async fn schedule(t: &TenantStack, body: Value) -> ExportSchedule {
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
pub async fn stored(t: &TenantStack, id: &ExportScheduleId) -> ExportSchedule {
    t.stack
        .harness
        .store
        .get_export_schedule(&t.tenant, id)
        .await
        .expect("read")
        .expect("stored")
}

/// Makes `schedule` due, as if its runs since `days` ago had been missed.
pub async fn overdue(t: &TenantStack, schedule: &ExportSchedule, days: i64) {
    let mut due = schedule.clone();
    due.next_run_at = Some(chrono::Utc::now() - chrono::Duration::days(days));
    t.stack
        .harness
        .store
        .put_export_schedule(&due)
        .await
        .expect("due");
}

pub async fn tick(state: &faultline::AppState) -> Value {
    faultline_export::handle_schedule(state).await.expect("run")
}
