//! End to end on the local stack: a generic alert goes in over HTTP, becomes an incident in
//! DynamoDB, and comes out as a Standard-Webhooks-signed POST with retries.

use faultline::signing::hmac_sha256::hmac_sha256;
use faultline::signing::WebhookSecret;
use faultline_e2e::{eventually, Hub, StandardWebhooksCheck};
use serde_json::{json, Value};
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const INTEGRATION_SECRET: &str = "generic-sender-secret-0001";

#[tokio::test]
async fn a_signed_alert_is_delivered_signed_after_two_failures_and_a_duplicate_updates() {
    let hub = Hub::start("1,1,1").await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("try later"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&receiver)
        .await;
    let key = hub.tenant().await;
    let (_, integration) = hub
        .post(
            "/v1/integrations",
            &key,
            &json!({"source": "generic", "name": "alertmanager", "secret": INTEGRATION_SECRET}),
        )
        .await;
    let (status, endpoint) = hub
        .post(
            "/v1/endpoints",
            &key,
            &json!({"url": format!("{}/faultline", receiver.uri()), "event_types": ["incident.created", "incident.updated"]}),
        )
        .await;
    assert_eq!(status, 201, "{endpoint}");
    let endpoint_secret = WebhookSecret::parse(endpoint["secret"].as_str().expect("secret"));

    let alert = |at: &str| json!({"title": "Payment API 5xx", "severity": "critical", "fingerprint": "pay-5xx", "service": "payments", "occurred_at": at});
    let post_alert_at = |at: &str| {
        let body = alert(at).to_string();
        let signature = hex::encode(hmac_sha256(INTEGRATION_SECRET.as_bytes(), body.as_bytes()));
        hub.http
            .post(hub.url(integration["webhook_path"].as_str().expect("path")))
            .header("content-type", "application/json")
            .header("x-signature-256", format!("sha256={signature}"))
            .body(body)
    };
    let post_alert = || post_alert_at("2026-12-01T10:00:00Z");
    let (status, accepted) = hub.send(post_alert()).await;
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted["change"], "created");

    let requests = eventually(Duration::from_secs(30), || async {
        let requests = receiver.received_requests().await.unwrap_or_default();
        (requests.len() >= 3).then_some(requests)
    })
    .await
    .expect("three delivery attempts within 30 s");
    let header = |request: &wiremock::Request, name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let message_id = header(&requests[0], "webhook-id");
    assert!(message_id.starts_with("msg_"));
    for request in &requests[..3] {
        assert_eq!(
            header(request, "webhook-id"),
            message_id,
            "webhook-id is stable across retries"
        );
        endpoint_secret
            .verify(
                &header(request, "webhook-id"),
                &header(request, "webhook-timestamp"),
                &header(request, "webhook-signature"),
                &request.body,
                chrono::Utc::now().timestamp(),
            )
            .expect("every attempt is signed with the endpoint's secret");
    }
    let delivered: Value = serde_json::from_slice(&requests[2].body).expect("JSON");
    assert_eq!(delivered["type"], "incident.created");
    assert_eq!(delivered["data"]["id"], accepted["incident_id"]);
    verify_with_standardwebhooks(endpoint_secret.expose(), &requests);

    let attempts = eventually(Duration::from_secs(10), || async {
        let (_, attempts) = hub
            .get(&format!("/v1/messages/{message_id}/attempts"), &key)
            .await;
        let items = attempts["items"].as_array().cloned().unwrap_or_default();
        (items.len() == 3 && items[2]["outcome"] == "succeeded").then_some(items)
    })
    .await
    .expect("three attempts recorded");
    let codes: Vec<&Value> = attempts.iter().map(|a| &a["status_code"]).collect();
    assert_eq!(codes, vec![&json!(500), &json!(500), &json!(200)]);
    assert_eq!(attempts[0]["response_excerpt"], "try later");
    assert!(attempts.iter().all(|a| a["latency_ms"].is_u64()));

    // The very same signed request again is a replay (X-Signature-256 signs no timestamp): a
    // duplicate that changes nothing.
    let (status, replayed) = hub.send(post_alert()).await;
    assert_eq!(
        (status, replayed["reason"].as_str()),
        (200, Some("same signed body"))
    );
    // The same alert, fired again later: the incident is updated, not duplicated.
    let (status, again) = hub.send(post_alert_at("2026-12-01T10:05:00Z")).await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(again["change"], "updated");
    assert_eq!(again["incident_id"], accepted["incident_id"]);
    let (_, incidents) = hub.get("/v1/incidents", &key).await;
    assert_eq!(incidents["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(incidents["items"][0]["occurrences"], 2);
    let (_, timeline) = hub
        .get(
            &format!(
                "/v1/incidents/{}/timeline",
                accepted["incident_id"].as_str().unwrap_or_default()
            ),
            &key,
        )
        .await;
    assert_eq!(timeline["items"].as_array().map(Vec::len), Some(2));
    let updated = eventually(Duration::from_secs(15), || async {
        let requests = receiver.received_requests().await.unwrap_or_default();
        requests
            .iter()
            .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
            .find(|b| b["type"] == "incident.updated")
    })
    .await
    .expect("incident.updated delivered");
    assert_eq!(updated["data"]["occurrences"], 2);
}

/// Verifies the deliveries with the `standardwebhooks` package from PyPI, a library we did not
/// write (installed by `make test` into .venv).
fn verify_with_standardwebhooks(secret: &str, requests: &[wiremock::Request]) {
    let checks: Vec<StandardWebhooksCheck> = requests
        .iter()
        .map(|r| StandardWebhooksCheck::of(r, secret, true))
        .collect();
    faultline_e2e::verify_with_standardwebhooks(&checks);
}
