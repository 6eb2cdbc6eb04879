//! A user's tokens and keys over their life: a password change or a deactivation ends every token
//! the user holds (and reactivation does not bring them back), the keys a user created are listed
//! with the user and revoked with them, user tokens share the per-key rate limit, the previous
//! signing key retires one token lifetime after a rotation, and key secrets too short to be keys
//! stop the function from starting.

use crate::call;
use crate::users::sign_in;
use faultline::auth::jwt::{Claims, SigningKey, AUDIENCE, ISSUER};
use faultline::clock::Clock;
use faultline::AppState;
use faultline_testkit::{HttpEvent, TestStack};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

fn incidents(bearer: &str) -> HttpEvent {
    HttpEvent::load("api/list-incidents.json").key(Some(bearer))
}

fn patch(admin: &str, id: &str, body: Value) -> HttpEvent {
    HttpEvent::load("api/update-user.json")
        .path_param("id", id)
        .key(Some(admin))
        .body_json(&body)
}

#[tokio::test]
async fn a_password_change_or_deactivation_ends_tokens_and_revokes_the_users_keys() {
    let stack = TestStack::deploy().await;
    let (tenant, admin) = stack.tenant().await;
    let admin = admin.expose();
    let (status, ana) = call(
        &stack,
        &HttpEvent::load("api/create-user.json")
            .key(Some(admin))
            .body_json(&json!({"email": "ana@example.com", "password": PASSWORD, "role": "admin"})),
    )
    .await;
    assert_eq!(status, 201, "{ana}");
    let ana_id = ana["id"].as_str().expect("id").to_owned();
    // Another admin, so Ana is not the tenant's last one and may be deactivated.
    call(
        &stack,
        &HttpEvent::load("api/create-user.json")
            .key(Some(admin))
            .body_json(
                &json!({"email": "root@example.com", "password": PASSWORD, "role": "admin"}),
            ),
    )
    .await;
    let first = sign_in(&stack, &tenant, "ana@example.com", PASSWORD)
        .await
        .expect("token")
        .access_token;
    assert_eq!(call(&stack, &incidents(&first)).await.0, 200);

    // A password change ends the token; the new password gives one that works.
    let new_password = "a different long password";
    let (status, _) = call(
        &stack,
        &patch(admin, &ana_id, json!({"password": new_password})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, problem) = call(&stack, &incidents(&first)).await;
    assert_eq!(status, 401, "{problem}");
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("password change or deactivation"));
    let second = sign_in(&stack, &tenant, "ana@example.com", new_password)
        .await
        .expect("token")
        .access_token;
    assert_eq!(call(&stack, &incidents(&second)).await.0, 200);

    // Ana makes a key with her token: it is hers, listed with her.
    let (status, key) = stack
        .call(
            faultline_auth::handle,
            &HttpEvent::load("auth/create-api-key.json")
                .key(Some(&second))
                .body_json(&json!({"name": "ana's laptop", "scopes": ["incidents:read"]})),
        )
        .await;
    assert_eq!(status, 201, "{key}");
    assert_eq!(key["created_by"], format!("user:{ana_id}"));
    let ana_key = key["key"].as_str().expect("key").to_owned();
    let list_keys = HttpEvent::load("api/list-user-keys.json")
        .path_param("id", &ana_id)
        .key(Some(admin));
    let (status, listed) = call(&stack, &list_keys).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["items"][0]["id"], key["id"]);
    assert_eq!(listed["items"][0]["revoked_at"], Value::Null);
    assert!(
        !listed.to_string().contains(&ana_key),
        "never the key itself"
    );
    let (status, body) = call(&stack, &incidents(&ana_key)).await;
    assert_eq!(status, 200, "{body}");

    // Deactivation ends the token and revokes the key; reactivation brings back neither.
    let (status, _) = call(&stack, &patch(admin, &ana_id, json!({"active": false}))).await;
    assert_eq!(status, 200);
    let (status, _) = call(&stack, &patch(admin, &ana_id, json!({"active": true}))).await;
    assert_eq!(status, 200);
    assert_eq!(
        call(&stack, &incidents(&second)).await.0,
        401,
        "a token from before the deactivation stays dead"
    );
    assert_eq!(call(&stack, &incidents(&ana_key)).await.0, 401);
    let (_, listed) = call(&stack, &list_keys).await;
    assert!(listed["items"][0]["revoked_at"].is_string(), "{listed}");
    let (_, log) = call(
        &stack,
        &HttpEvent::load("api/list-audit.json")
            .key(Some(admin))
            .query(&format!("resource_id={ana_id}")),
    )
    .await;
    let deactivation = log["items"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["diff"]["active"]["after"] == false)
        .expect("the deactivation is audited");
    assert_eq!(deactivation["diff"]["tokens_ended"]["after"], true);
    assert_eq!(
        deactivation["diff"]["revoked_keys"]["after"],
        json!([key["id"]])
    );
}

