//! Provider webhooks end to end on the local stack, over HTTP, to a subscribed endpoint.

use faultline::signing::hmac_sha256::hmac_sha256;
use faultline_e2e::{eventually, Hub, TenantKey};
use faultline_testkit::provider_fixture;
use serde_json::{json, Value};
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn receiver() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

async fn delivered_types(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .map(|b| b["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn integration(hub: &Hub, key: &TenantKey, body: Value) -> String {
    let (status, created) = hub.post("/v1/integrations", key, &body).await;
    assert_eq!(status, 201, "{created}");
    created["webhook_path"].as_str().expect("path").to_owned()
}

#[tokio::test]
async fn a_pagerduty_trigger_then_resolve_reaches_the_endpoint_as_created_then_resolved() {
    let hub = Hub::start("1").await;
    let server = receiver().await;
    let key = hub.tenant().await;
    let secret = "HvPtlQNKMPpHSSqJpCdndXfo7HnGXa1pnH6w5axpxLFn9aRBNBGh4e8/HlonK5mz";
    let path = integration(
        &hub,
        &key,
        json!({"source": "pagerduty", "name": "pd", "secret": secret}),
    )
    .await;
    hub.post(
        "/v1/endpoints",
        &key,
        &json!({"url": format!("{}/pd", server.uri()), "event_types": ["incident.created", "incident.resolved"]}),
    )
    .await;

    for (file, signature, id) in [
        (
            "pagerduty_incident_triggered.json",
            "v1=3e3032b45bbe1801c13f182b0e0a7f4f3f530225cef07e3e90cbc57874d01c49",
            "w-1",
        ),
        (
            "pagerduty_incident_resolved.json",
            "v1=60a745384fb05b03acfc592b157b05e105e498da2f72f53c437c9d7c8d9aa879",
            "w-2",
        ),
    ] {
        let (status, body) = hub
            .send(
                hub.http
                    .post(hub.url(&path))
                    .header("content-type", "application/json")
                    .header("x-pagerduty-signature", signature)
                    .header("x-webhook-id", id)
                    .body(provider_fixture(file)),
            )
            .await;
        assert_eq!(status, 202, "{file}: {body}");
        // Wait for the first to arrive before sending the second, so the order is meaningful.
        eventually(Duration::from_secs(20), || async {
            let seen = delivered_types(&server).await;
            (seen.len() >= if id == "w-1" { 1 } else { 2 }).then_some(())
        })
        .await
        .expect("delivered");
    }
    assert_eq!(
        delivered_types(&server).await,
        vec!["incident.created", "incident.resolved"]
    );
}

#[tokio::test]
async fn a_merged_pull_request_before_a_sentry_alert_is_named_as_the_suspect() {
    let hub = Hub::start("1").await;
    let server = receiver().await;
    let key = hub.tenant().await;
    let github = integration(
        &hub,
        &key,
        json!({"source": "github", "name": "repo", "secret": "github-webhook-secret-1"}),
    )
    .await;
    let sentry = integration(
        &hub,
        &key,
        json!({"source": "sentry", "name": "sentry", "secret": "test-client-secret"}),
    )
    .await;
    hub.post(
        "/v1/endpoints",
        &key,
        &json!({"url": format!("{}/h", server.uri()), "event_types": ["hypothesis.generated"]}),
    )
    .await;

    let now = chrono::Utc::now();
    let mut pr: Value =
        serde_json::from_slice(&provider_fixture("github_pull_request_merged.json")).expect("JSON");
    pr["pull_request"]["merged_at"] = json!((now - chrono::Duration::minutes(40)).to_rfc3339());
    let pr = serde_json::to_vec(&pr).expect("JSON");
    let (status, merged) = hub
        .send(
            hub.http
                .post(hub.url(&github))
                .header("x-github-event", "pull_request")
                .header("x-github-delivery", "d-1")
                .header(
                    "x-hub-signature-256",
                    format!(
                        "sha256={}",
                        hex::encode(hmac_sha256(b"github-webhook-secret-1", &pr))
                    ),
                )
                .body(pr),
        )
        .await;
    assert_eq!(status, 202, "{merged}");

    let mut alert: Value =
        serde_json::from_slice(&provider_fixture("sentry_event_alert_triggered.json"))
            .expect("JSON");
    alert["data"]["event"]["datetime"] = json!(now.to_rfc3339());
    let alert = serde_json::to_vec(&alert).expect("JSON");
    let (status, opened) = hub
        .send(
            hub.http
                .post(hub.url(&sentry))
                .header("sentry-hook-resource", "event_alert")
                .header("request-id", "r-1")
                .header("sentry-hook-timestamp", now.timestamp().to_string())
                .header(
                    "sentry-hook-signature",
                    hex::encode(hmac_sha256(b"test-client-secret", &alert)),
                )
                .body(alert),
        )
        .await;
    assert_eq!(
        (status, opened["change"].as_str()),
        (202, Some("created")),
        "{opened}"
    );

    let hypothesis = eventually(Duration::from_secs(20), || async {
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
            .find(|b| b["type"] == "hypothesis.generated")
    })
    .await
    .expect("hypothesis.generated delivered");
    let suspect = &hypothesis["data"]["suspects"][0];
    assert_eq!(suspect["repo"], "robvanderleek/create-issue-branch");
    assert_eq!(suspect["number"], 117);
    assert_eq!(suspect["reason"], "merged 40 min before first occurrence");
    assert_eq!(hypothesis["data"]["incident"]["id"], opened["incident_id"]);
    let (_, timeline) = hub
        .get(
            &format!(
                "/v1/incidents/{}/timeline",
                opened["incident_id"].as_str().unwrap_or_default()
            ),
            &key,
        )
        .await;
    assert!(timeline["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|e| e["kind"] == "hypothesis")));
}

#[tokio::test]
async fn an_archived_delivery_can_be_replayed() {
    let hub = Hub::start("1").await;
    let key = hub.tenant().await;
    let path = integration(
        &hub,
        &key,
        json!({"source": "generic", "name": "g", "unsigned": true}),
    )
    .await;
    let (_, accepted) = hub
        .send(hub.http.post(hub.url(&path)).json(&json!({"title": "Replay me", "fingerprint": "r", "occurred_at": "2026-11-21T10:00:00Z"})))
        .await;
    let delivery = accepted["delivery_id"].as_str().expect("delivery id");

    let (status, replayed) = hub
        .post(
            &format!("/v1/hooks/deliveries/{delivery}/replay"),
            &key,
            &json!({}),
        )
        .await;
    assert_eq!(status, 202, "{replayed}");
    assert_eq!(replayed["incident_id"], accepted["incident_id"]);
    assert_eq!(
        replayed["change"], "duplicate",
        "the same content again is recognised as an exact duplicate"
    );

    let stranger = hub.tenant().await;
    let (status, _) = hub
        .post(
            &format!("/v1/hooks/deliveries/{delivery}/replay"),
            &stranger,
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);
}
