//! How dispatch treats what receivers answer: 410 disables the endpoint, throttling backs off at
//! least a minute and honours Retry-After within limits, redirects are not followed, timeouts are
//! throttling, long failing streaks disable, and every transition is an operational event.

use chrono::Utc;
use faultline::clock::Clock;
use faultline::domain::{DeliveryTask, DomainEvent, Endpoint, EventType, Message, TenantId};
use faultline::store::PageRequest;
use faultline::AppState;
use faultline_dispatch::handle;
use faultline_testkit::{sqs_event, TestStack};
use serde_json::{json, Value};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Case {
    stack: TestStack,
    tenant: TenantId,
    endpoint: Endpoint,
    message: Message,
}

async fn case(schedule: &str, receiver: &MockServer) -> Case {
    let stack = TestStack::deploy_with(schedule, Clock::system()).await;
    let (tenant, _) = stack.tenant().await;
    let (endpoint, _) = stack
        .endpoint(&tenant, &format!("{}/hook", receiver.uri()), vec![], true)
        .await;
    let event = DomainEvent::new(
        tenant.clone(),
        EventType::IncidentCreated,
        json!({"id": "inc_1"}),
        Utc::now(),
    );
    let message = Message::for_event(&event, Utc::now());
    stack
        .state
        .store
        .put_message_once(&message, &[])
        .await
        .expect("message");
    Case {
        stack,
        tenant,
        endpoint,
        message,
    }
}

impl Case {
    async fn attempt(&self, state: &AppState, n: u32) -> faultline::domain::Attempt {
        let task = DeliveryTask {
            tenant_id: self.tenant.clone(),
            message_id: self.message.id.clone(),
            endpoint_id: self.endpoint.id.clone(),
            attempt: n,
            not_before: Utc::now(),
        };
        let response = handle(
            state,
            sqs_event(
                "dispatch/delivery-task.json",
                &[serde_json::to_string(&task).expect("task")],
            ),
        )
        .await;
        assert!(response.batch_item_failures.is_empty());
        let attempts = state
            .store
            .list_attempts(&self.tenant, &self.message.id, &PageRequest::default())
            .await
            .expect("attempts")
            .items;
        attempts
            .into_iter()
            .find(|a| a.attempt == n)
            .expect("attempt recorded")
    }

    async fn endpoint_now(&self) -> Endpoint {
        self.stack
            .state
            .store
            .get_endpoint(&self.tenant, &self.endpoint.id)
            .await
            .expect("read")
            .expect("endpoint")
    }

    async fn events(&self) -> Vec<Value> {
        self.stack.published_events().await
    }
}

fn seconds_until(at: Option<chrono::DateTime<Utc>>) -> i64 {
    at.map(|at| (at - Utc::now()).num_seconds()).unwrap_or(-1)
}

#[tokio::test]
async fn gone_disables_the_endpoint_without_retrying_and_says_so() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(410))
        .mount(&receiver)
        .await;
    let c = case("5,300", &receiver).await;

    let attempt = c.attempt(&c.stack.state, 1).await;

    assert_eq!((attempt.status_code, attempt.next_attempt_at), (410, None));
    let endpoint = c.endpoint_now().await;
    assert!(!endpoint.enabled);
    assert_eq!(
        endpoint.disabled_reason.as_deref(),
        Some("the endpoint answered 410 Gone")
    );
    let types: Vec<Value> = c.events().await.iter().map(|e| e["type"].clone()).collect();
    assert!(types.contains(&json!("endpoint.disabled")), "{types:?}");
    assert!(
        types.contains(&json!("message.attempt.exhausted")),
        "{types:?}"
    );
    assert!(
        c.stack.drain_queue("RetriesQueue").await.is_empty(),
        "no retry"
    );
}

