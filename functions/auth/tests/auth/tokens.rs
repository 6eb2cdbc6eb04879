//! `POST /v1/auth/token`: both grants, scope narrowing, and every refusal in RFC 6749's terms,
//! against a stack on the emulator (the signing key comes from its Secrets Manager).

use crate::call;
use base64::Engine;
use faultline::auth::password::hash_password;
use faultline::domain::{Role, TenantId, User, UserId};
use faultline_auth::handle;
use faultline_testkit::{json_of, HttpEvent, TestStack};

fn form(body: &str) -> HttpEvent {
    HttpEvent::load("auth/issue-token.json").body_bytes(body.as_bytes())
}

async fn user(stack: &TestStack, tenant: &TenantId, email: &str, role: Role) -> User {
    let now = stack.state.clock.now();
    let user = User {
        id: UserId::generate(),
        tenant_id: tenant.clone(),
        email: email.into(),
        password_hash: hash_password("correct horse battery staple").expect("hash"),
        role,
        extra_scopes: vec![],
        active: true,
        created_at: now,
        updated_at: now,
    };
    stack.state.store.create_user(&user).await.expect("user");
    user
}

#[tokio::test]
async fn both_grants_issue_bearer_tokens_within_the_credentials_scopes() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    user(&stack, &tenant, "ana@example.com", Role::Developer).await;

    let response = handle(
        &stack.state,
        HttpEvent::load("auth/issue-token.json").request(),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let (_, token) = json_of(&response);
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 86_400);
    assert_eq!(
        token["scope"], "incidents:read",
        "narrowed to what was asked"
    );
    let access = token["access_token"].as_str().expect("token").to_owned();
    let (status, me) = call(
        &stack,
        &HttpEvent::load("auth/verify.json").key(Some(&access)),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(me["kind"], "user");
    assert_eq!(me["tenant_id"], tenant.as_str());
    assert_eq!(me["scopes"], serde_json::json!(["incidents:read"]));

    let secret = key.expose();
    let body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={secret}",
        key.id()
    );
    let (status, token) = call(&stack, &form(&body)).await;
    assert_eq!(status, 200, "{token}");
    assert!(
        token["scope"]
            .as_str()
            .unwrap_or_default()
            .contains("keys:manage"),
        "all the key's scopes"
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{secret}", key.id()));
    let (status, _) = call(
        &stack,
        &form("grant_type=client_credentials&scope=incidents:read")
            .header("authorization", &format!("Basic {basic}")),
    )
    .await;
    assert_eq!(status, 200, "HTTP Basic client authentication");
}

#[tokio::test]
async fn refused_grants_say_why_in_oauth_terms_and_are_audited() {
    let stack = TestStack::deploy().await;
    stack.set_admin_key("sk_platformadm1_correct-horse").await;
    let (tenant, key) = stack.tenant().await;
    user(&stack, &tenant, "ana@example.com", Role::Viewer).await;
    let mut off = user(&stack, &tenant, "bo@example.com", Role::Admin).await;
    off.active = false;
    stack.state.store.save_user(&off).await.expect("deactivate");

    for (body, status, error) in [
        ("grant_type=password&username=ana%40example.com&password=wrong-password", 400, "invalid_grant"),
        ("grant_type=password&username=nobody%40example.com&password=correct+horse+battery+staple", 400, "invalid_grant"),
        ("grant_type=password&username=bo%40example.com&password=correct+horse+battery+staple", 400, "invalid_grant"),
        ("grant_type=password&username=ana%40example.com&password=correct+horse+battery+staple&scope=keys:manage", 400, "invalid_scope"),
        ("grant_type=password&username=ana%40example.com", 400, "invalid_request"),
        ("grant_type=authorization_code&code=x", 400, "unsupported_grant_type"),
        ("", 400, "invalid_request"),
    ] {
        let (code, problem) = call(&stack, &form(body)).await;
        assert_eq!((code, problem["error"].as_str()), (status, Some(error)), "{body}: {problem}");
        assert_eq!(problem["type"], "https://faultline.dev/problems/oauth-error");
    }
    let wrong = format!(
        "grant_type=client_credentials&client_id={}&client_secret=sk_{}_wrong",
        key.id(),
        key.id()
    );
    let (code, problem) = call(&stack, &form(&wrong)).await;
    assert_eq!(
        (code, problem["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let mismatched = format!(
        "grant_type=client_credentials&client_id=otherkeyid12&client_secret={}",
        key.expose()
    );
    let (code, _) = call(&stack, &form(&mismatched)).await;
    assert_eq!(code, 401, "the client id must be the key's own");

    let (entries, _) = stack
        .state
        .store
        .audit_chain(&faultline::store::AuditChain::Platform)
        .await
        .expect("chain");
    let refusals = entries
        .iter()
        .filter(|e| e.action == "auth.failed" && e.resource_type == "token")
        .count();
    assert_eq!(
        refusals, 6,
        "wrong credentials and scopes are audited; malformed requests are not"
    );
}
