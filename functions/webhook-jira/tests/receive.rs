//! The Jira handler against a stack on the emulator: an issue the hub opened, done in Jira,
//! resolves its incident (as that Jira user, marked as coming from that destination); reopened,
//! it reopens it; anything unsigned, unlinked or unrelated changes nothing.

use faultline::domain::notification::ticket::identity_label;
use faultline::domain::notification::DestinationKind;
use faultline::domain::{Incident, Integration, Severity, SignalKind, Source, TenantId};
use faultline::signing::hmac_sha256::hmac_sha256;
use faultline_testkit::{json_of, HttpEvent, TestStack};
use faultline_webhook_jira::handle;
use serde_json::{json, Value};

const SECRET: &str = "jira-webhook-secret-0123456789";

/// A `jira:issue_updated` as Jira Cloud sends it (shape from Atlassian's webhook documentation):
/// issue `key` labelled for `incident`, its status now `status` in `category`.
fn issue_updated(key: &str, labels: &[String], status: &str, category: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "timestamp": 1795255200000u64,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Jane Doe", "active": true},
        "issue": {"id": "10001", "self": "https://acme.atlassian.net/rest/api/2/10001", "key": key,
            "fields": {"summary": "[CRITICAL] Checkout API 5xx above 5%", "labels": labels,
                "status": {"id": "10002", "name": status,
                    "statusCategory": {"id": 3, "key": category, "name": status}}}},
        "changelog": {"id": "10100", "items": [{"field": "status", "fieldtype": "jira",
            "fieldId": "status", "from": "10000", "fromString": "To Do", "to": "10002", "toString": status}]}
    }))
    .expect("JSON")
}

fn signed(integration: &Integration, body: &[u8], delivery: &str) -> HttpEvent {
    let signature = format!(
        "sha256={}",
        hex::encode(hmac_sha256(SECRET.as_bytes(), body))
    );
    HttpEvent::load("webhook-jira/receive.json")
        .path_param("integration_id", integration.id.as_str())
        .body_bytes(body)
        .header("x-hub-signature", &signature)
        .header("x-atlassian-webhook-identifier", delivery)
}

async fn setup() -> (TestStack, TenantId, Integration, Incident) {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let integration = stack
        .integration(&tenant, Source::Jira, Some(SECRET), Value::Null)
        .await;
    let incident = stack
        .stored_incident(
            &tenant,
            "Checkout API 5xx above 5%",
            Severity::Critical,
            SignalKind::Alert,
        )
        .await;
    (stack, tenant, integration, incident)
}

async fn status_of(stack: &TestStack, incident: &Incident) -> String {
    let stored = stack
        .harness
        .store
        .get_incident(&incident.tenant_id, &incident.id)
        .await
        .expect("read")
        .expect("exists");
    stored.status.as_str().to_owned()
}

#[tokio::test]
async fn the_sample_event_verifies_and_is_ignored_when_nothing_is_linked() {
    let (stack, _, integration, _) = setup().await;
    let event = HttpEvent::load("webhook-jira/receive.json")
        .path_param("integration_id", integration.id.as_str());
    let (status, body) = json_of(&handle(&stack.state, event.request()).await);
    assert_eq!(
        (status, body["status"].as_str()),
        (202, Some("ignored")),
        "{body}"
    );
}

#[tokio::test]
async fn done_in_jira_resolves_the_incident_as_the_jira_user_and_reopened_reopens_it() {
    let (stack, _, integration, incident) = setup().await;
    let destination = stack
        .linked_ticket(&incident, DestinationKind::Jira, "OPS-1")
        .await;
    let labels = vec!["from-faultline".to_owned(), identity_label(&incident.id)];
    let done = issue_updated("OPS-1", &labels, "Done", "done");
    let (status, body) =
        json_of(&handle(&stack.state, signed(&integration, &done, "d1").request()).await);
    assert_eq!(
        (status, body["change"].as_str()),
        (202, Some("applied")),
        "{body}"
    );
    assert_eq!(body["destination_id"], destination.id.as_str());
    assert_eq!(status_of(&stack, &incident).await, "resolved");
    let events = stack.published_events().await;
    let resolved = events
        .iter()
        .find(|e| e["type"] == "incident.resolved")
        .expect("incident.resolved published");
    assert_eq!(
        resolved["origin"],
        destination.id.as_str(),
        "marked as coming from Jira"
    );
    let timeline = stack
        .harness
        .store
        .incident_timeline(&incident.tenant_id, &incident.id, &Default::default())
        .await
        .expect("timeline");
    assert!(timeline
        .items
        .iter()
        .any(|line| line.message == "resolved by Jane Doe in Jira"));

    let reopened = issue_updated("OPS-1", &labels, "To Do", "new");
    let (status, body) = json_of(
        &handle(
            &stack.state,
            signed(&integration, &reopened, "d2").request(),
        )
        .await,
    );
    assert_eq!(
        (status, body["change"].as_str()),
        (202, Some("applied")),
        "{body}"
    );
    assert_eq!(status_of(&stack, &incident).await, "open");
}

#[tokio::test]
async fn an_issue_not_linked_to_that_incident_changes_nothing() {
    let (stack, _, integration, incident) = setup().await;
    stack
        .linked_ticket(&incident, DestinationKind::Jira, "OPS-1")
        .await;
    // Someone labels another issue with the incident's label: the log does not link it.
    let labels = vec![identity_label(&incident.id)];
    let body = issue_updated("OPS-99", &labels, "Done", "done");
    let (status, answer) =
        json_of(&handle(&stack.state, signed(&integration, &body, "d3").request()).await);
    assert_eq!(
        (status, answer["status"].as_str()),
        (202, Some("ignored")),
        "{answer}"
    );
    assert!(answer["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("not linked"));
    assert_eq!(status_of(&stack, &incident).await, "open");
}

#[tokio::test]
async fn a_wrong_signature_is_refused_and_changes_nothing() {
    let (stack, _, integration, incident) = setup().await;
    stack
        .linked_ticket(&incident, DestinationKind::Jira, "OPS-1")
        .await;
    let body = issue_updated("OPS-1", &[identity_label(&incident.id)], "Done", "done");
    let forged = signed(&integration, &body, "d4").header("x-hub-signature", "sha256=00ff");
    let response = handle(&stack.state, forged.request()).await;
    let (status, problem) = json_of(&response);
    assert_eq!(status, 401, "{problem}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(status_of(&stack, &incident).await, "open");
}

#[tokio::test]
async fn a_large_delivery_is_archived_in_s3_and_accepted() {
    let (stack, _, integration, incident) = setup().await;
    let mut payload: Value = serde_json::from_slice(&issue_updated(
        "OPS-5",
        &[identity_label(&incident.id)],
        "Done",
        "done",
    ))
    .expect("json");
    payload["issue"]["fields"]["description"] = json!(faultline_testkit::incompressible(16 * 1024));
    let body = serde_json::to_vec(&payload).expect("json");
    let (status, answer) = json_of(
        &handle(
            &stack.state,
            signed(&integration, &body, "large-1").request(),
        )
        .await,
    );
    assert_eq!(status, 202, "{answer}");
    assert_eq!(stack.archived_objects().await, 1, "kept in S3, not inline");
}