#[tokio::test]
async fn throttling_backs_off_a_minute_at_least_and_honours_retry_after_up_to_twice_the_schedule() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "150"))
        .up_to_n_times(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "100000"))
        .up_to_n_times(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&receiver)
        .await;
    let c = case("100,100,5", &receiver).await;
    let state = {
        let mut state = c.stack.state.clone();
        state.config.retry_schedule =
            faultline::domain::RetrySchedule::from_secs(&[100, 100, 5]).without_jitter();
        state
    };

    let honoured = c.attempt(&state, 1).await;
    let clamped = c.attempt(&state, 2).await;
    let floor = c.attempt(&state, 3).await;

    assert!(
        (148..=150).contains(&seconds_until(honoured.next_attempt_at)),
        "{:?}",
        honoured.next_attempt_at
    );
    assert!(
        (198..=200).contains(&seconds_until(clamped.next_attempt_at)),
        "clamped to 2 × 100 s"
    );
    assert!(
        (58..=60).contains(&seconds_until(floor.next_attempt_at)),
        "5 s scheduled, but at least 60 s"
    );
    assert_eq!(honoured.error_kind.as_deref(), Some("status"));
}

#[tokio::test]
async fn redirects_are_failures_and_are_not_followed() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(
            ResponseTemplate::new(301)
                .insert_header("location", "http://169.254.169.254/latest/meta-data"),
        )
        .mount(&receiver)
        .await;
    let c = case("5", &receiver).await;

    let attempt = c.attempt(&c.stack.state, 1).await;

    assert_eq!(
        (attempt.status_code, attempt.error_kind.as_deref()),
        (301, Some("redirect"))
    );
    assert!(attempt
        .error
        .as_deref()
        .unwrap_or_default()
        .contains("not followed"));
    assert_eq!(
        receiver.received_requests().await.expect("recorded").len(),
        1
    );
}

#[tokio::test]
async fn a_hanging_receiver_times_out_and_is_treated_as_throttling() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(20)))
        .mount(&receiver)
        .await;
    let c = case("5", &receiver).await;
    // The production timeout is 15 s; the behaviour is the same with a short one.
    let state =
        c.stack
            .state
            .clone()
            .with_sender(faultline::sinks::webhook::WebhookSender::with_timeout(
                c.stack.state.config.url_policy(),
                Duration::from_millis(300),
            ));

    let attempt = c.attempt(&state, 1).await;

    assert_eq!(
        (attempt.status_code, attempt.error_kind.as_deref()),
        (0, Some("timeout"))
    );
    assert!((58..=60).contains(&seconds_until(attempt.next_attempt_at)));
}

#[tokio::test]
async fn failing_streaks_are_reported_disable_after_the_period_and_recovery_is_announced() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(4)
        .with_priority(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&receiver)
        .await;
    let c = case("1,1,1,1,1,1", &receiver).await;

    for n in 1..=4 {
        c.attempt(&c.stack.state, n).await;
    }
    let types: Vec<Value> = c.events().await.iter().map(|e| e["type"].clone()).collect();
    assert_eq!(
        types,
        vec![json!("message.attempt.failing")],
        "once, after the fourth failure"
    );
    assert!(c.endpoint_now().await.failing_since.is_some());

    c.attempt(&c.stack.state, 5).await;
    let types: Vec<Value> = c.events().await.iter().map(|e| e["type"].clone()).collect();
    assert_eq!(types, vec![json!("endpoint.recovered")]);
    assert!(c.endpoint_now().await.failing_since.is_none());
}

#[tokio::test]
async fn an_endpoint_failing_for_longer_than_the_period_is_disabled_once() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&receiver)
        .await;
    let c = case("1,1,1", &receiver).await;
    let mut state = c.stack.state.clone();
    state.config.disable_failing_after = chrono::Duration::zero();

    c.attempt(&state, 1).await;
    // A later task for the now-disabled endpoint sends nothing and reports nothing new.
    let task = DeliveryTask {
        tenant_id: c.tenant.clone(),
        message_id: c.message.id.clone(),
        endpoint_id: c.endpoint.id.clone(),
        attempt: 2,
        not_before: Utc::now(),
    };
    handle(
        &state,
        sqs_event(
            "dispatch/delivery-task.json",
            &[serde_json::to_string(&task).expect("task")],
        ),
    )
    .await;
    assert_eq!(
        receiver.received_requests().await.expect("recorded").len(),
        1
    );

    let endpoint = c.endpoint_now().await;
    assert!(!endpoint.enabled);
    assert!(endpoint
        .disabled_reason
        .as_deref()
        .unwrap_or_default()
        .starts_with("every delivery failed since"));
    let disabled = c
        .events()
        .await
        .iter()
        .filter(|e| e["type"] == "endpoint.disabled")
        .count();
    assert_eq!(disabled, 1);
}

