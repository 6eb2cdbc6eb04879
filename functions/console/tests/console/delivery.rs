//! Endpoints, exports and dead letters changed from the console, through the API.

use crate::{api, tenant, Browser};
use faultline::domain::{Attempt, AttemptOutcome, DeliveryStatus, EndpointId, MessageId, TenantId};
use faultline::queue::ExportTask;
use faultline::services::exports::run_export;
use faultline::store::DeliveryRecord;
use faultline_testkit::TestStack;
use serde_json::json;

/// Records the ping's first attempt to `endpoint` as failed (its receiver does not exist here), so
/// recovery has a delivery to send again.
async fn failed_attempt(stack: &TestStack, tenant: &TenantId, message: &str, endpoint: &str) {
    let (message, endpoint): (MessageId, EndpointId) = (
        MessageId::parse(message).expect("message id"),
        EndpointId::parse(endpoint).expect("endpoint id"),
    );
    let now = stack.harness.clock.now();
    let attempt = Attempt {
        message_id: message.clone(),
        endpoint_id: endpoint.clone(),
        attempt: 1,
        url: "https://example.com/hooks/faultline".into(),
        outcome: AttemptOutcome::Failed,
        started_at: now,
        status_code: 503,
        latency_ms: 12,
        response_excerpt: String::new(),
        error: Some("HTTP 503".into()),
        error_kind: Some("status".into()),
        next_attempt_at: Some(now + chrono::Duration::hours(1)),
        successor_queued: true,
    };
    let record = DeliveryRecord {
        message_id: message,
        endpoint_id: endpoint,
        status: DeliveryStatus::Failed,
        attempts: 1,
        next_attempt_at: attempt.next_attempt_at,
        updated_at: now,
    };
    stack
        .harness
        .store
        .record_attempt_result(tenant, &attempt, &record)
        .await
        .expect("attempt recorded");
}

