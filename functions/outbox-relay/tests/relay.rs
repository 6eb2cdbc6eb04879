//! The outbox relay: the table's stream hands it every event parked with a change, and it
//! publishes them; a publish that fails is reported for the stream to hand over again, so an
//! accepted change never loses its event. Its schedule joins parked audit entries to their chains.

use faultline::clock::Clock;
use faultline::domain::{Integration, IntegrationId, Source, TenantId};
use faultline::services::ingest::ingest_signal;
use faultline::sources::generic::parse_generic_alert;
use faultline_emulator::streams::TableStream;
use faultline_outbox_relay::handle;
use faultline_testkit::{load_event, TestStack};
use serde_json::json;

fn integration(tenant: &TenantId, clock: &Clock) -> Integration {
    Integration {
        id: IntegrationId::generate(),
        tenant_id: tenant.clone(),
        source: Source::Generic,
        name: "x".into(),
        project_id: None,
        config: Default::default(),
        secret: None,
        unsigned: true,
        created_at: clock.now(),
    }
}

/// A stack with one tenant whose new alert `title` parked its events.
async fn stack_with_an_alert(title: &str) -> TestStack {
    let clock = Clock::fixed(chrono::Utc::now());
    let stack = TestStack::deploy_with("1", clock.clone()).await;
    let (tenant, _) = stack.tenant().await;
    alert(&stack, &integration(&tenant, &clock), title).await;
    stack
}

async fn alert(stack: &TestStack, integration: &Integration, title: &str) {
    let Ok(serde_json::Value::Object(body)) = serde_json::from_value(json!({"title": title}))
    else {
        unreachable!()
    };
    let signal = parse_generic_alert(body, stack.state.clock.now()).expect("valid");
    ingest_signal(&stack.harness, integration, &signal)
        .await
        .expect("accepted");
}

/// The table's stream, filtered as the template's event source mapping filters it.
async fn table_stream(stack: &TestStack) -> TableStream {
    let template = faultline_emulator::Template::parse(
        &std::fs::read_to_string(faultline_testkit::workspace_root().join("template.yaml"))
            .expect("template"),
    )
    .expect("parses");
    let filters = template
        .functions
        .iter()
        .flat_map(|f| &f.triggers)
        .find_map(|t| match t {
            faultline_emulator::Trigger::Stream { filters, .. } => Some(filters.clone()),
            _ => None,
        })
        .expect("the relay reads the table's stream");
    TableStream::of_table(
        faultline_emulator::shared_emulator(),
        &stack.harness.config.table,
        &filters,
    )
    .await
    .expect("stream")
}

fn event_types(events: &[serde_json::Value]) -> Vec<String> {
    let mut types: Vec<String> = events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    types.sort();
    types
}

#[tokio::test]
async fn events_parked_with_a_change_are_published_from_the_tables_stream() {
    let stack = stack_with_an_alert("Parked").await;
    assert!(
        stack.drain_queue("EventsQueue").await.is_empty(),
        "the writer publishes nothing itself"
    );

    let mut stream = table_stream(&stack).await;
    let batch = stream
        .next_batch(100)
        .await
        .expect("read")
        .expect("records");
    assert_eq!(
        batch.sequence_numbers.len(),
        1,
        "the filter keeps the item parking the change's two events, not the incident, guard, \
         timeline or delivery items"
    );
    let response = handle(&stack.state, batch.event.clone())
        .await
        .expect("runs");

    assert_eq!(response, json!({"batchItemFailures": []}));
    assert_eq!(
        event_types(&stack.drain_queue("EventsQueue").await),
        vec!["alert.triggered", "incident.created"]
    );
    stream.settle(&batch, &[]);
    assert!(
        stream.next_batch(100).await.expect("read").is_none(),
        "read once"
    );
}

