//! Message bodies and schedules: large bodies kept in S3 and delivered byte for byte, the payload
//! limit, and a tenant's own retry schedule — against a stack on the emulator and a local receiver.

use chrono::{Duration, Utc};
use faultline::domain::{DeliveryStatus, DeliveryTask, DomainEvent, EventType, Message, TenantId};
use faultline::services::delivery::{dispatch, DispatchOutcome, PAYLOAD_TOO_LARGE};
use faultline::services::fanout::fan_out;
use faultline::services::ledger::retry_message;
use faultline::services::messages::{body_key, load_message, INLINE_BODY_LIMIT};
use faultline::store::PageRequest;
use faultline_testkit::TestStack;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Fans out an event whose `data` carries `filler` bytes to one endpoint at `receiver`; returns
/// the stored message (body loaded) and its first task.
async fn fanned_out(
    stack: &TestStack,
    tenant: &TenantId,
    receiver: &MockServer,
    filler: usize,
) -> (Message, DeliveryTask, faultline::signing::WebhookSecret) {
    let (endpoint, secret) = stack
        .endpoint(tenant, &format!("{}/hook", receiver.uri()), vec![], true)
        .await;
    let event = DomainEvent::new(
        tenant.clone(),
        EventType::IncidentCreated,
        json!({"id": "inc_1", "stack_trace": "x".repeat(filler)}),
        stack.state.clock.now(),
    );
    assert_eq!(
        fan_out(&stack.harness, &event)
            .await
            .expect("fan out")
            .endpoints,
        1
    );
    let message = load_message(
        &stack.state,
        tenant,
        &Message::for_event(&event, Utc::now()).id,
    )
    .await
    .expect("load")
    .expect("stored");
    let task = DeliveryTask {
        tenant_id: tenant.clone(),
        message_id: message.id.clone(),
        endpoint_id: endpoint.id,
        attempt: 1,
        not_before: stack.state.clock.now(),
    };
    (message, task, secret)
}

async fn receiver(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_large_body_lives_in_s3_and_is_delivered_byte_for_byte() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let receiver = receiver(200).await;
    let (message, task, secret) = fanned_out(&stack, &tenant, &receiver, 200 * 1024).await;
    assert!(message.body.len() > INLINE_BODY_LIMIT);

    let item = stack
        .state
        .store
        .get_message(&tenant, &message.id)
        .await
        .expect("read")
        .expect("item");
    assert_eq!(item.body, "", "the table item holds no large body");
    assert_eq!(item.body_ref.as_deref(), Some(body_key(&message).as_str()));
    assert_eq!(item.body_bytes, message.body.len());
    let object = stack
        .clients
        .s3
        .get_object()
        .bucket(&stack.state.config.archive_bucket)
        .key(body_key(&message))
        .send()
        .await
        .expect("body object");
    let stored = object.body.collect().await.expect("bytes").into_bytes();
    assert_eq!(&stored[..], message.body.as_bytes());

    let outcome = dispatch(&stack.state, &task).await.expect("dispatch");

    assert_eq!(outcome, DispatchOutcome::Delivered);
    let requests = receiver.received_requests().await.expect("recorded");
    let request = &requests[0];
    assert_eq!(request.body, message.body.as_bytes());
    let header = |name: &str| {
        request.headers[name]
            .to_str()
            .expect("ascii header")
            .to_owned()
    };
    secret
        .verify(
            &header("webhook-id"),
            &header("webhook-timestamp"),
            &header("webhook-signature"),
            &request.body,
            Utc::now().timestamp(),
        )
        .expect("the signature covers the whole body");
}

#[tokio::test]
async fn a_small_body_stays_in_the_table_item() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let receiver = receiver(200).await;
    let (message, _, _) = fanned_out(&stack, &tenant, &receiver, 100).await;
    let item = stack
        .state
        .store
        .get_message(&tenant, &message.id)
        .await
        .expect("read")
        .expect("item");
    assert_eq!(item.body, message.body);
    assert_eq!(item.body_ref, None);
    assert_eq!(stack.archived_objects().await, 0);
}

#[tokio::test]
async fn a_message_over_the_payload_limit_is_recorded_exhausted_and_sent_once_the_limit_allows() {
    let mut stack = TestStack::deploy().await;
    stack.state.config.max_payload_bytes = 4096;
    let (tenant, _) = stack.tenant().await;
    let receiver = receiver(200).await;
    let (message, task, _) = fanned_out(&stack, &tenant, &receiver, 8192).await;

    let outcome = dispatch(&stack.state, &task).await.expect("dispatch");

    assert_eq!(outcome, DispatchOutcome::Exhausted, "retrying cannot help");
    assert!(receiver.received_requests().await.expect("rec").is_empty());
    let attempts = stack
        .state
        .store
        .list_attempts(&tenant, &message.id, &PageRequest::default())
        .await
        .expect("attempts")
        .items;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].error_kind.as_deref(), Some(PAYLOAD_TOO_LARGE));
    assert_eq!(attempts[0].status_code, 0);
    assert!(attempts[0]
        .error
        .as_deref()
        .unwrap_or_default()
        .contains("over the payload limit of 4096 bytes"));
    let endpoint = stack
        .state
        .store
        .get_endpoint(&tenant, &task.endpoint_id)
        .await
        .expect("read")
        .expect("endpoint");
    assert_eq!(
        endpoint.failing_since, None,
        "an oversized message is not the endpoint's failure"
    );
    let delivery = stack
        .state
        .store
        .get_delivery(&tenant, &message.id, &task.endpoint_id)
        .await
        .expect("read")
        .expect("delivery");
    assert_eq!(delivery.status, DeliveryStatus::Exhausted);

    // The operator raises the limit and retries: the message was kept, so it goes out whole.
    stack.state.config.max_payload_bytes = 256 * 1024;
    retry_message(&stack.state, &tenant, &message.id, None)
        .await
        .expect("retry")
        .expect("message exists");
    let retried = DeliveryTask { attempt: 2, ..task };
    assert_eq!(
        dispatch(&stack.state, &retried).await.expect("dispatch"),
        DispatchOutcome::Delivered
    );
    let requests = receiver.received_requests().await.expect("rec");
    assert_eq!(requests[0].body, message.body.as_bytes());
}

#[tokio::test]
async fn a_tenants_own_retry_schedule_sets_the_delays_and_the_number_of_attempts() {
    // The deployment's schedule is 1 s, 1 s, 1 s (four attempts); the tenant's is 100 s, 200 s.
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    stack
        .set_tenant_settings(&tenant, |s| s.retry_schedule = Some(vec![100, 200]))
        .await;
    let receiver = receiver(500).await;
    let (message, task, _) = fanned_out(&stack, &tenant, &receiver, 10).await;
    assert_eq!(message.retry_schedule, Some(vec![100, 200]));

    let before = Utc::now();
    let outcome = dispatch(&stack.state, &task).await.expect("dispatch");
    let DispatchOutcome::RetryScheduled { next_attempt, at } = outcome else {
        panic!("expected a retry, got {outcome:?}");
    };
    assert_eq!(next_attempt, 2);
    assert!(
        at >= before + Duration::seconds(80) && at <= Utc::now() + Duration::seconds(120),
        "100 s ± 20 % after the failure, not the deployment's 1 s: {at}"
    );

    let last = DeliveryTask { attempt: 3, ..task };
    assert_eq!(
        dispatch(&stack.state, &last).await.expect("dispatch"),
        DispatchOutcome::Exhausted,
        "two retries in the tenant's schedule: the third attempt is the last"
    );
}
