//! `GET /v1/integrations/{id}/deliveries`: what one integration received, newest first, for its
//! own tenant only — the ids an operator replays.

use crate::call;
use faultline_testkit::{json_of, HttpEvent, TestStack};
use serde_json::json;

async fn receive(stack: &TestStack, integration: &str, title: &str, delivery_id: &str) {
    let received = faultline::http::handle_webhook(
        &stack.harness,
        HttpEvent::load("webhook-generic/receive.json")
            .path_param("integration_id", integration)
            .without_header("x-signature-256")
            .header("x-delivery-id", delivery_id)
            .body_json(&json!({"title": title}))
            .request(),
        &faultline::sources::generic::GenericSource,
    )
    .await;
    assert_eq!(json_of(&received).0, 202);
}

#[tokio::test]
async fn an_integrations_deliveries_are_listed_newest_first_for_its_tenant_only() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let first = stack.generic_integration(&tenant, None).await;
    let second = stack.generic_integration(&tenant, None).await;
    receive(&stack, first.id.as_str(), "one", "d-1").await;
    receive(&stack, second.id.as_str(), "elsewhere", "d-2").await;
    receive(&stack, first.id.as_str(), "two", "d-3").await;
    let list = |id: &str, k: &str| {
        HttpEvent::load("api/list-integration-deliveries.json")
            .key(Some(k))
            .path_param("id", id)
            .query("")
    };
    let (status, page) = call(&stack, &list(first.id.as_str(), key.expose())).await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{page}");
    assert!(items
        .iter()
        .all(|d| d["id"].as_str().unwrap_or_default().starts_with("dlv_")));
    assert!(
        items[0]["received_at"].as_str() >= items[1]["received_at"].as_str(),
        "newest first"
    );
    assert!(items.iter().all(|d| d["source"] == "generic"));
    let (_, other) = stack.tenant().await;
    let (status, _) = call(&stack, &list(first.id.as_str(), other.expose())).await;
    assert_eq!(
        status, 404,
        "another tenant's integration does not exist for it"
    );
}
