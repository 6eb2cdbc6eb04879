use crate::common::*;
use faultline::domain::notification::Throttle;
use faultline::domain::EventType;
use faultline::services::notify::{notify, NotifyOutcome};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HOOK: &str = "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX";

#[tokio::test]
async fn an_incoming_webhook_gets_block_kit_with_a_text_fallback() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(HOOK))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let hook = destination(
        &stack,
        &tenant,
        Reach::SlackWebhook(&format!("{}{HOOK}", server.uri())),
    )
    .await;
    let mut opened = incident(&stack, &tenant).await;
    opened.description = Some("x".repeat(10_000));

    let outcome = notify(
        &stack.state,
        &task(
            &opened,
            EventType::IncidentCreated,
            &hook,
            Throttle::default(),
        ),
    )
    .await;

    assert_eq!(outcome.expect("notified"), NotifyOutcome::Sent);
    let sent = &bodies(&server, HOOK).await[0];
    assert!(sent["text"]
        .as_str()
        .unwrap_or_default()
        .starts_with("[CRITICAL] Checkout API 5xx above 5%"));
    let blocks = sent["blocks"].as_array().expect("blocks");
    assert!(blocks.len() <= 50);
    for block in blocks {
        if let Some(text) = block["text"]["text"].as_str() {
            assert!(
                text.chars().count() <= 3000,
                "a section within Slack's 3,000 characters"
            );
        }
    }
    let fields = blocks
        .iter()
        .find_map(|b| b["fields"].as_array())
        .expect("facts as fields");
    assert!(
        fields.iter().any(|f| f["text"] == "*Severity*\ncritical"),
        "{fields:?}"
    );
    assert_eq!(statuses(&stack, &tenant).await, ["sent"]);
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after_and_a_404_is_parked() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/busy"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "120")
                .set_body_string("rate_limited"),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/services/gone"))
        .respond_with(ResponseTemplate::new(404).set_body_string("channel_not_found"))
        .mount(&server)
        .await;
    let busy = destination(
        &stack,
        &tenant,
        Reach::SlackWebhook(&format!("{}/services/busy", server.uri())),
    )
    .await;
    let gone = destination(
        &stack,
        &tenant,
        Reach::SlackWebhook(&format!("{}/services/gone", server.uri())),
    )
    .await;
    let opened = incident(&stack, &tenant).await;

    let throttled = notify(
        &stack.state,
        &task(
            &opened,
            EventType::IncidentCreated,
            &busy,
            Throttle::default(),
        ),
    )
    .await;
    assert_eq!(throttled.expect("recorded"), NotifyOutcome::Later);
    let refused = notify(
        &stack.state,
        &task(
            &opened,
            EventType::IncidentCreated,
            &gone,
            Throttle::default(),
        ),
    )
    .await;
    assert_eq!(refused.expect("recorded"), NotifyOutcome::Failed);

    let ledger = ledger(&stack, &tenant).await;
    let retrying = ledger
        .iter()
        .find(|r| r["status"] == "retrying")
        .expect("a retry");
    assert!(
        retrying["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("next attempt in 120 s"),
        "{retrying}"
    );
    assert_eq!(retrying["status_code"], 429);
    let failed = ledger
        .iter()
        .find(|r| r["status"] == "failed")
        .expect("a failure");
    assert!(
        failed["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("channel_not_found"),
        "{failed}"
    );
    assert_eq!(
        waiting(&stack, "NotifyQueue").await,
        (0, 1),
        "the retry waits"
    );
    let parked = stack.drain_queue("NotifyDeadLetterQueue").await;
    assert_eq!(parked.len(), 1);
    assert_eq!(
        parked[0]["tenant_id"],
        tenant.as_str(),
        "dead letters name their tenant"
    );
}

#[tokio::test]
async fn a_notification_out_of_attempts_is_parked_not_dropped() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let hook = destination(
        &stack,
        &tenant,
        Reach::SlackWebhook(&format!("{}/services/down", server.uri())),
    )
    .await;
    let opened = incident(&stack, &tenant).await;
    let mut last = task(
        &opened,
        EventType::IncidentCreated,
        &hook,
        Throttle::default(),
    );
    last.attempt = faultline::services::notify::MAX_ATTEMPTS;

    assert_eq!(
        notify(&stack.state, &last).await.expect("recorded"),
        NotifyOutcome::Failed
    );
    assert_eq!(stack.drain_queue("NotifyDeadLetterQueue").await.len(), 1);
    assert_eq!(statuses(&stack, &tenant).await, ["failed"]);
}

#[tokio::test]
async fn the_sample_batch_is_handled_and_a_malformed_record_fails_alone() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(HOOK))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let hook = destination(
        &stack,
        &tenant,
        Reach::SlackWebhook(&format!("{}{HOOK}", server.uri())),
    )
    .await;
    // The sample task, moved into this tenant and at this destination.
    let sample = faultline_testkit::load_event("notify/notification-task.json");
    let mut task: serde_json::Value =
        serde_json::from_str(sample["Records"][0]["body"].as_str().expect("body")).expect("a task");
    task["tenant_id"] = tenant.as_str().into();
    task["event"]["tenant_id"] = tenant.as_str().into();
    task["destination_id"] = hook.id.as_str().into();

    let response = faultline_notify::handle(
        &stack.state,
        faultline_testkit::sqs_event(
            "notify/notification-task.json",
            &[task.to_string(), "{not json".into()],
        ),
    )
    .await;

    assert_eq!(
        response.batch_item_failures.len(),
        1,
        "only the malformed record"
    );
    let sent = &bodies(&server, HOOK).await[0];
    assert!(
        sent["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Checkout API 5xx above 5%"),
        "{sent}"
    );
    assert_eq!(statuses(&stack, &tenant).await, ["sent"]);
}
