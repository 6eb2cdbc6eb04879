//! Third-party apps and the authorization-code flow: registration (the secret once), consent as
//! a user, the exchange with PKCE (single-use, short-lived codes bound to their client and
//! redirect URI), refresh tokens that rotate and revoke their family when reused, tokens limited
//! to what the user holds, and revocation.

use crate::call;
use crate::tokens::user;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use faultline::domain::Role;
use faultline_testkit::{HttpEvent, TestStack};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const REDIRECT: &str = "https://status.example.com/oauth/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn token(stack: &TestStack, body: &str) -> (u16, Value) {
    call(
        stack,
        &HttpEvent::load("auth/issue-token.json").body_bytes(body.as_bytes()),
    )
    .await
}

/// A registered app allowed `scopes`; its id and secret.
async fn app(stack: &TestStack, key: &str, scopes: &[&str]) -> (String, String) {
    let (status, app) = call(
        stack,
        &HttpEvent::load("auth/create-oauth-app.json")
            .key(Some(key))
            .body_json(
                &json!({"name": "Status page", "redirect_uris": [REDIRECT], "scopes": scopes}),
            ),
    )
    .await;
    assert_eq!(status, 201, "{app}");
    let secret = app["client_secret"]
        .as_str()
        .expect("the secret, once")
        .to_owned();
    assert!(secret.starts_with("cs_"));
    (app["id"].as_str().unwrap_or_default().to_owned(), secret)
}

