//! Users and access tokens on the API: creation within the caller's scopes, no password ever
//! shown, and tokens refused when expired, tampered, for another audience, or when their user
//! is deactivated or their key revoked; a lowered role takes effect at once.

use crate::call;
use faultline::auth::jwt::{Claims, SigningKey, AUDIENCE, ISSUER};
use faultline::clock::Clock;
use faultline::domain::Scope;
use faultline::services::api_keys::issue_api_key;
use faultline::services::tokens::{client_credentials, password, GrantError, IssuedToken, SignIn};
use faultline_testkit::{HttpEvent, TestStack};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

/// The password grant for `email` in `tenant`.
pub async fn sign_in(
    stack: &TestStack,
    tenant: &faultline::domain::TenantId,
    email: &str,
    secret: &str,
) -> Result<IssuedToken, GrantError> {
    let attempt = SignIn {
        tenant: tenant.as_str(),
        username: email,
        password: secret,
        source_ip: "203.0.113.5",
    };
    password(&stack.state, attempt, None).await
}

#[tokio::test]
async fn users_are_created_within_the_callers_scopes_and_never_show_their_password() {
    let stack = TestStack::deploy().await;
    let (tenant, admin) = stack.tenant().await;
    let (_, stranger) = stack.tenant().await;
    let create = |key: &str, body: Value| {
        HttpEvent::load("api/create-user.json")
            .key(Some(key))
            .body_json(&body)
    };
    let (status, ana) = call(&stack, &create(admin.expose(), json!({"email": "Ana@Example.com", "password": PASSWORD, "role": "developer", "extra_scopes": ["audit:read"]}))).await;
    assert_eq!(status, 201, "{ana}");
    assert_eq!(ana["email"], "ana@example.com");
    assert!(ana["scopes"]
        .as_array()
        .expect("scopes")
        .contains(&json!("audit:read")));
    assert!(ana.get("password_hash").is_none() && !ana.to_string().contains("argon2"));

    for (body, field) in [
        (
            json!({"email": "ana@example.com", "password": PASSWORD, "role": "viewer"}),
            "email",
        ),
        (
            json!({"email": "not-an-email", "password": PASSWORD, "role": "viewer"}),
            "email",
        ),
        (
            json!({"email": "x@example.com", "password": "short", "role": "viewer"}),
            "password",
        ),
        (
            json!({"email": "x@example.com", "password": PASSWORD, "role": "owner"}),
            "role",
        ),
        (
            json!({"email": "x@example.com", "password": PASSWORD, "role": "viewer", "extra_scopes": ["nope"]}),
            "extra_scopes",
        ),
        (
            json!({"email": "x@example.com", "password": PASSWORD, "role": "viewer", "team": "a"}),
            "team",
        ),
    ] {
        let (status, problem) = call(&stack, &create(admin.expose(), body.clone())).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{body}"
        );
    }
    let (manager, _) = issue_api_key(
        &stack.state,
        &tenant,
        "users",
        vec![Scope::UsersManage, Scope::IncidentsRead],
    )
    .await
    .expect("key");
    let (status, problem) = call(
        &stack,
        &create(
            manager.expose(),
            json!({"email": "eve@example.com", "password": PASSWORD, "role": "admin"}),
        ),
    )
    .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("role")),
        "no one grants more than they hold"
    );

    let id = ana["id"].as_str().expect("id");
    let user_route = |file: &str| HttpEvent::load(&format!("api/{file}")).path_param("id", id);
    let (status, _) = call(
        &stack,
        &user_route("get-user.json").key(Some(stranger.expose())),
    )
    .await;
    assert_eq!(status, 404);
    let (status, theirs) = call(
        &stack,
        &create(
            stranger.expose(),
            json!({"email": "ana@example.com", "password": PASSWORD, "role": "viewer"}),
        ),
    )
    .await;
    assert_eq!(
        status, 201,
        "emails are per tenant: another tenant's are neither visible nor blocked: {theirs}"
    );
    let (_, listed) = call(
        &stack,
        &HttpEvent::load("api/list-users.json").key(Some(admin.expose())),
    )
    .await;
    assert!(!listed.to_string().contains("argon2"));
    let (status, _) = call(
        &stack,
        &user_route("delete-user.json").key(Some(admin.expose())),
    )
    .await;
    assert_eq!(status, 204);
    let (status, again) = call(
        &stack,
        &create(
            admin.expose(),
            json!({"email": "ana@example.com", "password": PASSWORD, "role": "viewer"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "a deleted user's email is free again: {again}");
}

#[tokio::test]
async fn tokens_work_until_expired_tampered_foreign_deactivated_or_revoked() {
    let clock = Clock::fixed(chrono::Utc::now());
    let stack = TestStack::deploy_with("1,1,1", clock.clone()).await;
    let (tenant, admin) = stack.tenant().await;
    let (_, created) = call(
        &stack,
        &HttpEvent::load("api/create-user.json")
            .key(Some(admin.expose()))
            .body_json(
                &json!({"email": "ana@example.com", "password": PASSWORD, "role": "manager"}),
            ),
    )
    .await;
    let user_id = created["id"].as_str().expect("id").to_owned();
    let token = sign_in(&stack, &tenant, "ana@example.com", PASSWORD)
        .await
        .expect("token")
        .access_token;
    let incidents = |bearer: &str| HttpEvent::load("api/list-incidents.json").key(Some(bearer));
    let (status, _) = call(&stack, &incidents(&token)).await;
    assert_eq!(status, 200, "a user's token is a Bearer credential");

    // Tampered: the payload says keys:manage, the signature is the original's.
    let parts: Vec<&str> = token.split('.').collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Value =
        serde_json::from_slice(&b64.decode(parts[1]).expect("b64")).expect("json");
    claims["scope"] = json!("keys:manage users:manage");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(claims.to_string()),
        parts[2]
    );
    let (status, _) = call(&stack, &incidents(&forged)).await;
    assert_eq!(status, 401);

    // Signed with the real key (read from Secrets Manager), but for another audience.
    let material = stack
        .clients
        .secrets
        .get_secret_value()
        .secret_id(&stack.state.config.token_key_secret)
        .send()
        .await
        .expect("key")
        .secret_string()
        .expect("text")
        .to_owned();
    let key = SigningKey::from_material(material.as_bytes()).expect("a key");
    let now = clock.now().timestamp();
    let foreign = Claims {
        iss: ISSUER.into(),
        aud: "another-service".into(),
        sub: format!("user:{user_id}"),
        tid: tenant.to_string(),
        scope: "incidents:read".into(),
        iat: now,
        nbf: now,
        exp: now + 60,
        jti: "x".into(),
        gen: None,
    };
    let (status, _) = call(&stack, &incidents(&key.sign(&foreign))).await;
    assert_eq!(status, 401, "wrong audience");
    let ours = Claims {
        aud: AUDIENCE.into(),
        ..foreign
    };
    let (status, _) = call(&stack, &incidents(&key.sign(&ours))).await;
    assert_eq!(status, 200, "the same token for this API is accepted");

    // A lowered role takes effect on the next request; deactivation ends the token.
    let patch = |body: Value| {
        HttpEvent::load("api/update-user.json")
            .path_param("id", &user_id)
            .key(Some(admin.expose()))
            .body_json(&body)
    };
    call(&stack, &patch(json!({"role": "viewer"}))).await;
    let (status, problem) = call(
        &stack,
        &HttpEvent::load("api/create-project.json").key(Some(&token)),
    )
    .await;
    assert_eq!(
        (status, problem["missing_scope"].as_str()),
        (403, Some("projects:write"))
    );
    call(&stack, &patch(json!({"active": false}))).await;
    let (status, problem) = call(&stack, &incidents(&token)).await;
    assert_eq!(status, 401);
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("deactivated"));

    // Client-credentials tokens die with their key, and every token with its expiry.
    let key_token = client_credentials(
        &stack.state,
        admin.id().as_str(),
        admin.expose(),
        Some("incidents:read"),
        None,
    )
    .await
    .expect("token")
    .access_token;
    let (status, _) = call(&stack, &incidents(&key_token)).await;
    assert_eq!(status, 200);
    clock.advance(chrono::Duration::hours(24));
    let (status, problem) = call(&stack, &incidents(&key_token)).await;
    assert_eq!(status, 401, "expired after 24 h");
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("expired"));
    let fresh = client_credentials(
        &stack.state,
        admin.id().as_str(),
        admin.expose(),
        None,
        None,
    )
    .await
    .expect("token")
    .access_token;
    stack
        .state
        .store
        .revoke_api_key(&tenant, admin.id(), clock.now())
        .await
        .expect("revoke");
    let (status, _) = call(&stack, &incidents(&fresh)).await;
    assert_eq!(status, 401, "revoked key, dead token");
}

