use crate::common::*;
use faultline::domain::notification::ticket::dedup_key;
use faultline::domain::notification::{Destination, Target, Throttle};
use faultline::domain::{EventType, TenantId};
use faultline::services::notify::{notify, route_event, NotifyOutcome};
use faultline::AppState;
use faultline_testkit::TestStack;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ROUTING_KEY: &str = "R0123456789ABCDEF0123456789ABCDE";

/// The Events API answering as PagerDuty does to a good event.
async fn events_api() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/enqueue"))
        .respond_with(ResponseTemplate::new(202).set_body_json(
            json!({"status": "success", "message": "Event processed", "dedup_key": "ignored"}),
        ))
        .mount(&server)
        .await;
    server
}

async fn pagerduty(stack: &TestStack, tenant: &TenantId) -> Destination {
    destination_of(stack, tenant, |cipher, context| Target::Pagerduty {
        routing_key: cipher.seal(ROUTING_KEY, context),
        masked: "R012****".into(),
    })
    .await
}

fn with_events_api(stack: &TestStack, server: &MockServer) -> AppState {
    let url = server.uri();
    stack.function_state_with(move |config| config.pagerduty_events_url = url)
}

#[tokio::test]
async fn open_acknowledge_resolve_is_one_dedup_key_triggered_acknowledged_and_resolved() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let server = events_api().await;
    let state = with_events_api(&stack, &server);
    let page = pagerduty(&stack, &tenant).await;
    let opened = incident(&stack, &tenant).await;
    let acknowledged = changed(&opened, acknowledge);
    let resolved = changed(&acknowledged, resolve);
    for (incident, event_type) in [
        (&opened, EventType::IncidentCreated),
        (&acknowledged, EventType::IncidentUpdated),
        (&resolved, EventType::IncidentResolved),
    ] {
        let outcome = notify(
            &state,
            &task(incident, event_type, &page, Throttle::default()),
        )
        .await
        .expect("notified");
        assert_eq!(outcome, NotifyOutcome::Sent);
        next_second(&stack);
    }
    let events = bodies(&server, "/v2/enqueue").await;
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["event_action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(actions, ["trigger", "acknowledge", "resolve"]);
    let key = dedup_key(&opened.id);
    assert!(events.iter().all(|e| e["dedup_key"] == key.as_str()));
    assert!(events.iter().all(|e| e["routing_key"] == ROUTING_KEY));
    let trigger = &events[0];
    assert_eq!(trigger["payload"]["severity"], "critical");
    assert_eq!(
        trigger["payload"]["summary"],
        "[CRITICAL] Checkout API 5xx above 5%"
    );
    assert_eq!(
        trigger["payload"]["custom_details"]["faultline_incident"],
        opened.id.as_str()
    );
    let entry = log_entry(&stack, &opened, &page).await.expect("logged");
    assert_eq!(entry.ticket.expect("the page is remembered").key, key);
}

#[tokio::test]
async fn a_400_is_permanent_with_pagerdutys_errors_and_a_429_is_retried() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/enqueue"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "30"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/enqueue"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": "invalid event", "message": "Event object is invalid",
            "errors": ["'payload.summary' is missing or blank"]})))
        .with_priority(2)
        .mount(&server)
        .await;
    let state = with_events_api(&stack, &server);
    let page = pagerduty(&stack, &tenant).await;
    let opened = incident(&stack, &tenant).await;
    let first = task(
        &opened,
        EventType::IncidentCreated,
        &page,
        Throttle::default(),
    );
    assert_eq!(
        first_then_retry(&state, &stack, first).await,
        (NotifyOutcome::Later, NotifyOutcome::Failed)
    );
    let ledger = ledger(&stack, &tenant).await;
    assert_eq!(ledger[1]["status"], "retrying");
    assert!(ledger[1]["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("next attempt in 30 s"));
    assert_eq!(ledger[0]["status"], "failed");
    assert_eq!(ledger[0]["status_code"], 400);
    assert!(ledger[0]["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("'payload.summary' is missing or blank"));
}

/// A stack whose PagerDuty destination was paged about an open incident.
struct Triggered {
    stack: TestStack,
    server: MockServer,
    state: AppState,
    page: Destination,
    opened: faultline::domain::Incident,
}

async fn triggered() -> Triggered {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let server = events_api().await;
    let state = with_events_api(&stack, &server);
    let page = pagerduty(&stack, &tenant).await;
    let opened = incident(&stack, &tenant).await;
    let first = task(
        &opened,
        EventType::IncidentCreated,
        &page,
        Throttle::default(),
    );
    notify(&state, &first).await.expect("triggered");
    Triggered {
        stack,
        server,
        state,
        page,
        opened,
    }
}

#[tokio::test]
async fn a_resolve_reaches_the_page_even_when_no_rule_routes_resolves_there() {
    let Triggered {
        stack,
        server,
        state,
        page,
        opened,
    } = triggered().await;
    // No rule at all routes anything now; the resolve still goes to the page that is open.
    let resolved = changed(&opened, resolve);
    let event = task(
        &resolved,
        EventType::IncidentResolved,
        &page,
        Throttle::default(),
    )
    .event;
    let tasks = route_event(&state, &event).await.expect("routed");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].destination_id, page.id);
    assert_eq!(tasks[0].rule_id, None);
    next_second(&stack);
    assert_eq!(
        notify(&state, &tasks[0]).await.expect("resolved"),
        NotifyOutcome::Sent
    );
    let actions: Vec<String> = bodies(&server, "/v2/enqueue")
        .await
        .iter()
        .map(|e| e["event_action"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(actions, ["trigger", "resolve"]);
}

#[tokio::test]
async fn a_change_that_came_from_pagerduty_is_not_sent_back() {
    let Triggered {
        stack,
        server,
        state,
        page,
        opened,
    } = triggered().await;
    next_second(&stack);
    let resolved = changed(&opened, resolve);
    let mut echo = task(
        &resolved,
        EventType::IncidentResolved,
        &page,
        Throttle::default(),
    );
    echo.event.origin = Some(page.id.clone());
    let outcome = notify(&state, &echo).await.expect("handled");
    assert!(
        matches!(outcome, NotifyOutcome::Held(ref r) if r.contains("came from this destination"))
    );
    assert_eq!(
        bodies(&server, "/v2/enqueue").await.len(),
        1,
        "only the trigger"
    );
    let entry = log_entry(&stack, &opened, &page).await.expect("logged");
    assert_eq!(entry.status, faultline::domain::IncidentStatus::Resolved);
    // A later resolve event (a redelivery) has nothing left to do either.
    next_second(&stack);
    let again = task(
        &resolved,
        EventType::IncidentResolved,
        &page,
        Throttle::default(),
    );
    assert!(matches!(
        notify(&state, &again).await.expect("handled"),
        NotifyOutcome::Held(_)
    ));
    assert_eq!(bodies(&server, "/v2/enqueue").await.len(), 1);
}
