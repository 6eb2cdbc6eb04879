//! End to end on the local stack: an alert goes in over HTTP, a notification rule routes it, and
//! the `notify` function (polling its own queue, as on AWS) tells a Slack channel; resolving the
//! incident through the API tells it again.

use faultline_e2e::{eventually, Hub};
use serde_json::{json, Value};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn slack_texts(slack: &MockServer) -> Vec<String> {
    slack
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .filter_map(|b| b["text"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_alert_is_told_to_slack_and_its_resolve_too() {
    let hub = Hub::start("1,1,1").await;
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/T0/B0/e2e"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&slack)
        .await;
    let key = hub.tenant().await;
    let hook = hub.generic_hook(&key).await;
    let (status, destination) = hub
        .post(
            "/v1/destinations",
            &key,
            &json!({"name": "#payments", "kind": "slack_webhook", "url": format!("{}/services/T0/B0/e2e", slack.uri())}),
        )
        .await;
    assert_eq!(status, 201, "{destination}");
    let (status, rule) = hub
        .post(
            "/v1/notification-rules",
            &key,
            &json!({"name": "payments", "matchers": {"services": ["payments"]}, "destinations": [destination["id"]]}),
        )
        .await;
    assert_eq!(status, 201, "{rule}");

    let (status, accepted) = hub
        .alert(
            &hook,
            &json!({"title": "Payment API 5xx", "severity": "critical", "service": "payments"}),
        )
        .await;
    assert_eq!(status, 202, "{accepted}");
    hub.alert(&hook, &json!({"title": "Search slow", "service": "search"}))
        .await;
    let opened = eventually(Duration::from_secs(30), || async {
        let texts = slack_texts(&slack).await;
        (!texts.is_empty()).then_some(texts)
    })
    .await
    .expect("told to Slack");
    assert!(
        opened[0].starts_with("[CRITICAL] Payment API 5xx"),
        "{opened:?}"
    );

    // One message a second per channel: the resolve may wait for the next second.
    let incident = accepted["incident_id"].as_str().expect("incident id");
    let (status, resolved) = hub
        .send(
            hub.http
                .patch(hub.url(&format!("/v1/incidents/{incident}")))
                .bearer_auth(&key.0)
                .json(&json!({"status": "resolved"})),
        )
        .await;
    assert_eq!(status, 200, "{resolved}");
    let told = eventually(Duration::from_secs(30), || async {
        let texts = slack_texts(&slack).await;
        (texts.len() >= 2).then_some(texts)
    })
    .await
    .expect("the resolve told to Slack");
    assert!(told[1].contains("Resolved"), "{told:?}");
    assert_eq!(
        told.len(),
        2,
        "the other service's alert matched no rule: {told:?}"
    );
    let (_, ledger) = hub
        .get(&format!("/v1/notifications?incident_id={incident}"), &key)
        .await;
    let statuses: Vec<&str> = ledger["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|n| n["status"].as_str())
        .collect();
    assert_eq!(statuses, ["sent", "sent"], "{ledger}");
}
