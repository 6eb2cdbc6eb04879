//! The delivery ledger through the local stack: an exhausted message is visible, can be re-sent,
//! endpoints can be pinged, and the message list filters.

use faultline_e2e::{eventually, receiver, Hub, TenantKey};
use serde_json::{json, Value};
use std::time::Duration;

async fn delivery_status(hub: &Hub, key: &TenantKey, id: &str) -> String {
    let (_, message) = hub.get(&format!("/v1/messages/{id}"), key).await;
    message["deliveries"][0]["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn exhausted_messages_can_be_retried_endpoints_pinged_and_messages_filtered() {
    let hub = Hub::start("1").await;
    let receiver = receiver(2, 500).await;
    let key = hub.tenant().await;
    let hook = hub.generic_hook(&key).await;
    let endpoint = hub
        .endpoint(
            &key,
            &format!("{}/l", receiver.uri()),
            &["incident.created"],
        )
        .await;
    let endpoint_id = endpoint["id"].as_str().expect("id").to_owned();
    hub.alert(&hook, &json!({"title": "Ledger"})).await;

    let message_id = eventually(Duration::from_secs(20), || async {
        let (_, page) = hub.get("/v1/messages", &key).await;
        page["items"][0]["id"].as_str().map(str::to_owned)
    })
    .await
    .expect("a message");
    eventually(Duration::from_secs(20), || async {
        (delivery_status(&hub, &key, &message_id).await == "exhausted").then_some(())
    })
    .await
    .expect("exhausted after two failed attempts (schedule `1`)");

    let (code, retried) = hub
        .post(
            &format!("/v1/messages/{message_id}/retry"),
            &key,
            &json!({}),
        )
        .await;
    assert_eq!(
        (code, retried["queued_endpoints"].clone()),
        (202, json!([endpoint_id]))
    );
    eventually(Duration::from_secs(20), || async {
        (delivery_status(&hub, &key, &message_id).await == "succeeded").then_some(())
    })
    .await
    .expect("delivered on retry");
    let (_, attempts) = hub
        .get(&format!("/v1/messages/{message_id}/attempts"), &key)
        .await;
    let codes: Vec<Value> = attempts["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| a["status_code"].clone())
        .collect();
    assert_eq!(codes, vec![json!(500), json!(500), json!(200)]);

    let (code, ping) = hub
        .post(
            &format!("/v1/endpoints/{endpoint_id}/test"),
            &key,
            &json!({}),
        )
        .await;
    assert_eq!(code, 202, "{ping}");
    eventually(Duration::from_secs(20), || async {
        let requests = receiver.received_requests().await.unwrap_or_default();
        requests
            .iter()
            .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
            .find(|b| b["type"] == "ping")
    })
    .await
    .expect("the ping arrives, although the endpoint subscribes to incident.created only");

    let count = |query: &'static str| {
        let (hub, key) = (&hub, &key);
        async move {
            let (code, page) = hub.get(&format!("/v1/messages?{query}"), key).await;
            (code, page["items"].as_array().map(Vec::len).unwrap_or(0))
        }
    };
    assert_eq!(count("event_type=ping").await, (200, 1));
    assert_eq!(count("event_type=incident.created").await, (200, 1));
    assert_eq!(count("since=2099-01-01T00:00:00Z").await, (200, 0));
    assert_eq!(count("since=2000-01-01T00:00:00Z").await, (200, 2));
    assert_eq!(count("event_type=nope").await.0, 400);

    let stranger = hub.tenant().await;
    let (code, _) = hub
        .post(
            &format!("/v1/messages/{message_id}/retry"),
            &stranger,
            &json!({}),
        )
        .await;
    assert_eq!(code, 404);
    let (code, _) = hub
        .get(&format!("/v1/messages/{message_id}"), &stranger)
        .await;
    assert_eq!(code, 404);
}

#[tokio::test]
async fn an_endpoint_recovers_its_failed_messages_and_reports_its_statistics() {
    let hub = Hub::start("1").await;
    let receiver = receiver(2, 503).await;
    let key = hub.tenant().await;
    let hook = hub.generic_hook(&key).await;
    let endpoint = hub
        .endpoint(
            &key,
            &format!("{}/s", receiver.uri()),
            &["incident.created"],
        )
        .await;
    let endpoint_id = endpoint["id"].as_str().expect("id").to_owned();
    let since = chrono::Utc::now() - chrono::Duration::minutes(5);
    hub.alert(&hook, &json!({"title": "Recover me"})).await;
    // The 503 is throttling: the retry waits at least 60 s, so recover rather than wait.
    let message_id = eventually(Duration::from_secs(20), || async {
        let (_, page) = hub.get("/v1/messages", &key).await;
        page["items"][0]["id"].as_str().map(str::to_owned)
    })
    .await
    .expect("a message");
    eventually(Duration::from_secs(20), || async {
        (delivery_status(&hub, &key, &message_id).await == "failed").then_some(())
    })
    .await
    .expect("the first attempt failed");

    let (code, recovered) = hub
        .post(
            &format!("/v1/endpoints/{endpoint_id}/recover"),
            &key,
            &json!({"since": since.to_rfc3339()}),
        )
        .await;
    assert_eq!(
        (code, recovered["queued"].as_u64()),
        (202, Some(1)),
        "{recovered}"
    );
    let (code, problem) = hub
        .post(
            &format!("/v1/endpoints/{endpoint_id}/recover"),
            &key,
            &json!({"since": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!((code, problem["field"].as_str()), (422, Some("since")));

    // Attempt 2 (recovered) meets the second 503; recover again, attempt 3 succeeds.
    eventually(Duration::from_secs(20), || async {
        let (_, attempts) = hub
            .get(&format!("/v1/messages/{message_id}/attempts"), &key)
            .await;
        (attempts["items"].as_array().map(Vec::len) == Some(2)).then_some(())
    })
    .await
    .expect("second attempt");
    hub.post(
        &format!("/v1/endpoints/{endpoint_id}/recover"),
        &key,
        &json!({"since": since.to_rfc3339()}),
    )
    .await;
    eventually(Duration::from_secs(20), || async {
        (delivery_status(&hub, &key, &message_id).await == "succeeded").then_some(())
    })
    .await
    .expect("delivered after recovery");

    let (code, stats) = hub
        .get(
            &format!("/v1/endpoints/{endpoint_id}/stats?window_hours=1"),
            &key,
        )
        .await;
    assert_eq!(code, 200, "{stats}");
    assert_eq!(stats["attempts"], 3);
    assert_eq!(stats["succeeded"], 1);
    assert_eq!(stats["by_status_code"], json!({"200": 1, "503": 2}));
    assert!(stats["latency_ms"]["p50"].is_u64() && stats["latency_ms"]["p99"].is_u64());
    let rate = stats["success_rate"].as_f64().unwrap_or_default();
    assert!((rate - 1.0 / 3.0).abs() < 1e-9, "{rate}");
}
