//! Changes made in the console go through the API: its validation, scopes and audit entries.
//! A viewer, a read-only session or a form without the session's token changes nothing.

use crate::{api, tenant, Browser};
use faultline::domain::{Severity, SignalKind};
use faultline::queue::ExportTask;
use faultline::services::exports::run_export;
use faultline_testkit::TestStack;
use serde_json::json;

#[tokio::test]
async fn an_incident_is_acknowledged_assigned_resolved_and_reopened_and_each_change_is_audited() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = tenant(&stack).await;
    let incident = stack
        .stored_incident(
            &tenant,
            "Checkout down",
            Severity::Critical,
            SignalKind::Alert,
        )
        .await;
    let page = format!("/console/incidents/{}", incident.id);
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    let shown = browser.get(&page).await;
    assert!(shown.body.contains(">Acknowledge</button>"));
    for (form, status) in [
        (vec![("status", "acknowledged")], "acknowledged"),
        (vec![("assignee", "alice")], "acknowledged"),
        (vec![("status", "resolved")], "resolved"),
        (vec![("status", "reopened")], "open"),
    ] {
        let answer = browser.submit(&page, &page, &form).await;
        assert_eq!(
            (answer.status, answer.location()),
            (303, page.as_str()),
            "{}",
            answer.body
        );
        let (_, stored) = api(
            &stack,
            &key,
            "GET",
            &format!("/v1/incidents/{}", incident.id),
            None,
        )
        .await;
        assert_eq!(stored["status"], status, "{form:?}");
    }
    let (_, stored) = api(
        &stack,
        &key,
        "GET",
        &format!("/v1/incidents/{}", incident.id),
        None,
    )
    .await;
    assert_eq!(stored["assignee"], "alice");
    let unassigned = browser.submit(&page, &page, &[("unassign", "1")]).await;
    assert_eq!(unassigned.status, 303);
    let (_, stored) = api(
        &stack,
        &key,
        "GET",
        &format!("/v1/incidents/{}", incident.id),
        None,
    )
    .await;
    assert!(stored["assignee"].is_null());
    let (_, audit) = api(&stack, &key, "GET", "/v1/audit?limit=50", None).await;
    let changes: Vec<_> = audit["items"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "PATCH /v1/incidents/{id}")
        .collect();
    assert_eq!(changes.len(), 5, "{audit}");
    assert!(changes.iter().all(|e| e["actor"]
        .as_str()
        .unwrap_or_default()
        .starts_with("user:usr_")));
    assert!(
        changes.iter().all(|e| e["source_ip"] == "203.0.113.10"),
        "the browser's address"
    );
}

#[tokio::test]
async fn a_viewer_gets_no_write_buttons_and_the_server_refuses_the_write_anyway() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = tenant(&stack).await;
    let incident = stack
        .stored_incident(
            &tenant,
            "Look, don't touch",
            Severity::High,
            SignalKind::Alert,
        )
        .await;
    let page = format!("/console/incidents/{}", incident.id);
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "viewer@example.com").await;
    let shown = browser.get(&page).await;
    assert_eq!(shown.status, 200);
    assert!(!shown.body.contains(">Acknowledge<") && !shown.body.contains(">Assign<"));
    let refused = browser
        .submit(&page, &page, &[("status", "resolved")])
        .await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("incidents:write"));
    let (_, stored) = api(
        &stack,
        &key,
        "GET",
        &format!("/v1/incidents/{}", incident.id),
        None,
    )
    .await;
    assert_eq!(stored["status"], "open");
}

#[tokio::test]
async fn a_form_without_the_session_token_changes_nothing() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = tenant(&stack).await;
    let incident = stack
        .stored_incident(&tenant, "Forged", Severity::High, SignalKind::Alert)
        .await;
    let page = format!("/console/incidents/{}", incident.id);
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    for form in [
        vec![("status", "resolved")],
        vec![("_csrf", "nope"), ("status", "resolved")],
    ] {
        let refused = browser.post(&page, &form).await;
        assert_eq!(refused.status, 403);
        assert!(refused.body.contains("This form has expired"));
    }
    let (_, stored) = api(
        &stack,
        &key,
        "GET",
        &format!("/v1/incidents/{}", incident.id),
        None,
    )
    .await;
    assert_eq!(stored["status"], "open");
}

