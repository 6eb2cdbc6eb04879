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

pub async fn user(stack: &TestStack, tenant: &TenantId, email: &str, role: Role) -> User {
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
        token_generation: 0,
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
        form(&format!(
            "grant_type=password&tenant={tenant}&username=ana%40example.com\
             &password=correct+horse+battery+staple&scope=incidents%3Aread"
        ))
        .request(),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let (_, token) = json_of(&response);
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 3600, "an hour by default");
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

    let t = tenant.as_str();
    for (body, status, error) in [
        (format!("grant_type=password&tenant={t}&username=ana%40example.com&password=wrong-password"), 400, "invalid_grant"),
        (format!("grant_type=password&tenant={t}&username=nobody%40example.com&password=correct+horse+battery+staple"), 400, "invalid_grant"),
        (format!("grant_type=password&tenant={t}&username=bo%40example.com&password=correct+horse+battery+staple"), 400, "invalid_grant"),
        ("grant_type=password&tenant=ten_01JD0000000000000000000000&username=ana%40example.com&password=correct+horse+battery+staple".into(), 400, "invalid_grant"),
        (format!("grant_type=password&tenant={t}&username=ana%40example.com&password=correct+horse+battery+staple&scope=keys:manage"), 400, "invalid_scope"),
        (format!("grant_type=password&tenant={t}&username=ana%40example.com"), 400, "invalid_request"),
        ("grant_type=password&username=ana%40example.com&password=correct+horse+battery+staple".into(), 400, "invalid_request"),
        ("grant_type=implicit&code=x".into(), 400, "unsupported_grant_type"),
        ("grant_type=authorization_code&code=x".into(), 400, "invalid_request"),
        (String::new(), 400, "invalid_request"),
    ] {
        let (code, problem) = call(&stack, &form(&body)).await;
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

    // Refusals are counted per minute, address and credential, then folded into the chain.
    let chain = faultline::store::AuditChain::Platform;
    let (before, _) = stack.state.store.audit_chain(&chain).await.expect("chain");
    assert!(
        before.iter().all(|e| e.action != "auth.failed"),
        "not appended one by one"
    );
    let later = stack.state.clock.now() + chrono::Duration::minutes(2);
    stack
        .harness
        .store
        .fold_refusals(later)
        .await
        .expect("fold");
    let (entries, _) = stack.state.store.audit_chain(&chain).await.expect("chain");
    let folded: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "auth.failed" && e.resource_type == "token")
        .collect();
    let counted: u64 = folded
        .iter()
        .map(|e| {
            let detail = e.detail.as_deref().unwrap_or_default();
            detail
                .split_once(" refused requests")
                .and_then(|(n, _)| n.parse().ok())
                .unwrap_or(1)
        })
        .sum();
    assert_eq!(
        counted, 7,
        "wrong credentials and scopes are audited; malformed requests are not"
    );
    assert!(
        folded.len() <= 2,
        "one entry per minute for one address and credential: {folded:?}"
    );
}

/// A password attempt from `address`.
fn attempt(tenant: &TenantId, email: &str, password: &str, address: &str) -> HttpEvent {
    form(&format!(
        "grant_type=password&tenant={tenant}&username={}&password={password}",
        email.replace('@', "%40")
    ))
    .source_ip(address)
}

