//! The PagerDuty handler, fed the real deliveries in tests/fixtures/providers/ with their real
//! signatures, against a stack on the emulator.

use faultline::domain::{Integration, Source, TenantId};
use faultline::signing::hmac_sha256::hmac_sha256;
use faultline::store::PageRequest;
use faultline_testkit::{incompressible, json_of, provider_fixture, HttpEvent, TestStack};
use faultline_webhook_pagerduty::handle;
use serde_json::{json, Value};

/// The secret of the captured deliveries (Aldaviva/PagerDuty tests).
const SECRET: &str = "HvPtlQNKMPpHSSqJpCdndXfo7HnGXa1pnH6w5axpxLFn9aRBNBGh4e8/HlonK5mz";

fn sign(body: &[u8]) -> String {
    format!("v1={}", hex::encode(hmac_sha256(SECRET.as_bytes(), body)))
}

fn delivery(
    integration: &Integration,
    body: &[u8],
    signature: &str,
    webhook_id: &str,
) -> HttpEvent {
    HttpEvent::load("webhook-pagerduty/receive.json")
        .path_param("integration_id", integration.id.as_str())
        .body_bytes(body)
        .header("x-pagerduty-signature", signature)
        .header("x-webhook-id", webhook_id)
}

async fn setup() -> (TestStack, TenantId, Integration) {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let integration = stack
        .integration(&tenant, Source::Pagerduty, Some(SECRET), Value::Null)
        .await;
    (stack, tenant, integration)
}

#[tokio::test]
async fn the_sample_event_with_its_real_signature_is_accepted() {
    let (stack, tenant, integration) = setup().await;
    let event = HttpEvent::load("webhook-pagerduty/receive.json")
        .path_param("integration_id", integration.id.as_str());
    let (status, body) = json_of(&handle(&stack.state, event.request()).await);
    assert_eq!(
        (status, body["change"].as_str()),
        (202, Some("created")),
        "{body}"
    );
    assert_eq!(stack.incidents(&tenant).await.len(), 1);
}

#[tokio::test]
async fn triggered_then_resolved_is_one_incident_keyed_by_the_pagerduty_id() {
    let (stack, tenant, integration) = setup().await;
    let triggered = provider_fixture("pagerduty_incident_triggered.json");
    let resolved = provider_fixture("pagerduty_incident_resolved.json");

    let (status, first) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, &triggered, &sign(&triggered), "w1").request(),
        )
        .await,
    );
    assert_eq!(
        (status, first["change"].as_str()),
        (202, Some("created")),
        "{first}"
    );
    let (status, second) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, &resolved, &sign(&resolved), "w2").request(),
        )
        .await,
    );
    assert_eq!(
        (status, second["change"].as_str()),
        (202, Some("resolved")),
        "{second}"
    );
    assert_eq!(first["incident_id"], second["incident_id"]);

    let listed = stack.incidents(&tenant).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["upstream_id"], "Q2CKYRLH85UNN4");
    assert_eq!(listed[0]["status"], "resolved");
    assert_eq!(listed[0]["title"], "Test");
    assert_eq!(listed[0]["service"], "Webhook Tester");
    assert_eq!(listed[0]["assignee"], "Ben");
    let mut types: Vec<String> = stack
        .published_events()
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    types.sort();
    assert_eq!(
        types,
        vec![
            "alert.resolved",
            "alert.triggered",
            "incident.created",
            "incident.resolved"
        ]
    );
}

#[tokio::test]
async fn priority_updates_change_priority_without_counting_an_occurrence() {
    let (stack, tenant, integration) = setup().await;
    for (i, file) in [
        "pagerduty_incident_priority_updated_docs.json",
        "pagerduty_incident_priority_updated_gosdk.json",
    ]
    .iter()
    .enumerate()
    {
        let body = provider_fixture(file);
        let (status, result) = json_of(
            &handle(
                &stack.state,
                delivery(&integration, &body, &sign(&body), &format!("p{i}")).request(),
            )
            .await,
        );
        assert_eq!(status, 202, "{file}: {result}");
    }
    let listed = stack.incidents(&tenant).await;
    let with_priority: Vec<&Value> = listed.iter().filter(|i| !i["priority"].is_null()).collect();
    assert!(!with_priority.is_empty(), "{listed:?}");
    assert!(listed.iter().all(|i| i["occurrences"] == 1));
}

