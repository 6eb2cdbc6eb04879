//! The dispatch handler against a stack on the AWS emulator and a local receiver (wiremock) that
//! answers as scripted.

use aws_lambda_events::event::sqs::SqsEvent;
use chrono::{Duration, Utc};
use faultline::clock::Clock;
use faultline::domain::{
    DeliveryStatus, DeliveryTask, DomainEvent, Endpoint, EventType, Message, TenantId,
};
use faultline::signing::WebhookSecret;
use faultline::store::PageRequest;
use faultline_dispatch::handle;
use faultline_testkit::{sqs_event, CallCount, TestStack};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Fixture {
    stack: TestStack,
    tenant: TenantId,
    endpoint: Endpoint,
    secret: WebhookSecret,
    message: Message,
}

async fn fixture(stack: TestStack, receiver: &MockServer) -> Fixture {
    let (tenant, _) = stack.tenant().await;
    let (endpoint, secret) = stack
        .endpoint(&tenant, &format!("{}/hook", receiver.uri()), vec![], true)
        .await;
    let now = stack.state.clock.now();
    let event = DomainEvent::new(
        tenant.clone(),
        EventType::IncidentCreated,
        json!({"id": "inc_1"}),
        now,
    );
    let message = Message::for_event(&event, now);
    stack
        .state
        .store
        .put_message_once(&message, &[])
        .await
        .expect("message");
    Fixture {
        stack,
        tenant,
        endpoint,
        secret,
        message,
    }
}

impl Fixture {
    fn task(&self, attempt: u32) -> DeliveryTask {
        DeliveryTask {
            tenant_id: self.tenant.clone(),
            message_id: self.message.id.clone(),
            endpoint_id: self.endpoint.id.clone(),
            attempt,
            not_before: self.stack.state.clock.now(),
        }
    }

    fn event(&self, tasks: &[DeliveryTask]) -> SqsEvent {
        let bodies: Vec<String> = tasks
            .iter()
            .map(|t| serde_json::to_string(t).expect("task"))
            .collect();
        sqs_event("dispatch/delivery-task.json", &bodies)
    }

    async fn attempts(&self) -> Vec<faultline::domain::Attempt> {
        self.stack
            .state
            .store
            .list_attempts(&self.tenant, &self.message.id, &PageRequest::default())
            .await
            .expect("attempts")
            .items
    }

    async fn delivery_status(&self) -> DeliveryStatus {
        self.stack
            .state
            .store
            .get_delivery(&self.tenant, &self.message.id, &self.endpoint.id)
            .await
            .expect("read")
            .expect("delivery record")
            .status
    }
}

#[tokio::test]
async fn delivers_a_standard_webhooks_signed_post_and_records_the_attempt() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&receiver)
        .await;
    let f = fixture(TestStack::deploy().await, &receiver).await;

    let response = handle(&f.stack.state, f.event(&[f.task(1)])).await;

    assert!(response.batch_item_failures.is_empty());
    let requests = receiver.received_requests().await.expect("recorded");
    let request = &requests[0];
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("webhook-id"), f.message.id.as_str());
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(request.body, f.message.body.as_bytes());
    f.secret
        .verify(
            &header("webhook-id"),
            &header("webhook-timestamp"),
            &header("webhook-signature"),
            &request.body,
            Utc::now().timestamp(),
        )
        .expect("signature verifies with the endpoint's secret");
    let body: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON");
    for key in ["id", "type", "timestamp", "data"] {
        assert!(body.get(key).is_some(), "{key} missing from {body}");
    }
    let attempts = f.attempts().await;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status_code, 204);
    assert_eq!(f.delivery_status().await, DeliveryStatus::Succeeded);
}

