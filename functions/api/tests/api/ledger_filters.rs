//! `GET /v1/messages` filters by delivery status and endpoint, from the status sets the
//! dispatcher keeps on each message (real DynamoDB filter expressions on the emulator).

use faultline::clock::Clock;
use faultline::domain::{DeliveryTask, DomainEvent, EventType, Message, TenantId};
use faultline::services::delivery::{dispatch, DispatchOutcome};
use faultline::services::fanout::fan_out;
use faultline_api::handle;
use faultline_testkit::{json_of, HttpEvent, TestStack};
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn receiver(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

async fn send(stack: &TestStack, tenant: &TenantId, event_type: EventType) -> Message {
    let event = DomainEvent::new(
        tenant.clone(),
        event_type,
        json!({}),
        stack.state.clock.now(),
    );
    fan_out(&stack.harness, &event).await.expect("fan out");
    Message::for_event(&event, stack.state.clock.now())
}

async fn deliver(
    stack: &TestStack,
    message: &Message,
    endpoint: &faultline::domain::Endpoint,
    attempt: u32,
) -> DispatchOutcome {
    let task = DeliveryTask {
        tenant_id: message.tenant_id.clone(),
        message_id: message.id.clone(),
        endpoint_id: endpoint.id.clone(),
        attempt,
        not_before: stack.state.clock.now(),
    };
    dispatch(&stack.state, &task).await.expect("dispatch")
}

#[tokio::test]
async fn messages_filter_by_delivery_status_and_endpoint() {
    // One retry: the second failed attempt exhausts the delivery.
    let stack = TestStack::deploy_with("1", Clock::system()).await;
    let (tenant, key) = stack.tenant().await;
    let (ok, failing) = (receiver(200).await, receiver(500).await);
    let (all, _) = stack.endpoint(&tenant, &ok.uri(), vec![], true).await;
    let (resolved_only, _) = stack
        .endpoint(
            &tenant,
            &failing.uri(),
            vec![EventType::IncidentResolved],
            true,
        )
        .await;
    let created = send(&stack, &tenant, EventType::IncidentCreated).await;
    let resolved = send(&stack, &tenant, EventType::IncidentResolved).await;

    let list = |query: String| {
        let stack = &stack;
        let key = key.expose().to_owned();
        async move {
            let (status, page) = json_of(
                &handle(
                    &stack.state,
                    HttpEvent::load("api/list-messages.json")
                        .key(Some(&key))
                        .query(&query)
                        .request(),
                )
                .await,
            );
            let ids: Vec<String> = page["items"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|m| m["id"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (status, ids, page)
        }
    };
    let (_, pending, _) = list("status=pending".into()).await;
    assert_eq!(pending.len(), 2, "both start pending");

    assert_eq!(
        deliver(&stack, &created, &all, 1).await,
        DispatchOutcome::Delivered
    );
    assert_eq!(
        deliver(&stack, &resolved, &all, 1).await,
        DispatchOutcome::Delivered
    );
    assert!(matches!(
        deliver(&stack, &resolved, &resolved_only, 1).await,
        DispatchOutcome::RetryScheduled { .. }
    ));
    let (_, failed, _) = list("status=failed".into()).await;
    assert_eq!(failed, vec![resolved.id.to_string()]);
    assert_eq!(
        deliver(&stack, &resolved, &resolved_only, 2).await,
        DispatchOutcome::Exhausted
    );

    let (c, r) = (created.id.to_string(), resolved.id.to_string());
    for (query, expected) in [
        (String::new(), vec![r.clone(), c.clone()]),
        ("status=succeeded".into(), vec![r.clone(), c.clone()]),
        ("status=exhausted".into(), vec![r.clone()]),
        ("status=failed".into(), vec![]),
        ("status=pending".into(), vec![]),
        (format!("endpoint_id={}", resolved_only.id), vec![r.clone()]),
        (
            format!("endpoint_id={}&status=succeeded", all.id),
            vec![r.clone(), c.clone()],
        ),
        (
            format!("endpoint_id={}&status=succeeded", resolved_only.id),
            vec![],
        ),
        (
            format!(
                "endpoint_id={}&status=exhausted&event_type=incident.resolved",
                resolved_only.id
            ),
            vec![r.clone()],
        ),
    ] {
        let (status, ids, _) = list(query.clone()).await;
        assert_eq!((status, ids), (200, expected), "?{query}");
    }
    let (_, _, page) = list("status=exhausted".into()).await;
    let shown: &Value = &page["items"][0];
    assert_eq!(shown["status"], "exhausted", "the worst delivery's status");
    assert_eq!(
        shown["endpoints_by_status"],
        json!({"pending": 0, "succeeded": 1, "failed": 0, "exhausted": 1})
    );

    // A dispatcher that died between the ledger write and the status sets leaves them stale; the
    // redelivered task (a duplicate of an attempt already made) puts them right.
    stack
        .state
        .store
        .index_delivery_status(
            &tenant,
            &resolved.id,
            std::slice::from_ref(&resolved_only.id),
            faultline::domain::DeliveryStatus::Pending,
        )
        .await
        .expect("stale index");
    let (_, stale, _) = list("status=pending".into()).await;
    assert_eq!(stale, vec![r.clone()]);
    assert_eq!(
        deliver(&stack, &resolved, &resolved_only, 2).await,
        DispatchOutcome::Duplicate
    );
    let (_, repaired, _) = list("status=pending".into()).await;
    assert!(repaired.is_empty(), "repaired from the delivery record");
    let (_, exhausted, _) = list("status=exhausted".into()).await;
    assert_eq!(exhausted, vec![r.clone()]);

    for bad in ["status=lost", "endpoint_id=nope"] {
        let (status, _, problem) = list(bad.into()).await;
        assert_eq!(status, 400, "{bad}: {problem}");
    }
}

#[tokio::test]
async fn a_message_whose_body_lives_in_the_bucket_is_shown_whole() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    stack
        .endpoint(&tenant, "https://hooks.example.com/big", vec![], true)
        .await;
    let event = DomainEvent::new(
        tenant.clone(),
        EventType::IncidentCreated,
        json!({"stack_trace": "x".repeat(64 * 1024)}),
        stack.state.clock.now(),
    );
    fan_out(&stack.harness, &event).await.expect("fan out");
    let message = Message::for_event(&event, stack.state.clock.now());

    let response = handle(
        &stack.state,
        HttpEvent::load("api/get-message.json")
            .path_param("id", message.id.as_str())
            .key(Some(key.expose()))
            .request(),
    )
    .await;

    let (status, shown) = json_of(&response);
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["payload_stored"], "s3");
    assert_eq!(
        shown["payload"]["data"]["stack_trace"]
            .as_str()
            .map(str::len),
        Some(64 * 1024),
        "read back from the bucket"
    );
}

#[tokio::test]
async fn recovery_requeues_only_the_deliveries_still_failed_and_pending_ones_show_before_any_attempt(
) {
    let stack = TestStack::deploy_with("300", Clock::system()).await;
    let (tenant, key) = stack.tenant().await;
    let (ok, failing) = (receiver(200).await, receiver(500).await);
    let (healthy, _) = stack.endpoint(&tenant, &ok.uri(), vec![], true).await;
    let (broken, _) = stack.endpoint(&tenant, &failing.uri(), vec![], true).await;
    let message = send(&stack, &tenant, EventType::IncidentCreated).await;
    let key = key.expose().to_owned();
    let deliveries = || async {
        let (status, view) = json_of(
            &handle(
                &stack.state,
                HttpEvent::load("api/get-message.json")
                    .path_param("id", message.id.as_str())
                    .key(Some(&key))
                    .request(),
            )
            .await,
        );
        assert_eq!(status, 200, "{view}");
        view["deliveries"].clone()
    };
    // Fan-out records no delivery: both show pending, from the message's pending set.
    let before = deliveries().await;
    assert_eq!(before.as_array().map(Vec::len), Some(2), "{before}");
    assert!(
        before
            .as_array()
            .into_iter()
            .flatten()
            .all(|d| d["status"] == "pending" && d["attempts"] == 0),
        "{before}"
    );

    assert_eq!(
        deliver(&stack, &message, &healthy, 1).await,
        DispatchOutcome::Delivered
    );
    assert!(matches!(
        deliver(&stack, &message, &broken, 1).await,
        DispatchOutcome::RetryScheduled { .. }
    ));
    let recover = |endpoint: &faultline::domain::Endpoint| {
        let (stack, key, id) = (&stack, key.clone(), endpoint.id.to_string());
        async move {
            json_of(
                &handle(
                    &stack.state,
                    HttpEvent::load("api/recover-endpoint.json")
                        .path_param("id", &id)
                        .key(Some(&key))
                        .body_json(&json!({
                            "since": (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339()
                        }))
                        .request(),
                )
                .await,
            )
        }
    };
    let (status, recovered) = recover(&broken).await;
    assert_eq!(
        (status, recovered["queued"].as_u64()),
        (202, Some(1)),
        "{recovered}"
    );
    let (status, recovered) = recover(&healthy).await;
    assert_eq!(
        (status, recovered["queued"].as_u64()),
        (202, Some(0)),
        "a delivered message is not re-sent: {recovered}"
    );
    let after = deliveries().await;
    let status_of = |endpoint: &faultline::domain::Endpoint| {
        after
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["endpoint_id"] == endpoint.id.as_str())
            .map(|d| d["status"].clone())
    };
    assert_eq!(status_of(&broken), Some(json!("pending")), "{after}");
    assert_eq!(status_of(&healthy), Some(json!("succeeded")), "{after}");
}