#[tokio::test]
async fn acknowledge_reassign_and_annotate_update_the_incident_and_its_timeline() {
    let (stack, tenant, integration) = setup().await;
    let triggered = provider_fixture("pagerduty_incident_triggered.json");
    handle(
        &stack.state,
        delivery(&integration, &triggered, &sign(&triggered), "t").request(),
    )
    .await;
    let mut event: Value = serde_json::from_slice(&triggered).expect("JSON");
    let mut step = |event_type: &str, edit: &dyn Fn(&mut Value)| {
        event["event"]["event_type"] = json!(event_type);
        event["event"]["id"] = json!(format!("evt-{event_type}"));
        edit(&mut event);
        serde_json::to_vec(&event).expect("JSON")
    };
    let ack = step("incident.acknowledged", &|e| {
        e["event"]["data"]["status"] = json!("acknowledged")
    });
    let reassign = step("incident.reassigned", &|e| {
        e["event"]["data"]["assignees"][0]["summary"] = json!("Dad")
    });
    let note = step("incident.annotated", &|e| {
        e["event"]["data"] = json!({"type": "incident_note", "id": "N1", "content": "rolled back 1.4.2", "incident": {"id": "Q2CKYRLH85UNN4", "type": "incident_reference", "summary": "Test"}});
    });
    let mut changes = Vec::new();
    for (i, body) in [ack, reassign, note].iter().enumerate() {
        let (_, result) = json_of(
            &handle(
                &stack.state,
                delivery(&integration, body, &sign(body), &format!("s{i}")).request(),
            )
            .await,
        );
        changes.push(result["change"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(changes, vec!["acknowledged", "assigned", "annotated"]);
    let incident = &stack.incidents(&tenant).await[0];
    assert_eq!(incident["status"], "acknowledged");
    assert_eq!(incident["assignee"], "Dad");
    let id = faultline::domain::IncidentId::parse(incident["id"].as_str().unwrap_or_default())
        .expect("id");
    let timeline = stack
        .state
        .store
        .incident_timeline(&tenant, &id, &PageRequest::default())
        .await
        .expect("timeline");
    let kinds: Vec<&str> = timeline.items.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["opened", "acknowledged", "assigned", "note"]);
    assert!(timeline.items[3].message.contains("rolled back 1.4.2"));
    assert!(timeline
        .items
        .iter()
        .skip(1)
        .all(|e| e.data["merge_reason"] == "same upstream id Q2CKYRLH85UNN4"));
}

#[tokio::test]
async fn ping_is_answered_and_changes_nothing() {
    let (stack, tenant, integration) = setup().await;
    let ping = provider_fixture("pagerduty_ping.json");
    let signature = "v1=0e83584cbab86f98c51517cf96a70c90e910532d3d2f067d58c753cc8980a05b";
    let (status, body) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, &ping, signature, "ping").request(),
        )
        .await,
    );
    assert_eq!((status, body["status"].as_str()), (200, Some("pong")));
    assert!(stack.incidents(&tenant).await.is_empty());
    assert_eq!(stack.received_requests().await, 0);
}

#[tokio::test]
async fn redeliveries_rotation_and_tampering() {
    let (stack, tenant, integration) = setup().await;
    let triggered = provider_fixture("pagerduty_incident_triggered.json");
    let rotated = "v1=07e114c3d7618985c180c846f4bab46225b745a2b0b7c1305a12d461f4c15b97,v1=3e3032b45bbe1801c13f182b0e0a7f4f3f530225cef07e3e90cbc57874d01c49";

    let (first, _) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, &triggered, rotated, "same-id").request(),
        )
        .await,
    );
    let (again, body) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, &triggered, rotated, "same-id").request(),
        )
        .await,
    );
    assert_eq!(
        (first, again, body["status"].as_str()),
        (202, 200, Some("duplicate"))
    );

    let mut tampered = triggered.clone();
    tampered[20] ^= 1;
    let (status, problem) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, &tampered, rotated, "t2").request(),
        )
        .await,
    );
    assert_eq!(status, 401, "{problem}");
    let (status, _) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, &triggered, "", "t3")
                .without_header("x-pagerduty-signature")
                .request(),
        )
        .await,
    );
    assert_eq!(status, 401);
    assert_eq!(stack.incidents(&tenant).await.len(), 1);
    assert_eq!(stack.received_requests().await, 1);
}

