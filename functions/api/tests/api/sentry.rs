//! Sentry configuration per project and environment, the application config endpoint (ETag,
//! 304, Cache-Control), and a scan of the whole table proving no credential is stored in
//! plaintext.

use crate::call;
use faultline::domain::Scope;
use faultline::services::api_keys::issue_api_key;
use faultline_api::handle;
use faultline_testkit::{json_of, HttpEvent, TestStack};
use serde_json::{json, Value};

const DSN: &str = "https://a1b2c3d4e5f60718a1b2c3d4e5f60718@o123.ingest.sentry.io/4505";
const TOKEN: &str = "sntrys_eyJpYXQiOjE3OTUyNTUyMDB9_plaintext-canary";

#[tokio::test]
async fn projects_configure_sentry_per_environment_and_applications_fetch_it() {
    let stack = TestStack::deploy().await;
    let (tenant, admin) = stack.tenant().await;
    let (_, stranger) = stack.tenant().await;
    let k = Some(admin.expose());
    let (_, project) = call(
        &stack,
        &HttpEvent::load("api/create-project.json")
            .key(k)
            .body_json(&json!({"name": "Checkout API", "environment": "production"})),
    )
    .await;
    let pid = project["id"].as_str().expect("project").to_owned();
    let create = |body: Value| {
        HttpEvent::load("api/create-sentry-config.json")
            .path_param("id", &pid)
            .key(k)
            .body_json(&body)
    };
    let (status, prod) = call(&stack, &create(json!({"dsn": DSN, "org": "acme", "project": "checkout", "auth_token": TOKEN, "tracesSampleRate": 0.2}))).await;
    assert_eq!(status, 201, "{prod}");
    assert_eq!(prod["environment"], "production", "the project's default");
    assert_eq!(prod["dsn"], "https://a1b2****@o123.ingest.sentry.io/4505");
    assert_eq!(prod["has_auth_token"], true);
    assert!(!prod.to_string().contains(TOKEN));
    let (status, _) = call(&stack, &create(json!({"dsn": DSN, "org": "acme", "project": "checkout", "environment": "staging", "tracesSampleRate": 1.0, "active": false}))).await;
    assert_eq!(status, 201);

    for (body, field) in [
        (
            json!({"dsn": DSN, "org": "acme", "project": "checkout"}),
            "environment",
        ),
        (
            json!({"dsn": "https://o1.ingest.sentry.io/1", "org": "acme", "project": "c", "environment": "dev"}),
            "dsn",
        ),
        (
            json!({"dsn": DSN, "org": "Acme Inc", "project": "c", "environment": "dev"}),
            "org",
        ),
        (
            json!({"dsn": DSN, "org": "acme", "project": "c", "environment": "dev", "tracesSampleRate": 1.5}),
            "tracesSampleRate",
        ),
        (
            json!({"dsn": DSN, "org": "acme", "project": "c", "environment": "Dev Env"}),
            "environment",
        ),
        (
            json!({"dsn": DSN, "org": "acme", "project": "c", "environment": "dev", "debug": true}),
            "debug",
        ),
    ] {
        let (status, problem) = call(&stack, &create(body.clone())).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{body}"
        );
    }

    let list = |key: &str, query: &str| {
        HttpEvent::load("api/list-sentry-configs.json")
            .path_param("id", &pid)
            .key(Some(key))
            .query(query)
    };
    let (_, masked) = call(&stack, &list(admin.expose(), "")).await;
    assert_eq!(masked["items"].as_array().map(Vec::len), Some(2));
    assert!(
        !masked.to_string().contains("a1b2c3d4e5f60718a1b2"),
        "masked in listings"
    );
    let (_, revealed) = call(&stack, &list(admin.expose(), "reveal=true")).await;
    assert!(revealed.to_string().contains(DSN));
    let (reader, _) = issue_api_key(&stack.state, &tenant, "reader", vec![Scope::ProjectsRead])
        .await
        .expect("key");
    let (status, problem) = call(&stack, &list(reader.expose(), "reveal=true")).await;
    assert_eq!(
        (status, problem["missing_scope"].as_str()),
        (403, Some("sentry-config:read"))
    );
    let (status, _) = call(&stack, &list(stranger.expose(), "")).await;
    assert_eq!(status, 404, "another tenant's project");

    // The application's view, with a key holding only sentry-config:read.
    let (app, _) = issue_api_key(
        &stack.state,
        &tenant,
        "checkout-app",
        vec![Scope::SentryConfigRead],
    )
    .await
    .expect("key");
    let fetch = |query: &str| {
        HttpEvent::load("api/get-application-sentry-config.json")
            .path_param("project_slug", "checkout-api")
            .key(Some(app.expose()))
            .query(query)
    };
    let response = handle(&stack.state, fetch("").request()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "private, max-age=300");
    let etag = response.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    let (_, served) = json_of(&response);
    assert_eq!(
        served,
        json!({"dsn": DSN, "environment": "production", "org": "acme", "project": "checkout",
               "config": {"tracesSampleRate": 0.2, "replaysSessionSampleRate": 0.1, "replaysOnErrorSampleRate": 1.0}})
    );
    let again = handle(
        &stack.state,
        fetch("").header("if-none-match", &etag).request(),
    )
    .await;
    assert_eq!(again.status(), 304, "unchanged: not modified");
    let (status, _) = call(&stack, &fetch("environment=staging")).await;
    assert_eq!(status, 404, "the staging configuration is inactive");
    let (status, _) = call(&stack, &fetch("environment=development")).await;
    assert_eq!(status, 404, "no such environment");

    let prod_id = prod["id"].as_str().expect("id");
    let (status, changed) = call(
        &stack,
        &HttpEvent::load("api/update-sentry-config.json")
            .path_param("id", &pid)
            .path_param("integration_id", prod_id)
            .key(k)
            .body_json(&json!({"tracesSampleRate": 0.05, "auth_token": null})),
    )
    .await;
    assert_eq!(
        (status, changed["has_auth_token"].as_bool()),
        (200, Some(false))
    );
    let changed = handle(
        &stack.state,
        fetch("").header("if-none-match", &etag).request(),
    )
    .await;
    assert_eq!(changed.status(), 200, "a new configuration, a new ETag");
    assert_ne!(changed.headers()["etag"].to_str().expect("etag"), etag);

    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/delete-sentry-config.json")
            .path_param("id", &pid)
            .path_param("integration_id", prod_id)
            .key(k),
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(&stack, &fetch("")).await;
    assert_eq!(status, 404);

    // Deleting the project takes its remaining (staging) configuration with it.
    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/delete-project.json")
            .path_param("id", &pid)
            .key(k),
    )
    .await;
    assert_eq!(status, 204);
    let project_id = faultline::domain::ProjectId::parse(&pid).expect("id");
    let left = stack
        .state
        .store
        .project_sentry_configs(&tenant, &project_id)
        .await
        .expect("read");
    assert!(left.is_empty(), "no orphaned configuration");
}

