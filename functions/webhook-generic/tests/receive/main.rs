//! The generic webhook handler, fed the sample event in events/webhook-generic/, against a stack
//! deployed on the AWS emulator.

use faultline::domain::{Integration, IntegrationId, TenantId};
use faultline::signing::hmac_sha256::hmac_sha256;
use faultline::signing::WebhookSecret;
use faultline_testkit::{incompressible, json_of, HttpEvent, TestStack};
use faultline_webhook_generic::handle;
use serde_json::{json, Value};

mod limits;

const SECRET: &str = "a-long-shared-secret-1234";

async fn integration(stack: &TestStack, tenant: &TenantId, secret: Option<&str>) -> Integration {
    stack.generic_integration(tenant, secret).await
}

fn alert(integration: &Integration) -> HttpEvent {
    HttpEvent::load("webhook-generic/receive.json")
        .path_param("integration_id", integration.id.as_str())
        .without_header("x-signature-256")
}

fn signed(event: HttpEvent, secret: &str) -> HttpEvent {
    let signature = hex::encode(hmac_sha256(secret.as_bytes(), &event.body()));
    event.header("x-signature-256", &format!("sha256={signature}"))
}

#[tokio::test]
async fn sample_alert_opens_an_incident_archives_the_request_and_emits_incident_created() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let integration = integration(&stack, &tenant, Some(SECRET)).await;

    let (status, body) =
        json_of(&handle(&stack.state, signed(alert(&integration), SECRET).request()).await);

    assert_eq!(status, 202, "{body}");
    assert_eq!(body["change"], "created");
    let listed = stack.incidents(&tenant).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], body["incident_id"]);
    assert_eq!(listed[0]["title"], "Disk almost full on db-1");
    assert_eq!(listed[0]["severity"], "high");
    assert_eq!(listed[0]["attributes"]["host"], "db-1");
    assert_eq!(stack.received_requests().await, 1);
    let events = stack.published_events().await;
    let mut types: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect();
    types.sort();
    assert_eq!(types, vec!["alert.triggered", "incident.created"]);
    assert!(events.iter().all(|e| e["tenant_id"] == tenant.as_str()));
}

#[tokio::test]
async fn same_fingerprint_updates_and_resolved_resolves() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let integration = integration(&stack, &tenant, None).await;
    let body =
        |status: &str| json!({"title": "Queue backlog", "fingerprint": "q-1", "status": status});

    let (_, first) = json_of(
        &handle(
            &stack.state,
            alert(&integration).body_json(&body("firing")).request(),
        )
        .await,
    );
    let (_, second) = json_of(
        &handle(
            &stack.state,
            alert(&integration).body_json(&body("firing")).request(),
        )
        .await,
    );
    let (_, third) = json_of(
        &handle(
            &stack.state,
            alert(&integration).body_json(&body("resolved")).request(),
        )
        .await,
    );

    assert_eq!(second["change"], "updated");
    assert_eq!(third["change"], "resolved");
    assert_eq!(first["incident_id"], second["incident_id"]);
    assert_eq!(first["incident_id"], third["incident_id"]);
    let listed = stack.incidents(&tenant).await;
    assert_eq!(listed.len(), 1, "updated, not duplicated");
    assert_eq!(listed[0]["occurrences"], 2);
    assert_eq!(listed[0]["status"], "resolved");
    let types: Vec<Value> = stack
        .published_events()
        .await
        .into_iter()
        .map(|e| e["type"].clone())
        .collect();
    assert_eq!(types.len(), 6, "{types:?}");
    for expected in [
        "incident.created",
        "incident.updated",
        "incident.resolved",
        "alert.triggered",
        "alert.resolved",
    ] {
        assert!(types.contains(&json!(expected)), "{types:?}");
    }

    // A recurrence after resolution is a new incident.
    let (_, fourth) = json_of(
        &handle(
            &stack.state,
            alert(&integration).body_json(&body("firing")).request(),
        )
        .await,
    );
    assert_eq!(fourth["change"], "created");
    assert_ne!(fourth["incident_id"], first["incident_id"]);
}