#[tokio::test]
async fn a_failure_is_recorded_and_the_next_attempt_queued_with_its_delay_until_exhausted() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("database is down"))
        .mount(&receiver)
        .await;
    let f = fixture(
        TestStack::deploy_with("1,1", Clock::system()).await,
        &receiver,
    )
    .await;

    let response = handle(&f.stack.state, f.event(&[f.task(1)])).await;

    assert!(
        response.batch_item_failures.is_empty(),
        "a failed POST is a recorded attempt, not a failed record"
    );
    let attempts = f.attempts().await;
    assert_eq!(attempts[0].status_code, 500);
    assert_eq!(attempts[0].response_excerpt, "database is down");
    assert!(attempts[0]
        .error
        .as_deref()
        .unwrap_or_default()
        .contains("500"));
    assert!(attempts[0].next_attempt_at.is_some());
    assert_eq!(f.delivery_status().await, DeliveryStatus::Failed);
    let queued = f.stack.drain_queue("RetriesQueue").await;
    assert_eq!(queued.len(), 0, "the retry is delayed, not visible yet");
    // 1 s ±20 % jitter, rounded up to whole seconds by SQS DelaySeconds: visible within 2 s.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let queued = f.stack.drain_queue("RetriesQueue").await;
    assert_eq!(queued.len(), 1, "the retry waits in the retries lane");
    assert_eq!(queued[0]["attempt"], 2);
    assert!(
        f.stack.drain_queue("DeliveriesQueue").await.is_empty(),
        "never in the first-attempt lane"
    );

    // Attempts 2 and 3 fail too; after the last one the delivery is exhausted.
    handle(&f.stack.state, f.event(&[f.task(2)])).await;
    handle(&f.stack.state, f.event(&[f.task(3)])).await;
    let attempts = f.attempts().await;
    assert_eq!(attempts.len(), 3);
    assert!(attempts[2].next_attempt_at.is_none());
    assert_eq!(f.delivery_status().await, DeliveryStatus::Exhausted);
}

#[tokio::test]
async fn a_duplicate_task_does_not_post_twice() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&receiver)
        .await;
    let f = fixture(TestStack::deploy().await, &receiver).await;

    // The same task twice in one batch, and once more later (SQS at-least-once).
    let response = handle(&f.stack.state, f.event(&[f.task(1), f.task(1)])).await;
    handle(&f.stack.state, f.event(&[f.task(1)])).await;

    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert!(
        failed.len() <= 1,
        "at most the racing duplicate is retried: {failed:?}"
    );
    assert_eq!(
        receiver.received_requests().await.expect("recorded").len(),
        1
    );
    assert_eq!(f.attempts().await.len(), 1);
}

#[tokio::test]
async fn duplicates_of_a_failed_attempt_queue_its_successor_once_and_repair_a_missing_one() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&receiver)
        .await;
    let f = fixture(
        TestStack::deploy_with("1,1,1", Clock::system()).await,
        &receiver,
    )
    .await;

    // Attempt 1 fails and queues attempt 2; two more copies of its task arrive afterwards.
    handle(&f.stack.state, f.event(&[f.task(1)])).await;
    handle(&f.stack.state, f.event(&[f.task(1), f.task(1)])).await;
    assert!(f.attempts().await[0].successor_queued);
    // Attempt 2's task ran and failed, but its run died before queueing attempt 3.
    let now = f.stack.state.clock.now();
    let mut second = faultline::domain::Attempt::in_flight(
        f.message.id.clone(),
        f.endpoint.id.clone(),
        2,
        f.endpoint.url.clone(),
        now,
    );
    second.outcome = faultline::domain::AttemptOutcome::Failed;
    second.next_attempt_at = Some(now + Duration::seconds(1));
    let record = faultline::store::DeliveryRecord {
        message_id: f.message.id.clone(),
        endpoint_id: f.endpoint.id.clone(),
        status: DeliveryStatus::Failed,
        attempts: 2,
        next_attempt_at: second.next_attempt_at,
        updated_at: now,
    };
    f.stack
        .state
        .store
        .record_attempt_result(&f.tenant, &second, &record)
        .await
        .expect("recorded");
    // Its redelivered task (twice) queues attempt 3, once.
    handle(&f.stack.state, f.event(&[f.task(2)])).await;
    handle(&f.stack.state, f.event(&[f.task(2)])).await;

    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let mut queued: Vec<u64> = f
        .stack
        .drain_queue("RetriesQueue")
        .await
        .iter()
        .filter_map(|task| task["attempt"].as_u64())
        .collect();
    queued.sort_unstable();
    assert_eq!(queued, vec![2, 3], "each successor queued once");
    assert_eq!(
        receiver.received_requests().await.expect("recorded").len(),
        1,
        "only attempt 1 was sent"
    );
    assert!(f.attempts().await.iter().all(|a| a.successor_queued));
}

#[tokio::test]
async fn only_the_bad_record_of_a_batch_is_reported_for_redelivery() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let f = fixture(TestStack::deploy().await, &receiver).await;
    let good = serde_json::to_string(&f.task(1)).expect("task");

    let event = sqs_event("dispatch/delivery-task.json", &[good, "{not json".into()]);
    let response = handle(&f.stack.state, event).await;

    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, vec!["m1"]);
    assert_eq!(
        receiver.received_requests().await.expect("recorded").len(),
        1
    );
}

