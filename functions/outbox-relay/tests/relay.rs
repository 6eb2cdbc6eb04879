//! The outbox relay: an event whose publish failed after its incident was written is published by
//! the next scheduled run, so an accepted change never loses its event.

use faultline::clock::Clock;
use faultline::domain::{Integration, IntegrationId, Source};
use faultline::services::ingest::ingest_signal;
use faultline::sources::generic::parse_generic_alert;
use faultline_outbox_relay::handle;
use faultline_testkit::{load_event, TestStack};
use serde_json::json;

#[tokio::test]
async fn events_left_in_the_outbox_are_published_by_the_next_run() {
    let clock = Clock::fixed(chrono::Utc::now());
    let stack = TestStack::deploy_with("1", clock.clone()).await;
    let (tenant, _) = stack.tenant().await;
    let integration = Integration {
        id: IntegrationId::generate(),
        tenant_id: tenant.clone(),
        source: Source::Generic,
        name: "x".into(),
        project_id: None,
        config: Default::default(),
        secret: None,
        unsigned: true,
        created_at: clock.now(),
    };

    // SQS is unreachable for this writer: the incident is written, its event stays parked.
    let mut broken = stack.harness.clone();
    broken.events = faultline::queue::EventPublisher::new(
        stack.clients.sqs.clone(),
        "http://127.0.0.1:1/123456789012/no-such-queue",
    );
    let Ok(serde_json::Value::Object(body)) = serde_json::from_value(json!({"title": "Parked"}))
    else {
        unreachable!()
    };
    let signal = parse_generic_alert(body, clock.now()).expect("valid");
    ingest_signal(&broken, &integration, &signal)
        .await
        .expect("accepted despite SQS");
    assert!(stack.drain_queue("EventsQueue").await.is_empty());

    // Within the grace period the writer may still be publishing: the relay leaves it.
    let early = handle(&stack.state, load_event("outbox-relay/every-minute.json"))
        .await
        .expect("runs");
    assert_eq!(early["found"], 0);

    clock.advance(chrono::Duration::minutes(1));
    let report = handle(&stack.state, load_event("outbox-relay/every-minute.json"))
        .await
        .expect("runs");
    // The incident's lifecycle event and the alert-stream event.
    assert_eq!(
        report,
        json!({"found": 2, "published": 2, "audit_found": 0, "audit_appended": 0, "refusals_folded": 0})
    );
    let mut types: Vec<String> = stack
        .drain_queue("EventsQueue")
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    types.sort();
    assert_eq!(types, vec!["alert.triggered", "incident.created"]);

    let again = handle(&stack.state, load_event("outbox-relay/every-minute.json"))
        .await
        .expect("runs");
    assert_eq!(again["found"], 0, "published events leave the outbox");
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
