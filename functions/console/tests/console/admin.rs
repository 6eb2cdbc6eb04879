//! Integrations (and replaying what they received), users, keys, third-party apps and
//! maintenance windows created from the console, through the API.

use crate::{api, tenant, Browser};
use faultline_testkit::TestStack;
use serde_json::json;

#[tokio::test]
async fn integrations_users_keys_and_apps_are_created_and_secrets_are_shown_once() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = tenant(&stack).await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    let created = browser
        .submit(
            "/console/integrations",
            "/console/integrations",
            &[
                ("source", "github"),
                ("name", "Monorepo"),
                ("secret", "github-webhook-secret-123"),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(
        created.body.contains("/v1/hooks/github/int_"),
        "the webhook URL"
    );
    assert!(
        created.body.contains("Settings → Webhooks"),
        "GitHub's setup steps"
    );
    assert!(
        !created.body.contains("github-webhook-secret-123"),
        "a secret entered is never shown"
    );
    let unsigned_github = browser
        .submit(
            "/console/integrations",
            "/console/integrations",
            &[("source", "github"), ("name", "x"), ("unsigned", "1")],
        )
        .await;
    assert_eq!(unsigned_github.status, 422, "{}", unsigned_github.body);

    let user = browser
        .submit(
            "/console/access",
            "/console/access",
            &[
                ("action", "create-user"),
                ("email", "new@example.com"),
                ("password", "a long enough password"),
                ("role", "developer"),
            ],
        )
        .await;
    assert_eq!(user.status, 303, "{}", user.body);
    let (_, users) = api(&stack, &key, "GET", "/v1/users", None).await;
    assert!(users.to_string().contains("new@example.com"));

    let made = browser
        .submit(
            "/console/access",
            "/console/access",
            &[
                ("action", "create-key"),
                ("name", "ci"),
                ("scopes", "incidents:read"),
            ],
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let shown = made
        .body
        .split("id=\"created-secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_default()
        .to_owned();
    assert!(shown.starts_with("sk_"), "{shown}");
    let again = browser.get("/console/access").await;
    assert!(!again.body.contains(&shown), "the key is shown once");
    let key_id = shown
        .trim_start_matches("sk_")
        .split('_')
        .next()
        .unwrap_or_default()
        .to_owned();
    let revoked = browser
        .submit(
            "/console/access",
            "/console/access",
            &[("action", "revoke-key"), ("id", &key_id)],
        )
        .await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    let (status, _) = api(&stack, &shown, "GET", "/v1/incidents", None).await;
    assert_eq!(status, 401, "the revoked key no longer works");

    let app = browser
        .submit(
            "/console/access",
            "/console/access",
            &[
                ("action", "create-app"),
                ("name", "Status page"),
                ("redirect_uris", "https://status.example.com/cb"),
                ("scopes", "incidents:read"),
            ],
        )
        .await;
    assert_eq!(app.status, 200, "{}", app.body);
    assert!(app.body.contains("client secret of app") && app.body.contains("cs_"));
    let bad_app = browser
        .submit(
            "/console/access",
            "/console/access",
            &[
                ("action", "create-app"),
                ("name", "Bad"),
                ("redirect_uris", "http://status.example.com/cb"),
            ],
        )
        .await;
    assert_eq!(bad_app.status, 422);
}

#[tokio::test]
async fn an_integrations_recent_deliveries_are_shown_and_replayed() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = tenant(&stack).await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    let created = browser
        .submit(
            "/console/integrations",
            "/console/integrations",
            &[
                ("source", "generic"),
                ("name", "Alertmanager"),
                ("unsigned", "1"),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(created.body.contains("Nothing received yet."));
    let (_, integrations) = api(&stack, &key, "GET", "/v1/integrations", None).await;
    let id = integrations["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let received = faultline::http::handle_webhook(
        &stack.harness,
        faultline_testkit::HttpEvent::load("webhook-generic/receive.json")
            .path_param("integration_id", &id)
            .without_header("x-signature-256")
            // Large enough for the S3 archive, so the replay reads it from there.
            .body_json(&json!({
                "title": "Replay me",
                "attributes": {"dump": faultline_testkit::incompressible(16 * 1024)}
            }))
            .request(),
        &faultline::sources::generic::GenericSource,
    )
    .await;
    assert_eq!(received.status(), 202);
    let page = format!("/console/integrations/{id}");
    let shown = browser.get(&page).await;
    assert!(shown.body.contains(">Replay</button>"), "{}", shown.body);
    let delivery = shown
        .body
        .split("<code>dlv_")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .map(|rest| format!("dlv_{rest}"))
        .expect("a delivery id");
    let replayed = browser
        .submit(&page, &format!("{page}/deliveries/{delivery}/replay"), &[])
        .await;
    assert_eq!(
        (replayed.status, replayed.location()),
        (303, page.as_str()),
        "{}",
        replayed.body
    );
    let (_, audit) = api(&stack, &key, "GET", "/v1/audit?limit=20", None).await;
    assert!(audit
        .to_string()
        .contains("POST /v1/hooks/deliveries/{id}/replay"));
}

#[tokio::test]
async fn a_maintenance_window_is_created_and_previewed() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = tenant(&stack).await;
    let incidents =
        faultline_testkit::synthetic_incidents(&tenant, 1, chrono::Utc::now(), |_, incident| {
            incident.title = "Replica lag on db".into();
            incident.service = Some("db".into());
            incident.status = faultline::domain::IncidentStatus::Open;
            incident.acknowledged_at = None;
            incident.resolved_at = None;
        });
    stack
        .harness
        .store
        .import_incidents(&incidents)
        .await
        .expect("stored");
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    let refused = browser
        .submit(
            "/console/notifications",
            "/console/maintenance-windows",
            &[
                ("name", "Too long"),
                ("starts_at", "now"),
                ("minutes", "99999"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    let created = browser
        .submit(
            "/console/notifications",
            "/console/maintenance-windows",
            &[
                ("name", "DB failover"),
                ("starts_at", "now"),
                ("minutes", "30"),
                ("services", "db"),
                ("strategy", "suppress"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    assert!(created.location().ends_with("/preview"));
    let preview = browser.get(created.location()).await;
    assert_eq!(preview.status, 200);
    assert!(preview.body.contains("The window is active now."));
    assert!(
        preview.body.contains("Replica lag on db"),
        "{}",
        preview.body
    );
    let (_, windows) = api(&stack, &key, "GET", "/v1/maintenance-windows", None).await;
    assert_eq!(windows["items"][0]["name"], "DB failover");
    let page = browser.get("/console/notifications").await;
    assert!(page.body.contains("DB failover") && page.body.contains(">Preview</a>"));
}