#[tokio::test]
async fn a_task_that_arrives_early_hops_instead_of_delivering() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&receiver)
        .await;
    let f = fixture(TestStack::deploy().await, &receiver).await;
    let mut task = f.task(2);
    task.not_before = Utc::now() + Duration::hours(2);

    let response = handle(&f.stack.state, f.event(&[task.clone()])).await;

    assert!(response.batch_item_failures.is_empty());
    assert!(f.attempts().await.is_empty());
    // Re-queued with SQS's longest delay (15 min): not visible now.
    assert!(f.stack.drain_queue("RetriesQueue").await.is_empty());
    assert!(f.stack.drain_queue("DeliveriesQueue").await.is_empty());
}

#[tokio::test]
async fn the_fixture_event_parses_as_a_delivery_task() {
    let event = faultline_testkit::load_event("dispatch/delivery-task.json");
    let body = event["Records"][0]["body"].as_str().expect("body");
    let task: DeliveryTask = serde_json::from_str(body).expect("a delivery task");
    assert_eq!(task.attempt, 1);
}

#[tokio::test]
async fn a_batch_reads_once_and_updates_each_messages_status_sets_once_per_status() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let (ok, failing) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&ok)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&failing)
        .await;
    let mut endpoints = Vec::new();
    for url in [ok.uri(), ok.uri(), failing.uri()] {
        endpoints.push(stack.endpoint(&tenant, &url, vec![], true).await.0);
    }
    let event = DomainEvent::new(
        tenant.clone(),
        EventType::IncidentCreated,
        json!({}),
        Utc::now(),
    );
    faultline::services::fanout::fan_out(&stack.harness, &event)
        .await
        .expect("fan out");
    let message_id = Message::for_event(&event, Utc::now()).id;
    let tasks: Vec<String> = endpoints
        .iter()
        .map(|e| {
            serde_json::to_string(&DeliveryTask {
                tenant_id: tenant.clone(),
                message_id: message_id.clone(),
                endpoint_id: e.id.clone(),
                attempt: 1,
                not_before: Utc::now(),
            })
            .expect("task")
        })
        .collect();

    let calls = CallCount::default();
    let response = handle(
        &stack.function_state_intercepted(&calls),
        sqs_event("dispatch/delivery-task.json", &tasks),
    )
    .await;

    assert!(response.batch_item_failures.is_empty());
    assert_eq!(
        (
            calls.of("DynamoDB.BatchGetItem"),
            calls.of("DynamoDB.GetItem")
        ),
        (1, 0),
        "three endpoints and their message read in one request: {:?}",
        calls.all()
    );
    let message = stack
        .state
        .store
        .get_message(&tenant, &message_id)
        .await
        .expect("read")
        .expect("message");
    let mut succeeded = message.deliveries_succeeded.clone();
    succeeded.sort_by_key(|e| e.to_string());
    let mut expected = vec![endpoints[0].id.clone(), endpoints[1].id.clone()];
    expected.sort_by_key(|e| e.to_string());
    assert_eq!(succeeded, expected);
    assert_eq!(message.deliveries_failed, vec![endpoints[2].id.clone()]);
    assert!(
        message.deliveries_pending.is_empty(),
        "every endpoint left pending"
    );
    assert_eq!(message.status(), Some(DeliveryStatus::Failed));
}

#[tokio::test]
async fn a_claim_stays_out_of_the_endpoints_index_until_its_attempt_is_recorded() {
    let receiver = MockServer::start().await;
    let f = fixture(TestStack::deploy().await, &receiver).await;
    // The harness's store: reading the index is the test's doing, not the function's.
    let store = &f.stack.harness.store;
    let now = f.stack.state.clock.now();
    let mut attempt = faultline::domain::Attempt::in_flight(
        f.message.id.clone(),
        f.endpoint.id.clone(),
        1,
        f.endpoint.url.to_string(),
        now,
    );
    let indexed = || async {
        store
            .endpoint_attempts_since(&f.tenant, &f.endpoint.id, now - Duration::minutes(1))
            .await
            .expect("index read")
            .len()
    };
    let claim = store
        .claim_attempt(&f.tenant, &attempt, now + Duration::seconds(60), now)
        .await
        .expect("claim");
    assert!(matches!(claim, faultline::store::AttemptClaim::Claimed));
    assert_eq!(indexed().await, 0, "a claim is written without index keys");
    attempt.outcome = faultline::domain::AttemptOutcome::Succeeded;
    attempt.status_code = 200;
    let record = faultline::store::DeliveryRecord {
        message_id: f.message.id.clone(),
        endpoint_id: f.endpoint.id.clone(),
        status: DeliveryStatus::Succeeded,
        attempts: 1,
        next_attempt_at: None,
        updated_at: now,
    };
    store
        .record_attempt_result(&f.tenant, &attempt, &record)
        .await
        .expect("recorded");
    assert_eq!(indexed().await, 1, "the recorded attempt is in the index");
}