#[tokio::test]
async fn the_client_refuses_a_name_resolving_to_loopback_when_local_mode_is_off() {
    use faultline::domain::UrlPolicy;
    use faultline::signing::WebhookSecret;
    use faultline::sinks::webhook::{OutgoingWebhook, WebhookSender};
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    // The name passes no URL check here: the refusal comes from resolution at connection time.
    let url = format!("http://localhost:{}/hook", receiver.address().port());
    let secret = WebhookSecret::generate();
    let no_headers = std::collections::BTreeMap::new();
    let webhook = || OutgoingWebhook {
        url: &url,
        msg_id: "msg_1",
        timestamp: Utc::now().timestamp(),
        body: "{}",
        headers: &no_headers,
        secrets: std::slice::from_ref(&secret),
    };

    let refused = WebhookSender::new(UrlPolicy::default())
        .send(webhook())
        .await;
    assert_eq!(refused.status_code, 0);
    assert!(
        matches!(&refused.failure, Some(faultline::domain::Failure::Refused(reason)) if reason.contains("loopback")),
        "the resolver's typed refusal crosses the HTTP client: {refused:?}"
    );
    assert!(receiver
        .received_requests()
        .await
        .expect("recorded")
        .is_empty());

    let local = WebhookSender::new(UrlPolicy {
        local_mode: true,
        allowed_subnets: vec![],
    })
    .send(webhook())
    .await;
    assert_eq!(local.status_code, 200, "{local:?}");
}

#[tokio::test]
async fn custom_headers_arrive_beside_the_signature_headers() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(wiremock::matchers::header("x-team", "payments"))
        .and(wiremock::matchers::header(
            "authorization",
            "Bearer receiver-token-0123456789",
        ))
        .and(wiremock::matchers::header_exists("webhook-signature"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&receiver)
        .await;
    let mut c = case("5", &receiver).await;
    // A sealed value, and a plain one stored before values were sealed: both go out in clear.
    let cipher = c.stack.state.cipher().await.expect("data key");
    c.endpoint.set_headers(
        [(
            "authorization".to_owned(),
            "Bearer receiver-token-0123456789".to_owned(),
        )]
        .into(),
        &cipher,
    );
    c.endpoint.headers.insert(
        "x-team".into(),
        faultline::domain::endpoint::CustomHeader::Plain("payments".into()),
    );
    c.stack
        .state
        .store
        .update_endpoint(&c.endpoint)
        .await
        .expect("updated");

    let attempt = c.attempt(&c.stack.state, 1).await;

    assert_eq!(attempt.status_code, 200, "{attempt:?}");
}

#[tokio::test]
async fn a_rate_limited_endpoint_gets_its_limit_per_second_and_the_excess_is_deferred_not_dropped()
{
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let mut c = case("5", &receiver).await;
    c.endpoint.rate_limit = Some(2);
    c.stack
        .state
        .store
        .update_endpoint(&c.endpoint)
        .await
        .expect("updated");
    let mut bodies = Vec::new();
    for _ in 0..5 {
        let event = DomainEvent::new(
            c.tenant.clone(),
            EventType::IncidentCreated,
            json!({}),
            Utc::now(),
        );
        let message = Message::for_event(&event, Utc::now());
        c.stack
            .state
            .store
            .put_message_once(&message, &[])
            .await
            .expect("message");
        bodies.push(
            serde_json::to_string(&DeliveryTask {
                tenant_id: c.tenant.clone(),
                message_id: message.id,
                endpoint_id: c.endpoint.id.clone(),
                attempt: 1,
                not_before: Utc::now(),
            })
            .expect("task"),
        );
    }

    let response = handle(
        &c.stack.state,
        sqs_event("dispatch/delivery-task.json", &bodies),
    )
    .await;

    assert!(response.batch_item_failures.is_empty());
    let sent = receiver.received_requests().await.expect("recorded").len();
    // The batch may straddle a second boundary, giving a second second's allowance.
    assert!((2..=4).contains(&sent), "{sent} sent");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let deferred = c.stack.drain_queue("DeliveriesQueue").await;
    assert_eq!(
        sent + deferred.len(),
        5,
        "every message is either sent or waiting"
    );
    assert!(
        deferred.iter().all(|t| t["attempt"] == 1),
        "deferral does not use up an attempt"
    );
}