#[tokio::test]
async fn users_manage_cannot_take_over_a_more_privileged_user_nor_remove_the_last_admin() {
    let stack = TestStack::deploy().await;
    let (tenant, admin_key) = stack.tenant().await;
    let all = Some(admin_key.expose());
    let create = |email: &str, role: &str| {
        HttpEvent::load("api/create-user.json")
            .key(all)
            .body_json(&json!({"email": email, "password": PASSWORD, "role": role}))
    };
    let (status, boss) = call(&stack, &create("boss@example.com", "admin")).await;
    assert_eq!(status, 201, "{boss}");
    let boss_id = boss["id"].as_str().expect("id").to_owned();
    let patch = |key: &str, id: &str, body: Value| {
        HttpEvent::load("api/update-user.json")
            .path_param("id", id)
            .key(Some(key))
            .body_json(&body)
    };
    let delete = |key: &str, id: &str| {
        HttpEvent::load("api/delete-user.json")
            .path_param("id", id)
            .key(Some(key))
    };

    // A provisioning key: users:manage, and little else.
    let (provisioning, _) = issue_api_key(
        &stack.state,
        &tenant,
        "provisioning",
        vec![Scope::UsersManage, Scope::IncidentsRead],
    )
    .await
    .expect("key");
    let p = provisioning.expose();
    for (what, event) in [
        (
            "set the admin's password",
            patch(p, &boss_id, json!({"password": "a brand new password!"})),
        ),
        (
            "demote the admin",
            patch(p, &boss_id, json!({"role": "viewer"})),
        ),
        (
            "deactivate the admin",
            patch(p, &boss_id, json!({"active": false})),
        ),
        ("delete the admin", delete(p, &boss_id)),
    ] {
        let (status, problem) = call(&stack, &event).await;
        assert_eq!(status, 403, "{what}: {problem}");
        assert!(problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("holds"));
    }
    assert!(
        sign_in(&stack, &tenant, "boss@example.com", PASSWORD)
            .await
            .is_ok(),
        "the admin's password is unchanged"
    );
    let (_, unchanged) = call(
        &stack,
        &HttpEvent::load("api/get-user.json")
            .path_param("id", &boss_id)
            .key(all),
    )
    .await;
    assert_eq!(
        (unchanged["role"].as_str(), unchanged["active"].as_bool()),
        (Some("admin"), Some(true))
    );

    // The last active admin stays, whoever asks.
    for (what, event) in [
        (
            "deactivate",
            patch(admin_key.expose(), &boss_id, json!({"active": false})),
        ),
        (
            "demote",
            patch(admin_key.expose(), &boss_id, json!({"role": "developer"})),
        ),
        ("delete", delete(admin_key.expose(), &boss_id)),
    ] {
        let (status, problem) = call(&stack, &event).await;
        assert_eq!(
            (status, problem["type"].as_str()),
            (409, Some("https://faultline.dev/problems/conflict")),
            "{what}: {problem}"
        );
    }
    // With a second admin, the first may go; a password change is in the audit entry.
    let (_, deputy) = call(&stack, &create("deputy@example.com", "admin")).await;
    let deputy_id = deputy["id"].as_str().expect("id").to_owned();
    let (status, _) = call(
        &stack,
        &patch(admin_key.expose(), &boss_id, json!({"role": "developer"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &stack,
        &patch(
            admin_key.expose(),
            &deputy_id,
            json!({"password": "another long password"}),
        ),
    )
    .await;
    assert_eq!(status, 200);
    let (_, log) = call(
        &stack,
        &HttpEvent::load("api/list-audit.json")
            .key(all)
            .query(&format!("resource_id={deputy_id}")),
    )
    .await;
    let changed = &log["items"][0];
    assert_eq!(changed["action"], "PATCH /v1/users/{id}");
    assert_eq!(
        changed["diff"]["password_changed"]["after"], true,
        "{changed}"
    );
    assert!(!log.to_string().contains("another long password"));
}