#[tokio::test]
async fn a_record_without_a_secret_accepts_nothing() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let unsecured = stack
        .integration(&tenant, Source::Pagerduty, None, Value::Null)
        .await;
    let request = HttpEvent::load("webhook-pagerduty/receive.json")
        .path_param("integration_id", unsecured.id.as_str())
        .request();
    let (status, problem) = json_of(&handle(&stack.state, request).await);
    assert_eq!(status, 401, "{problem}");
    assert!(stack.incidents(&tenant).await.is_empty());
}

/// A delivery too large to keep inline goes to the S3 archive first; when that fails nothing is
/// recorded or remembered, and the provider's retry is processed.
#[tokio::test]
async fn a_large_delivery_whose_archive_write_fails_is_processed_on_the_retry() {
    let (stack, tenant, integration) = setup().await;
    let mut payload: Value =
        serde_json::from_slice(&provider_fixture("pagerduty_incident_triggered.json"))
            .expect("fixture json");
    payload["padding"] = json!(incompressible(16 * 1024));
    let body = serde_json::to_vec(&payload).expect("json");
    let broken =
        stack.function_state_with(|c| c.archive_bucket = "faultline-no-such-bucket".into());

    let request = || delivery(&integration, &body, &sign(&body), "large-1").request();
    let (status, failed) = json_of(&handle(&broken, request()).await);
    assert!(status >= 500, "the archive write fails: {status} {failed}");
    assert_eq!(stack.received_requests().await, 0, "nothing recorded");
    let (status, retried) = json_of(&handle(&stack.state, request()).await);

    assert_eq!(
        (status, retried["change"].as_str()),
        (202, Some("created")),
        "{retried}"
    );
    assert_eq!(stack.incidents(&tenant).await.len(), 1);
    assert_eq!(stack.received_requests().await, 1);
    assert_eq!(stack.archived_objects().await, 1, "kept in S3, not inline");
}

#[tokio::test]
async fn a_page_the_hub_triggered_resolves_the_original_incident_through_its_dedup_key() {
    use faultline::domain::notification::ticket::dedup_key;
    use faultline::domain::notification::DestinationKind;
    let (stack, tenant, integration) = setup().await;
    let incident = stack
        .stored_incident(
            &tenant,
            "Checkout API 5xx above 5%",
            faultline::domain::Severity::Critical,
            faultline::domain::SignalKind::Alert,
        )
        .await;
    let key = dedup_key(&incident.id);
    let destination = stack
        .linked_ticket(&incident, DestinationKind::Pagerduty, &key)
        .await;
    let with_our_key = |fixture: &str| {
        let mut value: Value = serde_json::from_slice(&provider_fixture(fixture)).expect("fixture");
        value["event"]["data"]["incident_key"] = json!(key);
        serde_json::to_vec(&value).expect("JSON")
    };
    // PagerDuty reports the incident our trigger opened: no second hub incident.
    let triggered = with_our_key("pagerduty_incident_triggered.json");
    let (status, body) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, &triggered, &sign(&triggered), "l1").request(),
        )
        .await,
    );
    assert_eq!(
        (status, body["status"].as_str()),
        (202, Some("ignored")),
        "{body}"
    );
    assert_eq!(stack.incidents(&tenant).await.len(), 1);
    // Resolved in PagerDuty: the original hub incident resolves, marked as coming from there.
    let resolved = with_our_key("pagerduty_incident_resolved.json");
    let (status, body) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, &resolved, &sign(&resolved), "l2").request(),
        )
        .await,
    );
    assert_eq!(
        (status, body["change"].as_str()),
        (202, Some("applied")),
        "{body}"
    );
    assert_eq!(body["incident_id"], incident.id.as_str());
    let incidents = stack.incidents(&tenant).await;
    assert_eq!(incidents.len(), 1, "still one incident");
    assert_eq!(incidents[0]["status"], "resolved");
    let events = stack.published_events().await;
    assert!(events
        .iter()
        .any(|e| e["type"] == "incident.resolved" && e["origin"] == destination.id.as_str()));
}
