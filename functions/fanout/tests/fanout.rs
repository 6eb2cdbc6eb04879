//! The fanout handler, fed the sample event in events/fanout/, against a stack on the emulator.

use faultline::domain::{DomainEvent, Endpoint, EventType, TenantId};
use faultline::store::PageRequest;
use faultline_fanout::handle;
use faultline_testkit::{load_event, sqs_event, TestStack};
use serde_json::Value;

async fn endpoint(
    stack: &TestStack,
    tenant: &TenantId,
    types: Vec<EventType>,
    enabled: bool,
) -> Endpoint {
    stack
        .endpoint(tenant, "https://hooks.example.com/x", types, enabled)
        .await
        .0
}

/// The sample event's domain event, moved into `tenant`.
fn sample_event(tenant: &TenantId) -> String {
    let sample = load_event("fanout/domain-event.json");
    let mut event: Value =
        serde_json::from_str(sample["Records"][0]["body"].as_str().expect("body")).expect("event");
    event["tenant_id"] = Value::String(tenant.to_string());
    event["id"] = Value::String(faultline::domain::EventId::generate().to_string());
    event.to_string()
}

#[tokio::test]
async fn one_task_per_enabled_subscribed_endpoint_and_the_message_stored_once() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let all = endpoint(&stack, &tenant, vec![], true).await;
    let created_only = endpoint(&stack, &tenant, vec![EventType::IncidentCreated], true).await;
    endpoint(&stack, &tenant, vec![EventType::IncidentResolved], true).await;
    endpoint(&stack, &tenant, vec![], false).await;
    let (other_tenant, _) = stack.tenant().await;
    endpoint(&stack, &other_tenant, vec![], true).await;
    let body = sample_event(&tenant);

    let response = handle(
        &stack.state,
        sqs_event("fanout/domain-event.json", std::slice::from_ref(&body)),
    )
    .await;
    // SQS may deliver the same event twice.
    handle(&stack.state, sqs_event("fanout/domain-event.json", &[body])).await;

    assert!(response.batch_item_failures.is_empty());
    let tasks = stack.drain_queue("DeliveriesQueue").await;
    let mut targets: Vec<String> = tasks
        .iter()
        .map(|t| t["endpoint_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    targets.sort();
    targets.dedup();
    let mut expected = vec![all.id.to_string(), created_only.id.to_string()];
    expected.sort();
    assert_eq!(targets, expected);
    assert!(tasks.iter().all(|t| t["attempt"] == 1));
    let messages = stack
        .state
        .store
        .list_messages(&tenant, &PageRequest::default())
        .await
        .expect("messages");
    assert_eq!(messages.items.len(), 1, "the message is stored once");
    let payload: Value = serde_json::from_str(&messages.items[0].body).expect("body");
    assert_eq!(payload["type"], "incident.created");
    assert!(
        payload.get("tenant_id").is_none(),
        "tenant ids stay internal"
    );
}

#[tokio::test]
async fn only_the_malformed_record_is_reported() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    endpoint(&stack, &tenant, vec![], true).await;

    let event = sqs_event(
        "fanout/domain-event.json",
        &["garbage".into(), sample_event(&tenant)],
    );
    let response = handle(&stack.state, event).await;

    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, vec!["m0"]);
    assert_eq!(stack.drain_queue("DeliveriesQueue").await.len(), 1);
}

#[tokio::test]
async fn an_event_nobody_subscribes_to_stores_nothing() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let event: DomainEvent = serde_json::from_str(&sample_event(&tenant)).expect("event");
    let response = handle(
        &stack.state,
        sqs_event(
            "fanout/domain-event.json",
            &[serde_json::to_string(&event).expect("json")],
        ),
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
    assert!(stack.drain_queue("DeliveriesQueue").await.is_empty());
    let messages = stack
        .state
        .store
        .list_messages(&tenant, &PageRequest::default())
        .await
        .expect("messages");
    assert!(messages.items.is_empty());
}

#[tokio::test]
async fn a_body_over_the_inline_limit_is_written_to_the_bucket_not_the_table() {
    use faultline::services::messages::{body_key, INLINE_BODY_LIMIT};
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    endpoint(&stack, &tenant, vec![], true).await;
    let mut event: Value = serde_json::from_str(&sample_event(&tenant)).expect("event");
    event["data"]["description"] = Value::String("x".repeat(INLINE_BODY_LIMIT + 1024));
    let body = event.to_string();

    let response = handle(&stack.state, sqs_event("fanout/domain-event.json", &[body])).await;

    assert!(response.batch_item_failures.is_empty());
    let messages = stack
        .state
        .store
        .list_messages(&tenant, &PageRequest::default())
        .await
        .expect("messages");
    let item = &messages.items[0];
    assert_eq!(item.body, "", "the table item holds no large body");
    let key = item.body_ref.clone().expect("a body in the bucket");
    let object = stack
        .clients
        .s3
        .get_object()
        .bucket(&stack.state.config.archive_bucket)
        .key(&key)
        .send()
        .await
        .expect("body object");
    let stored = object.body.collect().await.expect("bytes").into_bytes();
    let payload: Value = serde_json::from_slice(&stored).expect("JSON body");
    assert_eq!(payload["type"], "incident.created");
    assert_eq!(key, body_key(item));
    assert_eq!(stack.drain_queue("DeliveriesQueue").await.len(), 1);
}