#[tokio::test]
async fn ten_failed_sign_ins_lock_the_account_and_the_address_alike_for_known_and_unknown_emails() {
    let clock = faultline::clock::Clock::fixed(chrono::Utc::now());
    let stack = TestStack::deploy_with("1,1,1", clock.clone()).await;
    let (tenant, _) = stack.tenant().await;
    user(&stack, &tenant, "ana@example.com", Role::Viewer).await;
    let right = "correct+horse+battery+staple";

    // A success clears the account's count: nine failures, a success, nine more, all answered.
    for round in 0..2 {
        for n in 0..9 {
            let address = format!("198.51.100.{}", round * 10 + n);
            let (code, _) = call(
                &stack,
                &attempt(&tenant, "ana@example.com", "wrong", &address),
            )
            .await;
            assert_eq!(code, 400);
        }
        let (code, _) = call(
            &stack,
            &attempt(&tenant, "ana@example.com", right, "198.51.100.99"),
        )
        .await;
        assert_eq!(
            code, 200,
            "round {round}: under the limit, the right password works"
        );
    }
    // Ten failures from ten addresses: the account is locked, even for the right password.
    for n in 0..10 {
        let address = format!("198.51.100.{}", 100 + n);
        call(
            &stack,
            &attempt(&tenant, "ana@example.com", "wrong", &address),
        )
        .await;
    }
    let locked = stack
        .call(
            handle,
            &attempt(&tenant, "ana@example.com", right, "198.51.100.200"),
        )
        .await;
    let (code, problem) = locked;
    assert_eq!(code, 429, "{problem}");
    assert_eq!(problem["limit"], "failed_sign_ins_per_15_minutes");
    assert_eq!(problem["limit_value"], 10);
    let retry_after = problem["retry_after"].as_u64().expect("retry_after");
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    let response = handle(
        &stack.state,
        attempt(&tenant, "ana@example.com", right, "198.51.100.201").request(),
    )
    .await;
    assert_eq!(
        response.headers()["retry-after"].to_str().ok(),
        Some(retry_after.to_string().as_str())
    );

    // An email nobody has answers and locks exactly the same way.
    for n in 0..10 {
        let address = format!("198.51.100.{}", 120 + n);
        let (code, problem) = call(
            &stack,
            &attempt(&tenant, "nobody@example.com", "wrong", &address),
        )
        .await;
        assert_eq!(
            (code, problem["error"].as_str()),
            (400, Some("invalid_grant"))
        );
    }
    let (code, problem) = call(
        &stack,
        &attempt(&tenant, "nobody@example.com", "wrong", "198.51.100.250"),
    )
    .await;
    assert_eq!(
        (code, problem["limit"].as_str()),
        (429, Some("failed_sign_ins_per_15_minutes"))
    );

    // One address guessing across many accounts is stopped after ten failures too.
    user(&stack, &tenant, "bo@example.com", Role::Viewer).await;
    for n in 0..10 {
        call(
            &stack,
            &attempt(
                &tenant,
                &format!("user{n}@example.com"),
                "wrong",
                "192.0.2.7",
            ),
        )
        .await;
    }
    let (code, _) = call(
        &stack,
        &attempt(&tenant, "bo@example.com", right, "192.0.2.7"),
    )
    .await;
    assert_eq!(code, 429, "the address is locked");
    let (code, _) = call(
        &stack,
        &attempt(&tenant, "bo@example.com", right, "192.0.2.8"),
    )
    .await;
    assert_eq!(code, 200, "the account is not");

    // When the window ends, the account works again.
    clock.advance(chrono::Duration::minutes(15));
    let (code, _) = call(
        &stack,
        &attempt(&tenant, "ana@example.com", right, "198.51.100.200"),
    )
    .await;
    assert_eq!(code, 200);
}

#[tokio::test]
async fn emails_are_unique_per_tenant_and_the_password_grant_names_the_tenant() {
    let stack = TestStack::deploy().await;
    let (acme, _) = stack.tenant().await;
    let (globex, _) = stack.tenant().await;
    let at_acme = user(&stack, &acme, "ana@example.com", Role::Viewer).await;
    let at_globex = user(&stack, &globex, "ana@example.com", Role::Admin).await;
    let twin = User {
        id: UserId::generate(),
        ..at_acme.clone()
    };
    assert!(
        matches!(
            stack.state.store.create_user(&twin).await,
            Err(faultline::store::StoreError::Conflict)
        ),
        "a second ana in the same tenant is refused"
    );
    for (tenant, expected) in [(&acme, &at_acme), (&globex, &at_globex)] {
        let (code, token) = call(
            &stack,
            &attempt(
                tenant,
                "ana@example.com",
                "correct+horse+battery+staple",
                "203.0.113.9",
            ),
        )
        .await;
        assert_eq!(code, 200, "{token}");
        let access = token["access_token"].as_str().expect("token");
        let (_, me) = call(
            &stack,
            &HttpEvent::load("auth/verify.json").key(Some(access)),
        )
        .await;
        assert_eq!(me["tenant_id"], tenant.as_str());
        assert_eq!(me["subject"], format!("user:{}", expected.id), "{me}");
    }
}