#[tokio::test]
async fn endpoints_are_created_pinged_rotated_revealed_recovered_and_retried() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = tenant(&stack).await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    let list = browser.get("/console/endpoints").await;
    assert!(
        list.body.contains("value=\"incident.created\""),
        "the catalogue's event types"
    );
    let created = browser
        .submit(
            "/console/endpoints",
            "/console/endpoints",
            &[
                ("url", "https://example.com/hooks/faultline"),
                ("event_types", "incident.created"),
                ("event_types", "incident.resolved"),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(created.body.contains("whsec_"), "the secret, once");
    let (_, endpoints) = api(&stack, &key, "GET", "/v1/endpoints", None).await;
    let endpoint = &endpoints["items"][0];
    assert_eq!(
        endpoint["event_types"],
        json!(["incident.created", "incident.resolved"])
    );
    let id = endpoint["id"].as_str().unwrap_or_default().to_owned();
    let page = format!("/console/endpoints/{id}");
    let pinged = browser.submit(&page, &format!("{page}/test"), &[]).await;
    assert_eq!((pinged.status, pinged.location()), (303, page.as_str()));
    let shown = browser.get(&page).await;
    assert!(
        shown.body.contains("<code>ping</code>"),
        "the ping is in the message log"
    );
    let message_id = {
        let (_, messages) = api(
            &stack,
            &key,
            "GET",
            &format!("/v1/messages?endpoint_id={id}"),
            None,
        )
        .await;
        messages["items"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let attempts = browser.get(&format!("{page}/messages/{message_id}")).await;
    assert_eq!(attempts.status, 200);
    assert!(attempts.body.contains("<h1>Attempts</h1>"));
    assert!(message_id.starts_with("msg_"), "the ping is in the ledger");
    let retried = browser
        .submit(&page, &format!("{page}/messages/{message_id}/retry"), &[])
        .await;
    let detail = retried.body.split("error-title").nth(1).unwrap_or_default();
    assert_eq!(
        (retried.status, retried.location()),
        (303, page.as_str()),
        "{detail}"
    );
    let revealed = browser.submit(&page, &format!("{page}/secret"), &[]).await;
    assert_eq!(revealed.status, 200);
    let first = created
        .body
        .split("whsec_")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_default()
        .to_owned();
    assert!(revealed.body.contains(&first));
    let rotated = browser
        .submit(&page, &format!("{page}/rotate-secret"), &[])
        .await;
    assert_eq!(rotated.status, 200);
    assert!(rotated.body.contains("whsec_") && !rotated.body.contains(&first));
    failed_attempt(&stack, &tenant, &message_id, &id).await;
    let recovered = browser
        .submit(&page, &format!("{page}/recover"), &[("hours", "24")])
        .await;
    assert_eq!(
        browser
            .submit(&page, &format!("{page}/recover"), &[("hours", "999")])
            .await
            .status,
        422
    );
    assert_eq!(recovered.status, 303);
    let (_, message) = api(
        &stack,
        &key,
        "GET",
        &format!("/v1/messages/{message_id}"),
        None,
    )
    .await;
    assert_eq!(
        (
            &message["deliveries"][0]["status"],
            &message["deliveries"][0]["attempts"]
        ),
        (&json!("pending"), &json!(1)),
        "the failed delivery queued again: {message}"
    );
    let redriven = browser
        .submit("/console/endpoints", "/console/dead-letters/redrive", &[])
        .await;
    assert_eq!(redriven.status, 303, "{}", redriven.body);
    let unknown = browser.submit(&page, &format!("{page}/explode"), &[]).await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn an_export_is_queued_and_its_download_waits_for_the_file() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = tenant(&stack).await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    let created = browser
        .submit(
            "/console/exports",
            "/console/exports",
            &[
                ("resource", "incidents"),
                ("format", "csv"),
                ("title", "Weekly"),
                ("status", "open"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let (_, jobs) = api(&stack, &key, "GET", "/v1/exports", None).await;
    let job = &jobs["items"][0];
    assert_eq!(job["status"], "queued");
    assert_eq!(job["filters"]["status"], "open");
    let page = browser.get("/console/exports").await;
    assert!(page.body.contains("Weekly") && page.body.contains("hx-trigger=\"every 2s\""));
    let download = format!(
        "/console/exports/{}/download",
        job["id"].as_str().unwrap_or_default()
    );
    let early = browser.get(&download).await;
    assert_eq!(early.status, 409);
    assert!(early.body.contains("has no file yet"));
    let task: ExportTask =
        serde_json::from_value(stack.drain_queue("ExportQueue").await.remove(0)).expect("task");
    run_export(&stack.harness, &task).await.expect("written");
    let ready = browser.get("/console/exports").await;
    assert!(ready.body.contains(&format!("href=\"{download}\"")));
    assert!(
        !ready.body.contains("hx-trigger=\"every 2s\""),
        "nothing left to watch"
    );
    let link = browser.get(&download).await;
    assert_eq!(link.status, 303);
    assert!(
        link.location().contains("X-Amz-Expires=300"),
        "{}",
        link.location()
    );
    let file = reqwest::get(link.location())
        .await
        .expect("the bucket answers");
    assert_eq!(file.status(), 200);
    assert!(file.text().await.expect("csv").starts_with("id,"));
    let refused = browser
        .submit(
            "/console/exports",
            "/console/exports",
            &[("resource", "incidents"), ("format", "docx")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
}

#[tokio::test]
async fn dead_letters_are_counted_and_redriven_from_the_endpoints_page() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = tenant(&stack).await;
    let send = |queue: &'static str, body: serde_json::Value| {
        let stack = &stack;
        async move { stack.send_to_queue(queue, &body).await }
    };
    send(
        "EventsDeadLetterQueue",
        json!({"tenant_id": tenant, "type": "incident.created", "id": "evt_mine"}),
    )
    .await;
    send(
        "DeliveriesDeadLetterQueue",
        json!({"tenant_id": tenant, "attempt": 3}),
    )
    .await;
    send(
        "NotifyDeadLetterQueue",
        json!({"tenant_id": tenant, "destination_id": "dst_01JD0000000000000000000000", "attempt": 7}),
    )
    .await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    let page = browser.get("/console/endpoints").await;
    assert!(
        page.body.contains("3 messages of this tenant wait"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Redrive them"));
    let redriven = browser
        .submit("/console/endpoints", "/console/dead-letters/redrive", &[])
        .await;
    assert_eq!(redriven.status, 303, "{}", redriven.body);
    assert_eq!(stack.drain_queue("NotifyQueue").await.len(), 1);
    let after = browser.get("/console/endpoints").await;
    assert!(after.body.contains("0 messages of this tenant wait"));
}
