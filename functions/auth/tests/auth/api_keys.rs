//! The auth handler, fed the sample events in events/auth/, against a stack on the emulator.

use crate::call;
use faultline_auth::handle;
use faultline_testkit::{json_of, HttpEvent, TestStack};
use serde_json::{json, Value};

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

async fn stack_at(at: chrono::DateTime<chrono::Utc>) -> (TestStack, faultline::clock::Clock) {
    let clock = faultline::clock::Clock::fixed(at);
    (TestStack::deploy_with("1,1,1", clock.clone()).await, clock)
}

#[tokio::test]
async fn keys_expire_record_their_use_and_say_who_they_are() {
    let start = chrono::Utc::now();
    let (stack, clock) = stack_at(start).await;
    let (tenant, admin) = stack.tenant().await;
    let (status, created) = call(
        &stack,
        &HttpEvent::load("auth/create-api-key.json")
            .key(Some(admin.expose()))
            .body_json(&json!({"name": "ci", "scopes": ["incidents:read"], "expires_days": 1})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().expect("key").to_owned();
    let expires_at =
        chrono::DateTime::parse_from_rfc3339(created["expires_at"].as_str().expect("expiry"))
            .expect("time");
    assert_eq!(expires_at, start + chrono::Duration::days(1));
    assert!(key.starts_with(created["prefix"].as_str().expect("prefix")));

    let (status, me) = call(&stack, &HttpEvent::load("auth/verify.json").key(Some(&key))).await;
    assert_eq!(status, 200);
    assert_eq!(me["kind"], "api_key");
    assert_eq!(me["tenant_id"], tenant.as_str());
    assert_eq!(me["scopes"], json!(["incidents:read"]));
    assert_eq!(me["expires_at"], created["expires_at"]);
    let (status, _) = call(
        &stack,
        &HttpEvent::load("auth/verify.json")
            .key(None)
            .header("x-api-key", &key),
    )
    .await;
    assert_eq!(status, 200, "X-API-Key works as well as Bearer");

    let (_, listed) = call(
        &stack,
        &HttpEvent::load("auth/list-api-keys.json").key(Some(admin.expose())),
    )
    .await;
    let shown = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|k| k["id"] == created["id"])
        .expect("listed")
        .clone();
    assert_eq!(shown["usage_count"], 2);
    assert_eq!(
        shown["last_used_at"]
            .as_str()
            .map(|t| chrono::DateTime::parse_from_rfc3339(t).expect("time")),
        Some(start.into())
    );
    assert!(shown.get("digest").is_none() && shown.get("key").is_none());
    // Both answers are what the OpenAPI document says they are.
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(
            faultline_testkit::workspace_root().join("functions/api/openapi.json"),
        )
        .expect("openapi.json"),
    )
    .expect("JSON");
    for (path, method, status, body) in [
        ("/v1/auth/api-keys", "post", "201", &created),
        ("/v1/auth/api-keys", "get", "200", &listed),
    ] {
        let schema = &doc["paths"][path][method]["responses"][status]["content"]
            ["application/json"]["schema"];
        faultline_testkit::conforms_to_documentation(&doc, schema, body)
            .unwrap_or_else(|mismatch| panic!("{method} {path}: {mismatch}"));
    }

    let (status, problem) = call(
        &stack,
        &HttpEvent::load("auth/create-api-key.json")
            .key(Some(admin.expose()))
            .body_json(&json!({"name": "forever", "expires_days": 0})),
    )
    .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("expires_days"))
    );

    clock.advance(chrono::Duration::days(1));
    let (status, problem) =
        call(&stack, &HttpEvent::load("auth/verify.json").key(Some(&key))).await;
    assert_eq!(status, 401);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("expired"),
        "{problem}"
    );
    let (status, _) = call(
        &stack,
        &HttpEvent::load("auth/verify.json").key(Some(admin.expose())),
    )
    .await;
    assert_eq!(status, 200, "the 365-day admin key still works");
}

