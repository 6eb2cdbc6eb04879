//! The auth handler, fed the sample events in events/auth/, against a stack on the emulator.

use faultline_auth::handle;
use faultline_testkit::{json_of, HttpEvent, TestStack};
use serde_json::{json, Value};

async fn call(stack: &TestStack, event: &HttpEvent) -> (u16, Value) {
    json_of(&handle(&stack.state, event.request()).await)
}

#[tokio::test]
async fn keys_are_created_with_at_most_the_callers_scopes_listed_without_secrets_and_revoked() {
    let stack = TestStack::deploy().await;
    let (_, admin) = stack.tenant().await;
    let admin = Some(admin.expose());

    let (status, created) = call(
        &stack,
        &HttpEvent::load("auth/create-api-key.json").key(admin),
    )
    .await;
    assert_eq!(status, 201);
    let key = created["key"].as_str().expect("shown once").to_owned();
    assert!(key.starts_with("sk_"));
    assert_eq!(created["scopes"], json!(["incidents:read"]));

    // The new key may read incidents only: managing keys needs `keys:manage`.
    let (status, problem) = call(
        &stack,
        &HttpEvent::load("auth/list-api-keys.json").key(Some(&key)),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(problem["missing_scope"], "keys:manage");
    let (status, problem) = call(
        &stack,
        &HttpEvent::load("auth/create-api-key.json")
            .key(Some(&key))
            .body_json(&json!({"name": "escalate", "scopes": ["keys:manage"]})),
    )
    .await;
    assert_eq!(
        (status, problem["missing_scope"].as_str()),
        (403, Some("keys:manage"))
    );
    let (status, problem) = call(
        &stack,
        &HttpEvent::load("auth/create-api-key.json")
            .key(admin)
            .body_json(&json!({"name": "x", "scopes": ["root"]})),
    )
    .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("scopes")));

    let (_, listed) = call(
        &stack,
        &HttpEvent::load("auth/list-api-keys.json").key(admin),
    )
    .await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(2));
    assert!(!listed.to_string().contains(&key), "keys are never listed");
    assert!(!listed.to_string().contains("digest"));

    let id = created["id"].as_str().expect("id");
    let revoke = HttpEvent::load("auth/revoke-api-key.json").path_param("id", id);
    let (status, _) = call(&stack, &revoke.clone().key(admin)).await;
    assert_eq!(status, 204);
    let (status, _) = call(
        &stack,
        &HttpEvent::load("auth/list-api-keys.json").key(Some(&key)),
    )
    .await;
    assert_eq!(status, 401, "a revoked key stops working at once");
}

#[tokio::test]
async fn another_tenants_key_cannot_be_revoked_or_seen() {
    let stack = TestStack::deploy().await;
    let (_, owner) = stack.tenant().await;
    let (_, stranger) = stack.tenant().await;
    let revoke = HttpEvent::load("auth/revoke-api-key.json").path_param("id", owner.id().as_str());

    let (status, _) = call(&stack, &revoke.clone().key(Some(stranger.expose()))).await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &stack,
        &HttpEvent::load("auth/list-api-keys.json").key(Some(owner.expose())),
    )
    .await;
    assert_eq!(status, 200, "the owner's key still works");
    let (_, listed) = call(
        &stack,
        &HttpEvent::load("auth/list-api-keys.json").key(Some(stranger.expose())),
    )
    .await;
    assert!(!listed.to_string().contains(owner.id().as_str()));
}

#[tokio::test]
async fn keys_are_accepted_as_bearer_or_x_api_key_and_stored_only_as_digests() {
    let stack = TestStack::deploy().await;
    let (_, admin) = stack.tenant().await;
    let list = HttpEvent::load("auth/list-api-keys.json");
    let (status, _) = call(
        &stack,
        &list.clone().key(None).header("x-api-key", admin.expose()),
    )
    .await;
    assert_eq!(status, 200);

    let dump = stack.table_dump().await;
    assert!(
        !dump.contains(admin.expose()),
        "the key itself is not stored"
    );
    assert!(dump.contains(&admin.digest()));
}