#[tokio::test]
async fn projects_and_sentry_configurations_are_created_and_a_bad_dsn_is_refused_with_its_reason() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = tenant(&stack).await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    let created = browser
        .submit(
            "/console/projects",
            "/console/projects",
            &[("name", "Storefront"), ("environment", "staging")],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let page = created.location().to_owned();
    let project_id = page.trim_start_matches("/console/projects/").to_owned();
    let refused = browser
        .submit(
            &page,
            &format!("{page}/sentry"),
            &[("dsn", "not a dsn"), ("org", "acme"), ("project", "shop")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("dsn"), "{}", refused.body);
    let bad_rate = browser
        .submit(
            &page,
            &format!("{page}/sentry"),
            &[
                ("dsn", "https://abcd1234@o1.ingest.sentry.io/5"),
                ("org", "acme"),
                ("project", "shop"),
                ("traces_sample_rate", "lots"),
            ],
        )
        .await;
    assert_eq!(bad_rate.status, 422);
    let saved = browser
        .submit(
            &page,
            &format!("{page}/sentry"),
            &[
                ("dsn", "https://abcd1234ef56@o1.ingest.sentry.io/5"),
                ("org", "acme"),
                ("project", "shop"),
                ("auth_token", "sntrys_secret_token"),
                ("traces_sample_rate", "0.25"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let (_, configs) = api(
        &stack,
        &key,
        "GET",
        &format!("/v1/projects/{project_id}/sentry"),
        None,
    )
    .await;
    let items = configs["items"].as_array().expect("configs");
    assert_eq!(items.len(), 1, "{configs}");
    assert_eq!(items[0]["environment"], "staging");
    assert_eq!(items[0]["tracesSampleRate"], 0.25);
    assert_eq!(items[0]["has_auth_token"], true);
    let shown = browser.get(&page).await;
    assert!(!shown.body.contains("sntrys_secret_token"));
}

#[tokio::test]
async fn endpoints_are_created_pinged_rotated_revealed_recovered_and_retried() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = tenant(&stack).await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    let list = browser.get("/console/endpoints").await;
    assert!(
        list.body.contains("value=\"incident.created\""),
        "the catalogue's event types"
    );
    let created = browser
        .submit(
            "/console/endpoints",
            "/console/endpoints",
            &[
                ("url", "https://example.com/hooks/faultline"),
                ("event_types", "incident.created"),
                ("event_types", "incident.resolved"),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(created.body.contains("whsec_"), "the secret, once");
    let (_, endpoints) = api(&stack, &key, "GET", "/v1/endpoints", None).await;
    let endpoint = &endpoints["items"][0];
    assert_eq!(
        endpoint["event_types"],
        json!(["incident.created", "incident.resolved"])
    );
    let id = endpoint["id"].as_str().unwrap_or_default().to_owned();
    let page = format!("/console/endpoints/{id}");
    let pinged = browser.submit(&page, &format!("{page}/test"), &[]).await;
    assert_eq!((pinged.status, pinged.location()), (303, page.as_str()));
    let shown = browser.get(&page).await;
    assert!(
        shown.body.contains("<code>ping</code>"),
        "the ping is in the message log"
    );
    let message_id = {
        let (_, messages) = api(
            &stack,
            &key,
            "GET",
            &format!("/v1/messages?endpoint_id={id}"),
            None,
        )
        .await;
        messages["items"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let attempts = browser.get(&format!("{page}/messages/{message_id}")).await;
    assert_eq!(attempts.status, 200);
    assert!(attempts.body.contains("<h1>Attempts</h1>"));
    assert!(message_id.starts_with("msg_"), "the ping is in the ledger");
    let retried = browser
        .submit(&page, &format!("{page}/messages/{message_id}/retry"), &[])
        .await;
    let detail = retried.body.split("error-title").nth(1).unwrap_or_default();
    assert_eq!(
        (retried.status, retried.location()),
        (303, page.as_str()),
        "{detail}"
    );
    let revealed = browser.submit(&page, &format!("{page}/secret"), &[]).await;
    assert_eq!(revealed.status, 200);
    let first = created
        .body
        .split("whsec_")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_default()
        .to_owned();
    assert!(revealed.body.contains(&first));
    let rotated = browser
        .submit(&page, &format!("{page}/rotate-secret"), &[])
        .await;
    assert_eq!(rotated.status, 200);
    assert!(rotated.body.contains("whsec_") && !rotated.body.contains(&first));
    let recovered = browser
        .submit(&page, &format!("{page}/recover"), &[("hours", "24")])
        .await;
    assert_eq!(
        browser
            .submit(&page, &format!("{page}/recover"), &[("hours", "999")])
            .await
            .status,
        422
    );
    assert_eq!(recovered.status, 303);
    let redriven = browser
        .submit("/console/endpoints", "/console/dead-letters/redrive", &[])
        .await;
    assert_eq!(redriven.status, 303, "{}", redriven.body);
    let unknown = browser.submit(&page, &format!("{page}/explode"), &[]).await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn an_export_is_queued_and_its_download_waits_for_the_file() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = tenant(&stack).await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    let created = browser
        .submit(
            "/console/exports",
            "/console/exports",
            &[
                ("resource", "incidents"),
                ("format", "csv"),
                ("title", "Weekly"),
                ("status", "open"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let (_, jobs) = api(&stack, &key, "GET", "/v1/exports", None).await;
    let job = &jobs["items"][0];
    assert_eq!(job["status"], "queued");
    assert_eq!(job["filters"]["status"], "open");
    let page = browser.get("/console/exports").await;
    assert!(page.body.contains("Weekly") && page.body.contains("hx-trigger=\"every 2s\""));
    let download = format!(
        "/console/exports/{}/download",
        job["id"].as_str().unwrap_or_default()
    );
    let early = browser.get(&download).await;
    assert_eq!(early.status, 409);
    assert!(early.body.contains("has no file yet"));
    let task: ExportTask =
        serde_json::from_value(stack.drain_queue("ExportQueue").await.remove(0)).expect("task");
    run_export(&stack.harness, &task).await.expect("written");
    let ready = browser.get("/console/exports").await;
    assert!(ready.body.contains(&format!("href=\"{download}\"")));
    assert!(
        !ready.body.contains("hx-trigger=\"every 2s\""),
        "nothing left to watch"
    );
    let link = browser.get(&download).await;
    assert_eq!(link.status, 303);
    assert!(
        link.location().contains("X-Amz-Expires=300"),
        "{}",
        link.location()
    );
    let file = reqwest::get(link.location())
        .await
        .expect("the bucket answers");
    assert_eq!(file.status(), 200);
    assert!(file.text().await.expect("csv").starts_with("id,"));
    let refused = browser
        .submit(
            "/console/exports",
            "/console/exports",
            &[("resource", "incidents"), ("format", "docx")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
}

#[tokio::test]
async fn dead_letters_are_counted_and_redriven_from_the_endpoints_page() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = tenant(&stack).await;
    let send = |queue: &'static str, body: serde_json::Value| {
        let url = stack.deployment.physical_ids[queue].clone();
        let sqs = stack.clients.sqs.clone();
        async move {
            sqs.send_message()
                .queue_url(url)
                .message_body(body.to_string())
                .send()
                .await
                .expect("sent");
        }
    };
    send(
        "EventsDeadLetterQueue",
        json!({"tenant_id": tenant, "type": "incident.created", "id": "evt_mine"}),
    )
    .await;
    send(
        "DeliveriesDeadLetterQueue",
        json!({"tenant_id": tenant, "attempt": 3}),
    )
    .await;
    send(
        "NotifyDeadLetterQueue",
        json!({"tenant_id": tenant, "destination_id": "dst_01JD0000000000000000000000", "attempt": 7}),
    )
    .await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    let page = browser.get("/console/endpoints").await;
    assert!(
        page.body.contains("3 messages of this tenant wait"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Redrive them"));
    let redriven = browser
        .submit("/console/endpoints", "/console/dead-letters/redrive", &[])
        .await;
    assert_eq!(redriven.status, 303, "{}", redriven.body);
    assert_eq!(stack.drain_queue("NotifyQueue").await.len(), 1);
    let after = browser.get("/console/endpoints").await;
    assert!(after.body.contains("0 messages of this tenant wait"));
}

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