#[tokio::test]
async fn each_key_is_held_to_its_tenants_per_minute_limit() {
    // Two seconds into a minute, so the whole test stays inside it.
    let now = chrono::Utc::now().timestamp();
    let minute_start =
        chrono::DateTime::from_timestamp(now - now.rem_euclid(60) + 2, 0).expect("time");
    let (stack, clock) = stack_at(minute_start).await;
    let (tenant, admin) = stack.tenant().await;
    stack
        .set_tenant_settings(&tenant, |s| s.api_rate_limit_per_minute = Some(3))
        .await;
    let (other, _) = faultline::services::api_keys::issue_api_key(
        &stack.state,
        &tenant,
        "other",
        vec![faultline::domain::Scope::IncidentsRead],
    )
    .await
    .expect("key");
    let verify = |key: &str| HttpEvent::load("auth/verify.json").key(Some(key));

    for n in 1..=3 {
        let (status, _) = call(&stack, &verify(admin.expose())).await;
        assert_eq!(status, 200, "request {n} of 3");
    }
    let response = handle(&stack.state, verify(admin.expose()).request()).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "58");
    let (_, problem) = json_of(&response);
    assert_eq!(problem["limit"], "api_key_per_minute");
    assert_eq!(problem["limit_value"], 3);
    assert_eq!(
        problem["type"],
        "https://faultline.dev/problems/rate-limited"
    );

    let (status, _) = call(&stack, &verify(other.expose())).await;
    assert_eq!(status, 200, "the limit is per key");
    clock.advance(chrono::Duration::seconds(60));
    let (status, _) = call(&stack, &verify(admin.expose())).await;
    assert_eq!(status, 200, "a new minute, a new allowance");
}

#[tokio::test]
async fn a_key_with_allowed_networks_works_only_from_inside_them() {
    let stack = TestStack::deploy().await;
    let (_, admin) = stack.tenant().await;
    let create = |body: Value| {
        HttpEvent::load("auth/create-api-key.json")
            .key(Some(admin.expose()))
            .body_json(&body)
    };
    let (status, problem) = call(
        &stack,
        &create(json!({"name": "ci", "allowed_cidrs": ["not-a-network"]})),
    )
    .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("allowed_cidrs"))
    );
    let (status, created) = call(
        &stack,
        &create(json!({"name": "ci", "scopes": ["incidents:read"], "allowed_cidrs": ["198.51.100.7/24", "2001:db8::1"]})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["allowed_cidrs"],
        json!(["198.51.100.0/24", "2001:db8::1/128"]),
        "stored as networks"
    );
    let key = created["key"].as_str().expect("key").to_owned();
    let verify_from = |address: &str, credential: &str| {
        HttpEvent::load("auth/verify.json")
            .key(Some(credential))
            .source_ip(address)
    };
    assert_eq!(
        call(&stack, &verify_from("198.51.100.42", &key)).await.0,
        200
    );
    assert_eq!(call(&stack, &verify_from("2001:db8::1", &key)).await.0, 200);
    let (status, problem) = call(&stack, &verify_from("203.0.113.10", &key)).await;
    assert_eq!(status, 403, "{problem}");
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("allowed networks"));

    // Its tokens are held to the same networks, and so is the grant itself.
    let grant = |address: &str| {
        HttpEvent::load("auth/issue-token.json")
            .body_bytes(
                format!(
                    "grant_type=client_credentials&client_id={}&client_secret={key}",
                    created["id"].as_str().expect("id")
                )
                .as_bytes(),
            )
            .source_ip(address)
    };
    let (status, _) = call(&stack, &grant("203.0.113.10")).await;
    assert_eq!(status, 401, "the grant from outside is refused");
    let (status, token) = call(&stack, &grant("198.51.100.42")).await;
    assert_eq!(status, 200, "{token}");
    let token = token["access_token"].as_str().expect("token");
    assert_eq!(
        call(&stack, &verify_from("198.51.100.42", token)).await.0,
        200
    );
    assert_eq!(
        call(&stack, &verify_from("203.0.113.10", token)).await.0,
        403
    );
}

#[tokio::test]
async fn the_platform_admin_key_is_recognised_and_an_unknown_key_is_refused() {
    let stack = TestStack::deploy().await;
    let admin_key = "platform-admin-key-for-this-test-0123456789abcdef";
    stack.set_admin_key(admin_key).await;
    let verify = |key: &str| HttpEvent::load("auth/verify.json").key(Some(key));

    let (status, me) = call(&stack, &verify(admin_key)).await;
    assert_eq!(
        (status, me["kind"].as_str()),
        (200, Some("platform_admin")),
        "{me}"
    );
    let (status, problem) = call(&stack, &verify("sk_nobodyatall1_not-a-key")).await;
    assert_eq!(status, 401, "{problem}");
    let (status, _) = call(
        &stack,
        &verify("platform-admin-key-for-this-test-0123456789abcdeX"),
    )
    .await;
    assert_eq!(status, 401, "one character off is a different key");
}