/// A user's password token.
async fn user_token(
    stack: &TestStack,
    tenant: &faultline::domain::TenantId,
    email: &str,
) -> String {
    let (status, body) = token(
        stack,
        &format!(
            "grant_type=password&tenant={tenant}&username={}&password=correct+horse+battery+staple",
            email.replace('@', "%40")
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap_or_default().to_owned()
}

/// The user's consent through the API: the code.
async fn consent(stack: &TestStack, user: &str, app: &str, scope: &str) -> (u16, Value) {
    call(
        stack,
        &HttpEvent::load("auth/authorize-oauth-app.json")
            .key(Some(user))
            .path_param("id", app)
            .body_json(&json!({
                "redirect_uri": REDIRECT,
                "scope": scope,
                "state": "xyz",
                "code_challenge": challenge(VERIFIER),
                "code_challenge_method": "S256",
            })),
    )
    .await
}

fn exchange(app: &str, secret: &str, code: &str, verifier: &str, redirect: &str) -> String {
    serde_urlencoded::to_string([
        ("grant_type", "authorization_code"),
        ("client_id", app),
        ("client_secret", secret),
        ("code", code),
        ("redirect_uri", redirect),
        ("code_verifier", verifier),
    ])
    .expect("form")
}

fn refreshing(app: &str, secret: &str, refresh: &str) -> String {
    serde_urlencoded::to_string([
        ("grant_type", "refresh_token"),
        ("client_id", app),
        ("client_secret", secret),
        ("refresh_token", refresh),
    ])
    .expect("form")
}

#[tokio::test]
async fn a_code_is_exchanged_once_with_its_verifier_and_refresh_tokens_rotate() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    user(&stack, &tenant, "dev@example.com", Role::Developer).await;
    let (app_id, secret) = app(
        &stack,
        key.expose(),
        &["incidents:read", "incidents:write", "keys:manage"],
    )
    .await;
    let listed = call(
        &stack,
        &HttpEvent::load("auth/list-oauth-apps.json").key(Some(key.expose())),
    )
    .await;
    assert_eq!(listed.1["items"][0]["id"], app_id.as_str());
    assert!(!listed.1.to_string().contains(&secret) && !listed.1.to_string().contains("digest"));
    let access = user_token(&stack, &tenant, "dev@example.com").await;

    // A developer does not hold keys:manage: the code carries only what the user holds.
    let (status, granted) = consent(
        &stack,
        &access,
        &app_id,
        "incidents:read incidents:write keys:manage",
    )
    .await;
    assert_eq!(status, 201, "{granted}");
    assert_eq!(
        granted["scopes"],
        json!(["incidents:read", "incidents:write"])
    );
    assert_eq!(granted["expires_in"], 60);
    let code = granted["code"].as_str().unwrap_or_default().to_owned();
    let redirect_to = granted["redirect_to"].as_str().unwrap_or_default();
    assert!(
        redirect_to.starts_with(&format!("{REDIRECT}?code=ac_"))
            && redirect_to.ends_with("&state=xyz")
    );

    // Wrong verifier, other redirect URI: refused — and the code is spent by the attempt.
    let wrong = "x".repeat(43);
    let (status, refused) =
        token(&stack, &exchange(&app_id, &secret, &code, &wrong, REDIRECT)).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant")),
        "{refused}"
    );
    let (status, refused) = token(
        &stack,
        &exchange(&app_id, &secret, &code, VERIFIER, REDIRECT),
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant")),
        "a code is single-use"
    );

    // A fresh code: the right verifier and redirect URI get both tokens.
    let (_, granted) = consent(&stack, &access, &app_id, "incidents:read").await;
    let code = granted["code"].as_str().unwrap_or_default().to_owned();
    let (status, refused) = token(
        &stack,
        &exchange(
            &app_id,
            &secret,
            &code,
            VERIFIER,
            "https://status.example.com/other",
        ),
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (_, granted) = consent(&stack, &access, &app_id, "incidents:read").await;
    let code = granted["code"].as_str().unwrap_or_default().to_owned();
    // Without the client's secret nothing happens to the code (no one can burn another's codes).
    let (status, refused) = token(
        &stack,
        &exchange(&app_id, "cs_wrong", &code, VERIFIER, REDIRECT),
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, issued) = token(
        &stack,
        &exchange(&app_id, &secret, &code, VERIFIER, REDIRECT),
    )
    .await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["scope"], "incidents:read");
    let first_refresh = issued["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    let app_access = issued["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, me) = call(
        &stack,
        &HttpEvent::load("auth/verify.json").key(Some(&app_access)),
    )
    .await;
    assert_eq!((status, me["kind"].as_str()), (200, Some("user")));

    // Refresh: a new pair; the old refresh token is spent.
    let (status, rotated) = token(&stack, &refreshing(&app_id, &secret, &first_refresh)).await;
    assert_eq!(status, 200, "{rotated}");
    let second_refresh = rotated["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_ne!(second_refresh, first_refresh);
    // Reusing the spent one is theft or a bug: refused, and the whole family with it.
    let (status, reused) = token(&stack, &refreshing(&app_id, &secret, &first_refresh)).await;
    assert_eq!(
        (status, reused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, revoked) = token(&stack, &refreshing(&app_id, &secret, &second_refresh)).await;
    assert_eq!(
        (status, revoked["error"].as_str()),
        (400, Some("invalid_grant")),
        "the family is revoked"
    );
}

#[tokio::test]
async fn registration_refuses_bad_redirects_and_scopes_the_caller_lacks_and_revocation_stops_the_app(
) {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    for (body, field) in [
        (
            json!({"name": "x", "redirect_uris": ["http://status.example.com/cb"]}),
            "redirect_uris",
        ),
        (json!({"name": "x", "redirect_uris": []}), "redirect_uris"),
        (
            json!({"name": "x", "redirect_uris": [REDIRECT], "scopes": ["root"]}),
            "scopes",
        ),
        (json!({"name": "", "redirect_uris": [REDIRECT]}), "name"),
    ] {
        let (status, problem) = call(
            &stack,
            &HttpEvent::load("auth/create-oauth-app.json")
                .key(Some(key.expose()))
                .body_json(&body),
        )
        .await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{problem}"
        );
    }
    user(&stack, &tenant, "admin@example.com", Role::Admin).await;
    let (app_id, secret) = app(&stack, key.expose(), &["incidents:read"]).await;
    let access = user_token(&stack, &tenant, "admin@example.com").await;
    // The API key itself cannot consent: only a user can.
    let (status, _) = consent(&stack, key.expose(), &app_id, "incidents:read").await;
    assert_eq!(status, 403);
    let (status, problem) = consent(&stack, &access, &app_id, "incidents:write").await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("scope")),
        "beyond the app's scopes"
    );
    let (_, granted) = consent(&stack, &access, &app_id, "incidents:read").await;
    let code = granted["code"].as_str().unwrap_or_default().to_owned();
    let (status, _) = call(
        &stack,
        &HttpEvent::load("auth/revoke-oauth-app.json")
            .key(Some(key.expose()))
            .path_param("id", &app_id),
    )
    .await;
    assert_eq!(status, 204);
    let (status, refused) = token(
        &stack,
        &exchange(&app_id, &secret, &code, VERIFIER, REDIRECT),
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, shown) = call(
        &stack,
        &HttpEvent::load("auth/get-oauth-app.json")
            .key(Some(key.expose()))
            .path_param("id", &app_id),
    )
    .await;
    assert_eq!(status, 200);
    assert!(shown["revoked_at"].is_string());
    // Another tenant sees no such app.
    let (_, other) = stack.tenant().await;
    let (status, _) = call(
        &stack,
        &HttpEvent::load("auth/get-oauth-app.json")
            .key(Some(other.expose()))
            .path_param("id", &app_id),
    )
    .await;
    assert_eq!(status, 404);
}
