//! Changes made in the console go through the API: its validation, scopes and audit entries.
//! A viewer, a read-only session or a form without the session's token changes nothing.

use crate::{api, tenant, Browser};
use faultline::domain::{Severity, SignalKind};
use faultline_testkit::TestStack;

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