#[tokio::test]
async fn user_tokens_count_against_the_per_key_rate_limit() {
    let clock = Clock::fixed(chrono::Utc::now());
    let stack = TestStack::deploy_with("1,1,1", clock).await;
    let (tenant, admin) = stack.tenant().await;
    stack
        .set_tenant_settings(&tenant, |s| s.api_rate_limit_per_minute = Some(3))
        .await;
    create_user(&stack, admin.expose(), "bo@example.com").await;
    let token = sign_in(&stack, &tenant, "bo@example.com", PASSWORD)
        .await
        .expect("token")
        .access_token;
    for _ in 0..3 {
        assert_eq!(call(&stack, &incidents(&token)).await.0, 200);
    }
    let (status, problem) = call(&stack, &incidents(&token)).await;
    assert_eq!(status, 429, "{problem}");
    assert_eq!(problem["limit"], "api_key_per_minute");
    assert_eq!(problem["limit_value"], 3);
    assert!(problem["retry_after"]
        .as_u64()
        .is_some_and(|s| (1..=60).contains(&s)));
}

async fn create_user(stack: &TestStack, admin: &str, email: &str) -> String {
    let (status, user) = call(
        stack,
        &HttpEvent::load("api/create-user.json")
            .key(Some(admin))
            .body_json(&json!({"email": email, "password": PASSWORD, "role": "viewer"})),
    )
    .await;
    assert_eq!(status, 201, "{user}");
    user["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn the_previous_signing_key_retires_one_token_lifetime_after_a_rotation() {
    let clock = Clock::fixed(chrono::Utc::now());
    let stack = TestStack::deploy_with("1,1,1", clock.clone()).await;
    let (tenant, admin) = stack.tenant().await;
    let user_id = create_user(&stack, admin.expose(), "cy@example.com").await;
    let secrets = &stack.clients.secrets;
    let key_secret = &stack.state.config.token_key_secret;
    let old_material = secrets
        .get_secret_value()
        .secret_id(key_secret)
        .send()
        .await
        .expect("read")
        .secret_string()
        .expect("text")
        .to_owned();
    let old_key = SigningKey::from_material(old_material.as_bytes()).expect("a key");
    // What a container still signing with the old key (or anyone holding it) would mint.
    let minted_with_old_key = || {
        let now = clock.now().timestamp();
        old_key.sign(&Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: format!("user:{user_id}"),
            tid: tenant.to_string(),
            scope: "incidents:read".into(),
            iat: now,
            nbf: now,
            exp: now + 600,
            jti: format!("old-key-{now}"),
            gen: Some(0),
        })
    };
    secrets
        .put_secret_value()
        .secret_id(key_secret)
        .secret_string("a-rotated-token-signing-key-of-64-characters-0123456789abcdefgh")
        .send()
        .await
        .expect("rotate: the old version becomes AWSPREVIOUS");
    // A container started after the rotation reads both versions.
    let fresh = AppState::new(stack.state.config.clone(), &stack.clients, clock.clone());
    let status = |token: String| {
        let fresh = fresh.clone();
        async move {
            let response = faultline_api::handle(&fresh, incidents(&token).request()).await;
            let (status, body) = faultline_testkit::json_of(&response);
            (status, body)
        }
    };
    assert_eq!(
        status(minted_with_old_key()).await.0,
        200,
        "during the grace period the previous key still verifies"
    );
    // Grace: one token lifetime (60 min by default) plus the 5-minute key cache.
    clock.advance(chrono::Duration::minutes(66));
    let (code, problem) = status(minted_with_old_key()).await;
    assert_eq!(code, 401, "{problem}");
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("retired key"));
    let current = sign_in(&stack, &tenant, "cy@example.com", PASSWORD).await;
    let current = current.expect("token").access_token;
    assert_eq!(
        status(current).await.0,
        200,
        "the new key signs and verifies"
    );
}

#[tokio::test]
async fn key_secrets_shorter_than_32_bytes_stop_the_function_from_starting() {
    let stack = TestStack::deploy().await;
    for (secret, variable) in [
        (
            stack.state.config.data_key_secret.clone(),
            "FAULTLINE_DATA_KEY_SECRET",
        ),
        (
            stack.state.config.token_key_secret.clone(),
            "FAULTLINE_TOKEN_KEY_SECRET",
        ),
    ] {
        let original = stack
            .clients
            .secrets
            .get_secret_value()
            .secret_id(&secret)
            .send()
            .await
            .expect("read")
            .secret_string()
            .expect("text")
            .to_owned();
        let put = |value: String| {
            stack
                .clients
                .secrets
                .put_secret_value()
                .secret_id(&secret)
                .secret_string(value)
                .send()
        };
        put("only-twenty-bytes-xx".into()).await.expect("shorten");
        let starting = AppState::new(stack.state.config.clone(), &stack.clients, Clock::system());
        let refused = starting.check_keys().await.expect_err("too short");
        let message = refused.to_string();
        assert!(message.contains(variable), "{message}");
        assert!(message.contains(&secret), "names the secret: {message}");
        assert!(message.contains("20 bytes"), "{message}");
        assert!(
            !message.contains("only-twenty"),
            "never the value: {message}"
        );
        put(original).await.expect("restore");
        assert!(
            AppState::new(stack.state.config.clone(), &stack.clients, Clock::system())
                .check_keys()
                .await
                .is_ok()
        );
    }
}
