//! Secret rotation as a receiver lives it, verified with the PyPI `standardwebhooks` library:
//! before, during and after a rotation, deliveries verify with every secret that should work and
//! with no other.

use faultline_e2e::{
    eventually, receiver, verify_with_standardwebhooks, Hub, StandardWebhooksCheck,
};
use serde_json::json;
use std::time::Duration;
use wiremock::{MockServer, Request};

async fn next_delivery(receiver: &MockServer, count: usize) -> Request {
    eventually(Duration::from_secs(20), || async {
        let requests = receiver.received_requests().await.unwrap_or_default();
        (requests.len() >= count).then(|| requests[count - 1].clone())
    })
    .await
    .expect("delivered")
}

#[tokio::test]
async fn receivers_rotate_secrets_with_no_failed_verification() {
    let hub = Hub::start("1").await;
    let receiver = receiver(0, 200).await;
    let key = hub.tenant().await;
    let hook = hub.generic_hook(&key).await;
    let endpoint = hub
        .endpoint(
            &key,
            &format!("{}/r", receiver.uri()),
            &["incident.created"],
        )
        .await;
    let id = endpoint["id"].as_str().expect("id").to_owned();
    let first = endpoint["secret"].as_str().expect("secret").to_owned();
    let alert = |n: u32| {
        hub.http
            .post(hub.url(&hook))
            .json(&json!({"title": format!("alert {n}"), "fingerprint": format!("f{n}")}))
    };

    hub.send(alert(1)).await;
    let before = next_delivery(&receiver, 1).await;

    let (status, rotated) = hub
        .post(
            &format!("/v1/endpoints/{id}/rotate-secret"),
            &key,
            &json!({"grace_period_seconds": 3600}),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let second = rotated["secret"].as_str().expect("new secret").to_owned();
    hub.send(alert(2)).await;
    let during = next_delivery(&receiver, 2).await;

    let (_, rotated) = hub
        .post(
            &format!("/v1/endpoints/{id}/rotate-secret"),
            &key,
            &json!({"grace_period_seconds": 0}),
        )
        .await;
    let third = rotated["secret"].as_str().expect("new secret").to_owned();
    hub.send(alert(3)).await;
    let after = next_delivery(&receiver, 3).await;

    verify_with_standardwebhooks(&[
        StandardWebhooksCheck::of(&before, &first, true),
        StandardWebhooksCheck::of(&before, &second, false),
        // During the grace period both the old and the new secret verify.
        StandardWebhooksCheck::of(&during, &first, true),
        StandardWebhooksCheck::of(&during, &second, true),
        // Rotated again with no grace: the second secret stops at once; the first is still in
        // its hour of grace.
        StandardWebhooksCheck::of(&after, &third, true),
        StandardWebhooksCheck::of(&after, &second, false),
        StandardWebhooksCheck::of(&after, &first, true),
    ]);
    let signatures = after
        .headers
        .get("webhook-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(signatures.split(' ').count(), 2, "{signatures}");

    let (status, shown) = hub.get(&format!("/v1/endpoints/{id}/secret"), &key).await;
    assert_eq!(
        (status, shown["secret"].as_str()),
        (200, Some(third.as_str()))
    );
    let (status, problem) = hub
        .post(
            &format!("/v1/endpoints/{id}/rotate-secret"),
            &key,
            &json!({"grace_period_seconds": 700000}),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("grace_period_seconds"))
    );
}