/// A stored email destination of `tenant` (nothing is sent here: fanout only routes).
async fn destination(stack: &TestStack, tenant: &TenantId) -> faultline::domain::DestinationId {
    use faultline::domain::notification::{Destination, Target};
    let now = stack.harness.clock.now();
    let destination = Destination {
        id: faultline::domain::DestinationId::generate(),
        tenant_id: tenant.clone(),
        name: "mail".into(),
        target: Target::Email {
            to: vec!["oncall@example.com".into()],
        },
        enabled: true,
        created_at: now,
        updated_at: now,
    };
    stack
        .harness
        .store
        .create_destination(&destination)
        .await
        .expect("destination stored");
    destination.id
}

#[tokio::test]
async fn incident_events_become_one_notification_task_per_routed_destination() {
    use faultline::domain::notification::{Matchers, NotificationRule, Throttle};
    use faultline::domain::{NotificationRuleId, Severity};
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let db_team = destination(&stack, &tenant).await;
    let critical_only = destination(&stack, &tenant).await;
    let everything_else = destination(&stack, &tenant).await;
    let now = stack.harness.clock.now();
    let rule = |position, matchers, destination: &faultline::domain::DestinationId, fallback| {
        NotificationRule {
            id: NotificationRuleId::generate(),
            tenant_id: tenant.clone(),
            name: format!("rule {position}"),
            position,
            enabled: true,
            matchers,
            destinations: vec![destination.clone()],
            continue_matching: true,
            fallback,
            throttle: Throttle {
                once_until_resolved: true,
                repeat_interval_minutes: None,
            },
            created_at: now,
            updated_at: now,
        }
    };
    for r in [
        rule(
            10,
            Matchers {
                services: vec!["db".into()],
                ..Matchers::default()
            },
            &db_team,
            false,
        ),
        rule(
            20,
            Matchers {
                min_severity: Some(Severity::Critical),
                ..Matchers::default()
            },
            &critical_only,
            false,
        ),
        rule(30, Matchers::default(), &everything_else, true),
    ] {
        stack
            .harness
            .store
            .create_notification_rule(&r)
            .await
            .expect("rule stored");
    }
    // The sample: a high-severity incident of service `db`.
    let body = sample_event(&tenant);

    let response = handle(&stack.state, sqs_event("fanout/domain-event.json", &[body])).await;

    assert!(response.batch_item_failures.is_empty());
    let tasks = stack.drain_queue("NotifyQueue").await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["destination_id"], db_team.as_str());
    assert_eq!(tasks[0]["tenant_id"], tenant.as_str());
    assert_eq!(tasks[0]["attempt"], 1);
    assert_eq!(
        tasks[0]["throttle"]["once_until_resolved"], true,
        "the rule's throttle travels"
    );
    assert_eq!(tasks[0]["event"]["data"]["service"], "db");
}

#[tokio::test]
async fn a_deadlock_detected_event_is_recorded_in_its_group() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let incident = faultline::domain::IncidentId::generate();
    let report = "ERROR:  deadlock detected\nDETAIL:  Process 1 waits for ShareLock on transaction 8; \
                  blocked by process 2.\nProcess 2 waits for ShareLock on transaction 7; blocked by \
                  process 1.\nCONTEXT:  while updating tuple (0,1) in relation \"ledger\"";
    let Some(faultline::deadlocks::Finding::Parsed(deadlock)) = faultline::deadlocks::find(report)
    else {
        panic!("the report parses")
    };
    let event = DomainEvent::new(
        tenant.clone(),
        EventType::DeadlockDetected,
        serde_json::json!({
            "incident_id": incident, "group_id": format!("dl_{}", deadlock.signature()),
            "engine": "postgres", "parsed": true, "summary": deadlock.summary(),
            "relations": deadlock.relations, "modes": deadlock.modes, "deadlock": deadlock,
            "text": report,
        }),
        chrono::Utc::now(),
    );
    let body = serde_json::to_string(&event).expect("json");
    // Handed over twice, recorded once.
    for _ in 0..2 {
        let response = handle(
            &stack.state,
            sqs_event("fanout/domain-event.json", std::slice::from_ref(&body)),
        )
        .await;
        assert!(response.batch_item_failures.is_empty());
    }
    let groups = stack
        .harness
        .store
        .deadlock_groups(&tenant)
        .await
        .expect("groups");
    assert_eq!(groups.len(), 1);
    assert_eq!(
        groups[0].count, 1,
        "a redelivered event is the same occurrence"
    );
    assert_eq!(groups[0].relations, ["ledger"]);
    assert_eq!(groups[0].last_incident_id.as_ref(), Some(&incident));
}
