//! The consent page of the authorization-code flow: sign in first and come back, untrusted
//! requests are shown (never redirected), other errors go back to the app, deny and allow.

use crate::{api, tenant, Browser};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use faultline_testkit::TestStack;
use serde_json::json;
use sha2::{Digest, Sha256};

const REDIRECT: &str = "https://status.example.com/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn authorize_url(client_id: &str, redirect: &str, extra: &[(&str, &str)]) -> String {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect),
        ("scope", "incidents:read keys:manage"),
        ("state", "s-123"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in extra {
        pairs.retain(|(n, _)| n != name);
        pairs.push((name, value));
    }
    format!(
        "/console/oauth/authorize?{}",
        serde_urlencoded::to_string(&pairs).expect("query")
    )
}

/// An app named with markup (it must render as text), allowed two scopes.
async fn app(stack: &TestStack, key: &str) -> (String, String) {
    let event = faultline_testkit::HttpEvent::load("auth/create-oauth-app.json")
        .key(Some(key))
        .body_json(&json!({
            "name": "<b>Status</b> page",
            "redirect_uris": [REDIRECT],
            "scopes": ["incidents:read", "keys:manage"],
        }));
    let (status, app) =
        faultline_testkit::json_of(&faultline_auth::handle(&stack.harness, event.request()).await);
    assert_eq!(status, 201, "{app}");
    (
        app["id"].as_str().unwrap_or_default().to_owned(),
        app["client_secret"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn a_user_signs_in_consents_and_the_app_exchanges_the_code() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = tenant(&stack).await;
    let (client_id, secret) = app(&stack, &key).await;
    let url = authorize_url(&client_id, REDIRECT, &[]);
    let mut browser = Browser::new(&stack);
    let first = browser.get(&url).await;
    assert_eq!(first.status, 303);
    assert!(first
        .location()
        .starts_with("/console/sign-in?next=%2Fconsole%2Foauth%2Fauthorize%3F"));
    browser.sign_in(&tenant, "viewer@example.com").await;
    let page = browser.get(&url).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("&#60;b&#62;Status&#60;/b&#62; page")
            || page.body.contains("&lt;b&gt;Status&lt;/b&gt; page")
    );
    assert!(!page.body.contains("<b>Status</b>"));
    assert!(page
        .body
        .contains("<code>keys:manage</code> — <em>not granted: you do not hold it</em>"));
    assert!(page.body.contains("status.example.com"));
    let csrf = page.csrf();
    let form = |decision: &'static str| {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
        vec![
            ("_csrf".to_owned(), csrf.clone()),
            ("response_type".to_owned(), "code".to_owned()),
            ("client_id".to_owned(), client_id.clone()),
            ("redirect_uri".to_owned(), REDIRECT.to_owned()),
            ("scope".to_owned(), "incidents:read keys:manage".to_owned()),
            ("state".to_owned(), "s-123".to_owned()),
            ("code_challenge".to_owned(), challenge),
            ("code_challenge_method".to_owned(), "S256".to_owned()),
            ("decision".to_owned(), decision.to_owned()),
        ]
    };
    let as_refs = |fields: &[(String, String)]| -> Vec<(String, String)> { fields.to_vec() };
    let post = |fields: Vec<(String, String)>| {
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        serde_urlencoded::to_string(refs).expect("form")
    };
    let denied = browser
        .send(
            browser
                .event("POST", "/console/oauth/authorize")
                .header("content-type", "application/x-www-form-urlencoded")
                .body_bytes(post(as_refs(&form("deny"))).as_bytes()),
        )
        .await;
    assert_eq!(denied.status, 303);
    assert!(denied
        .location()
        .starts_with(&format!("{REDIRECT}?error=access_denied")));
    assert!(denied.location().ends_with("&state=s-123"));
    let allowed = browser
        .send(
            browser
                .event("POST", "/console/oauth/authorize")
                .header("content-type", "application/x-www-form-urlencoded")
                .body_bytes(post(as_refs(&form("allow"))).as_bytes()),
        )
        .await;
    assert_eq!(allowed.status, 303, "{}", allowed.body);
    let location = url::Url::parse(allowed.location()).expect("a URL");
    let query: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(query["state"], "s-123");
    let code = &query["code"];
    let exchange = serde_urlencoded::to_string([
        ("grant_type", "authorization_code"),
        ("client_id", client_id.as_str()),
        ("client_secret", secret.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ])
    .expect("form");
    let event =
        faultline_testkit::HttpEvent::load("auth/issue-token.json").body_bytes(exchange.as_bytes());
    let (status, token) =
        faultline_testkit::json_of(&faultline_auth::handle(&stack.harness, event.request()).await);
    assert_eq!(status, 200, "{token}");
    assert_eq!(
        token["scope"], "incidents:read",
        "only what the viewer holds"
    );
    let (_, audit) = api(&stack, &key, "GET", "/v1/audit?limit=50", None).await;
    let consent = audit["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|e| e["action"] == "POST /v1/oauth-apps/{id}/authorizations")
        })
        .expect("the consent is audited")
        .to_string();
    assert!(
        !consent.contains(code.as_str()),
        "the code is not in the audit log"
    );
}

#[tokio::test]
async fn untrusted_requests_are_shown_and_the_rest_go_back_to_the_app() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = tenant(&stack).await;
    let (client_id, _) = app(&stack, &key).await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    for url in [
        authorize_url("app_01JD0000000000000000000000", REDIRECT, &[]),
        authorize_url(&client_id, "https://evil.example/callback", &[]),
        authorize_url(&client_id, &format!("{REDIRECT}/"), &[]),
    ] {
        let page = browser.get(&url).await;
        assert_eq!(page.status, 400, "{url}");
        assert!(page.body.contains("not valid"), "{url}");
    }
    for (extra, error) in [
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("response_type", "token")], "invalid_request"),
        (vec![("scope", "users:manage")], "invalid_scope"),
    ] {
        let answer = browser
            .get(&authorize_url(&client_id, REDIRECT, &extra))
            .await;
        assert_eq!(answer.status, 303, "{extra:?}");
        assert!(
            answer
                .location()
                .starts_with(&format!("{REDIRECT}?error={error}")),
            "{}",
            answer.location()
        );
        assert!(answer.location().ends_with("state=s-123"));
    }
    let mut reader = Browser::new(&stack);
    reader
        .submit("/console/sign-in", "/console/sign-in", &[("api_key", &key)])
        .await;
    let refused = reader.get(&authorize_url(&client_id, REDIRECT, &[])).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("Sign in as a user"));
}