#[tokio::test]
async fn a_publish_that_fails_is_reported_and_the_stream_hands_it_over_again() {
    let stack = stack_with_an_alert("Unlucky").await;
    let mut stream = table_stream(&stack).await;
    let batch = stream
        .next_batch(100)
        .await
        .expect("read")
        .expect("records");

    // SQS is unreachable for this invocation.
    let mut broken = stack.state.clone();
    broken.events = faultline::queue::EventPublisher::new(
        stack.clients.sqs.clone(),
        "http://127.0.0.1:1/123456789012/no-such-queue",
    );
    let response = handle(&broken, batch.event.clone()).await.expect("runs");
    let failed: Vec<String> = response["batchItemFailures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| f["itemIdentifier"].as_str().expect("sequence").to_owned())
        .collect();
    assert_eq!(failed, batch.sequence_numbers, "every record reported");
    stream.settle(&batch, &failed);

    let again = stream
        .next_batch(100)
        .await
        .expect("read")
        .expect("handed over again");
    assert_eq!(again.sequence_numbers, batch.sequence_numbers);
    let response = handle(&stack.state, again.event).await.expect("runs");
    assert_eq!(response, json!({"batchItemFailures": []}));
    assert_eq!(
        event_types(&stack.drain_queue("EventsQueue").await),
        vec!["alert.triggered", "incident.created"]
    );
}

/// The sample batch in `events/` (what `sam local invoke` hands the function) is published.
#[tokio::test]
async fn the_sample_stream_batch_is_published() {
    let stack = TestStack::deploy().await;
    let response = handle(&stack.state, load_event("outbox-relay/stream-batch.json"))
        .await
        .expect("runs");
    assert_eq!(response, json!({"batchItemFailures": []}));
    let published = stack.drain_queue("EventsQueue").await;
    assert_eq!(published.len(), 1);
    assert_eq!(published[0]["id"], "evt_01JDQ0Z8W3K5Q2Y7H9B6N4M1XC");
    assert_eq!(published[0]["type"], "incident.created");
}

#[tokio::test]
async fn records_that_are_not_parked_events_are_passed_over_and_a_broken_one_does_not_block() {
    let stack = TestStack::deploy().await;
    let records = json!({"Records": [
        {"eventID": "1", "eventName": "MODIFY", "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
         "dynamodb": {"Keys": {"pk": {"S": "OUTBOX#1"}, "sk": {"S": "a"}},
                      "NewImage": {"pk": {"S": "OUTBOX#1"}, "sk": {"S": "a"}, "events": {"S": "[]"}},
                      "SequenceNumber": "100", "SizeBytes": 10, "StreamViewType": "NEW_IMAGE"}},
        {"eventID": "2", "eventName": "INSERT", "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
         "dynamodb": {"Keys": {"pk": {"S": "TENANT#t#INCIDENT"}, "sk": {"S": "b"}},
                      "NewImage": {"pk": {"S": "TENANT#t#INCIDENT"}, "sk": {"S": "b"}},
                      "SequenceNumber": "101", "SizeBytes": 10, "StreamViewType": "NEW_IMAGE"}},
        {"eventID": "3", "eventName": "INSERT", "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
         "dynamodb": {"Keys": {"pk": {"S": "OUTBOX#2"}, "sk": {"S": "c"}},
                      "NewImage": {"pk": {"S": "OUTBOX#2"}, "sk": {"S": "c"}, "events": {"S": "not json"}},
                      "SequenceNumber": "102", "SizeBytes": 10, "StreamViewType": "NEW_IMAGE"}}
    ]});

    let response = handle(&stack.state, records).await.expect("runs");

    assert_eq!(
        response,
        json!({"batchItemFailures": []}),
        "nothing to publish, and handing the broken record over again could not help"
    );
    assert!(stack.drain_queue("EventsQueue").await.is_empty());
}

#[tokio::test]
async fn parked_audit_entries_and_counted_refusals_join_their_chains() {
    use faultline::domain::audit::AuditDraft;
    use faultline::store::AuditChain;
    let clock = Clock::fixed(chrono::Utc::now());
    let stack = TestStack::deploy_with("1", clock.clone()).await;
    let (tenant, _) = stack.tenant().await;
    let chain = AuditChain::Tenant(tenant.clone());
    let draft = |action: &str, status: u16| AuditDraft {
        at: clock.now(),
        actor: "key:abcdefabcdef".into(),
        action: action.into(),
        resource_type: "endpoints".into(),
        resource_id: None,
        status,
        diff: json!({}),
        request_id: "req-1".into(),
        source_ip: "203.0.113.9".into(),
        detail: None,
    };
    // An API call's entry whose append failed, and two refused credentials in one minute.
    let store = &stack.harness.store;
    store
        .park_audit(&chain, &draft("POST /v1/endpoints", 201))
        .await
        .expect("parked");
    for _ in 0..2 {
        store
            .count_refusal(&chain, &draft("auth.failed", 401))
            .await
            .expect("counted");
    }

    // Past the grace period in which the request that parked an entry may still settle it.
    clock.advance(chrono::Duration::minutes(3));
    let report = handle(&stack.state, load_event("outbox-relay/every-minute.json"))
        .await
        .expect("runs");

    assert_eq!(
        (&report["audit_appended"], &report["refusals_folded"]),
        (&json!(1), &json!(1)),
        "{report}"
    );
    let (seq, _) = store
        .audit_head_position(&chain)
        .await
        .expect("head")
        .expect("a head");
    assert_eq!(seq, 2, "both joined the tenant's chain");
    let again = handle(&stack.state, load_event("outbox-relay/every-minute.json"))
        .await
        .expect("runs");
    assert_eq!(
        (&again["audit_found"], &again["refusals_folded"]),
        (&json!(0), &json!(0)),
        "appended once, then gone"
    );
}