#[tokio::test]
async fn a_scan_of_the_table_finds_no_credential_in_plaintext() {
    let stack = TestStack::deploy().await;
    let (_, admin) = stack.tenant().await;
    let k = Some(admin.expose());
    let (_, project) = call(&stack, &HttpEvent::load("api/create-project.json").key(k)).await;
    let pid = project["id"].as_str().expect("project");
    call(
        &stack,
        &HttpEvent::load("api/create-sentry-config.json")
            .path_param("id", pid)
            .key(k)
            .body_json(
                &json!({"dsn": DSN, "org": "acme", "project": "checkout", "auth_token": TOKEN}),
            ),
    )
    .await;
    let provider_secret = "8f742231b10e8888abcd99yyyzzz85a5-canary";
    call(
        &stack,
        &HttpEvent::load("api/create-integration.json")
            .key(k)
            .body_json(&json!({"source": "github", "name": "repo", "secret": provider_secret})),
    )
    .await;
    let (_, endpoint) = call(&stack, &HttpEvent::load("api/create-endpoint.json").key(k)).await;
    let signing_secret = endpoint["secret"].as_str().expect("whsec").to_owned();
    let password = "correct horse battery staple canary";
    call(
        &stack,
        &HttpEvent::load("api/create-user.json").key(k).body_json(
            &json!({"email": "ana@example.com", "password": password, "role": "viewer"}),
        ),
    )
    .await;

    let dump = stack.table_dump().await;
    for (what, plaintext) in [
        ("Sentry auth token", TOKEN),
        ("provider secret", provider_secret),
        ("API key", admin.expose()),
        ("webhook signing secret", signing_secret.as_str()),
        ("password", password),
    ] {
        assert!(
            !dump.contains(plaintext),
            "the {what} is stored in plaintext"
        );
    }
    assert!(
        dump.contains("$argon2id$"),
        "the password is there, as a hash"
    );
}