#[tokio::test]
async fn concurrent_first_signals_open_exactly_one_incident() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let integration = integration(&stack, &tenant, None).await;
    let event = alert(&integration).body_json(&json!({"title": "Race", "fingerprint": "race"}));
    let calls = (0..6).map(|_| handle(&stack.state, event.request()));
    let results = futures::future::join_all(calls).await;
    let ids: std::collections::HashSet<String> = results
        .iter()
        .map(|r| {
            json_of(r).1["incident_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let changes: Vec<String> = results
        .iter()
        .map(|r| {
            json_of(r).1["change"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let listed = stack.incidents(&tenant).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["occurrences"], 6, "changes: {changes:?}");
}

#[tokio::test]
async fn standard_webhooks_signatures_are_accepted_and_redeliveries_change_nothing() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let secret = WebhookSecret::generate();
    let integration = integration(&stack, &tenant, Some(secret.expose())).await;
    let event = alert(&integration);
    let now = chrono::Utc::now().timestamp();
    let signature = secret.sign("delivery-1", now, &event.body());
    let event = event
        .header("webhook-id", "delivery-1")
        .header("webhook-timestamp", &now.to_string())
        .header("webhook-signature", &signature);

    let (first, _) = json_of(&handle(&stack.state, event.request()).await);
    let (again, body) = json_of(&handle(&stack.state, event.request()).await);

    assert_eq!(first, 202);
    assert_eq!(again, 200);
    assert_eq!(body["status"], "duplicate");
    assert_eq!(stack.incidents(&tenant).await[0]["occurrences"], 1);
    assert_eq!(stack.received_requests().await, 1);
}

/// Every refusal is problem+json with the right status, and none changes anything.
#[tokio::test]
async fn bad_input_is_refused_with_problem_json_and_no_side_effects() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let open = integration(&stack, &tenant, None).await;
    let guarded = integration(&stack, &tenant, Some(SECRET)).await;
    // A record with neither a secret nor the explicit `unsigned` choice (made before the flag).
    let silent = Integration {
        id: IntegrationId::generate(),
        unsigned: false,
        ..open.clone()
    };
    stack
        .state
        .store
        .create_integration(&silent)
        .await
        .expect("stored");
    let huge = vec![b' '; 1024 * 1024 + 1];
    let cases: Vec<(&str, HttpEvent, u16, Option<&str>)> = vec![
        (
            "malformed JSON",
            alert(&open).body_bytes(b"{\"title\": "),
            400,
            None,
        ),
        (
            "not an object",
            alert(&open).body_json(&json!(["x"])),
            422,
            None,
        ),
        (
            "missing title",
            alert(&open).body_json(&json!({"severity": "high"})),
            422,
            Some("title"),
        ),
        (
            "wrong severity",
            alert(&open).body_json(&json!({"title": "x", "severity": "urgent"})),
            422,
            Some("severity"),
        ),
        ("over 1 MiB", alert(&open).body_bytes(&huge), 413, None),
        (
            "unknown integration",
            alert(&open).path_param("integration_id", IntegrationId::generate().as_str()),
            404,
            None,
        ),
        (
            "malformed integration id",
            alert(&open).path_param("integration_id", "nope"),
            404,
            None,
        ),
        ("missing signature", alert(&guarded), 401, None),
        ("neither a secret nor unsigned", alert(&silent), 401, None),
        (
            "bad signature",
            signed(alert(&guarded), "another-secret-entirely"),
            401,
            None,
        ),
        (
            "signature over other bytes",
            signed(alert(&guarded), SECRET).body_json(&json!({"title": "tampered"})),
            401,
            None,
        ),
    ];
    for (name, event, status, field) in cases {
        let response = handle(&stack.state, event.request()).await;
        let (got, problem) = json_of(&response);
        assert_eq!(got, status, "{name}: {problem}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{name}"
        );
        assert_eq!(problem["status"], status, "{name}");
        assert!(
            problem["type"]
                .as_str()
                .unwrap_or_default()
                .starts_with("https://"),
            "{name}"
        );
        assert!(problem["request_id"].is_string(), "{name}");
        if let Some(field) = field {
            assert_eq!(problem["field"], field, "{name}");
        }
    }
    assert!(stack.incidents(&tenant).await.is_empty());
    assert_eq!(stack.received_requests().await, 0);
    assert!(stack.published_events().await.is_empty());
}

/// moto never deletes expired TTL items, and DynamoDB may take days to: the dedup window is
/// enforced by the expiry attribute itself.
#[tokio::test]
async fn a_delivery_id_is_processed_again_once_its_dedup_window_has_passed() {
    let clock = faultline::clock::Clock::fixed(chrono::Utc::now());
    let stack = TestStack::deploy_with("1", clock.clone()).await;
    let (tenant, _) = stack.tenant().await;
    let integration = integration(&stack, &tenant, None).await;
    // No occurred_at: each processing is a new occurrence at the (injected) time it arrives.
    let event = alert(&integration)
        .body_json(&json!({"title": "Replica lag", "fingerprint": "lag"}))
        .header("idempotency-key", "alert-42");

    let (first, _) = json_of(&handle(&stack.state, event.request()).await);
    clock.advance(chrono::Duration::days(6));
    let (within, _) = json_of(&handle(&stack.state, event.request()).await);
    clock.advance(chrono::Duration::days(2));
    let (after, body) = json_of(&handle(&stack.state, event.request()).await);

    assert_eq!((first, within, after), (202, 200, 202), "{body}");
    assert_eq!(stack.incidents(&tenant).await[0]["occurrences"], 2);
}

/// A body may be up to 1 MiB, but a DynamoDB item holds 400 KB and an SQS message 256 KiB: large
/// descriptions and attributes are trimmed on the incident (the archived request keeps them whole).
#[tokio::test]
async fn a_large_alert_is_accepted_with_its_bulk_kept_in_the_archive() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let integration = integration(&stack, &tenant, None).await;
    let big = "x".repeat(450 * 1024);
    let event = alert(&integration).body_json(&json!({
        "title": "Huge", "description": big, "dump": incompressible(450 * 1024), "small": "kept"
    }));

    let (status, body) = json_of(&handle(&stack.state, event.request()).await);

    assert_eq!(status, 202, "{body}");
    let incident = &stack.incidents(&tenant).await[0];
    assert!(incident["description"].as_str().unwrap_or_default().len() <= 16 * 1024 + 64);
    assert_eq!(
        incident["attributes"]["_omitted"]["reason"],
        "attributes larger than 32 KiB; the archived request has them whole"
    );
    assert_eq!(stack.received_requests().await, 1);
    assert_eq!(
        stack.archived_objects().await,
        1,
        "too large to keep inline: in S3"
    );
    assert_eq!(stack.published_events().await.len(), 2);
}

#[tokio::test]
async fn a_body_signed_without_a_timestamp_is_not_replayed_under_a_new_delivery_id() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let integration = integration(&stack, &tenant, Some(SECRET)).await;
    let captured = signed(alert(&integration), SECRET).header("idempotency-key", "first");
    let (status, _) = json_of(&handle(&stack.state, captured.clone().request()).await);
    assert_eq!(status, 202);
    let replayed = captured.header("idempotency-key", "second");
    let (status, dup) = json_of(&handle(&stack.state, replayed.request()).await);
    assert_eq!(
        (status, dup["reason"].as_str()),
        (200, Some("same signed body")),
        "{dup}"
    );
    assert_eq!(stack.incidents(&tenant).await[0]["occurrences"], 1);
    assert_eq!(
        stack.received_requests().await,
        1,
        "the replay is not recorded"
    );
}
