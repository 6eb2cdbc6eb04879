//! Every page renders for the scopes that read it; outsiders' text is escaped; DSNs stay masked
//! until shown; answers are compressed, uncacheable and framed by nothing; unknown pages are 404.

use crate::{api, tenant, Browser};
use faultline::domain::{Severity, SignalKind};
use faultline_testkit::TestStack;
use serde_json::json;

const DSN: &str = "https://a1b2c3d4e5f60718a1b2c3d4e5f60718@o123.ingest.sentry.io/4505";

#[tokio::test]
async fn every_section_renders_for_an_admin() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = tenant(&stack).await;
    let incident = stack
        .stored_incident(
            &tenant,
            "Disk full on db-1",
            Severity::High,
            SignalKind::Alert,
        )
        .await;
    let (_, project) = api(
        &stack,
        &key,
        "POST",
        "/v1/projects",
        Some(json!({"name": "Shop"})),
    )
    .await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    let project_page = format!(
        "/console/projects/{}",
        project["id"].as_str().unwrap_or_default()
    );
    let incident_page = format!("/console/incidents/{}", incident.id);
    for (path, heading) in [
        ("/console/incidents", "<h1>Incidents</h1>"),
        (incident_page.as_str(), "<h1>Disk full on db-1</h1>"),
        ("/console/projects", "<h1>Projects</h1>"),
        (project_page.as_str(), "<h1>Shop</h1>"),
        ("/console/endpoints", "<h1>Endpoints</h1>"),
        ("/console/exports", "<h1>Exports</h1>"),
        ("/console/reports", "<h1>Reports</h1>"),
        ("/console/integrations", "<h1>Integrations</h1>"),
        ("/console/notifications", "<h1>Notifications</h1>"),
        ("/console/access", "<h1>Users, keys and apps</h1>"),
        ("/console/audit", "<h1>Audit log</h1>"),
        ("/console/audit?verify=1", "The chain holds"),
        ("/console/settings", "<h1>Tenant settings</h1>"),
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.contains(heading), "{path}");
        assert!(
            page.body.contains("name=\"_csrf\""),
            "{path}: the sign-out form"
        );
    }
    // A viewer reads incidents, not users or the audit log: no link, and the page refuses.
    let mut viewer = Browser::new(&stack);
    viewer.sign_in(&tenant, "viewer@example.com").await;
    let page = viewer.get("/console/incidents").await;
    assert!(
        !page.body.contains("href=\"/console/access\"")
            && !page.body.contains("href=\"/console/audit\"")
    );
    assert!(page.body.contains("href=\"/console/notifications\""));
    for path in ["/console/access", "/console/audit", "/console/settings"] {
        assert_eq!(viewer.get(path).await.status, 403, "{path}");
    }
    let root = browser.get("/console").await;
    assert_eq!((root.status, root.location()), (303, "/console/incidents"));
}

#[tokio::test]
async fn a_hostile_title_is_text_everywhere_it_is_shown() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = tenant(&stack).await;
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>\" autofocus onfocus=\"x";
    let incident = stack
        .stored_incident(&tenant, hostile, Severity::Critical, SignalKind::Alert)
        .await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    for path in [
        "/console/incidents".to_owned(),
        format!("/console/incidents/{}", incident.id),
    ] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("<script>alert"), "{path}");
        assert!(!page.body.contains("<img src=x"), "{path}");
        assert!(!page.body.contains("\" autofocus"), "{path}");
        assert!(
            page.body
                .contains("&#60;script&#62;alert(1)&#60;/script&#62;")
                || page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_dsn_is_masked_until_shown_and_showing_it_needs_sentry_config_read() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = tenant(&stack).await;
    let (_, project) = api(
        &stack,
        &key,
        "POST",
        "/v1/projects",
        Some(json!({"name": "Shop"})),
    )
    .await;
    let project_id = project["id"].as_str().unwrap_or_default().to_owned();
    let (status, config) = api(
        &stack,
        &key,
        "POST",
        &format!("/v1/projects/{project_id}/sentry"),
        Some(json!({"dsn": DSN, "org": "acme", "project": "shop", "environment": "production"})),
    )
    .await;
    assert_eq!(status, 201, "{config}");
    let config_id = config["id"].as_str().unwrap_or_default();
    let mut admin = Browser::new(&stack);
    admin.sign_in(&tenant, "admin@example.com").await;
    let page = admin.get(&format!("/console/projects/{project_id}")).await;
    assert!(!page.body.contains(DSN), "the whole DSN is not in the page");
    assert!(page
        .body
        .contains("https://a1b2****@o123.ingest.sentry.io/4505"));
    assert!(page.body.contains("Copy DSN"));
    assert!(page
        .body
        .contains("/v1/integrations/sentry/shop?environment=production"));
    let shown = admin
        .get(&format!(
            "/console/projects/{project_id}/sentry/{config_id}/dsn?show=true"
        ))
        .await;
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains(DSN));
    assert!(shown.body.contains("Hide"));
    let without_js = admin
        .get(&format!(
            "/console/projects/{project_id}?reveal={config_id}"
        ))
        .await;
    assert!(without_js.body.contains(DSN));
    // A viewer reads projects, not Sentry secrets: no Show, no Copy, and the fragment is refused.
    let mut viewer = Browser::new(&stack);
    viewer.sign_in(&tenant, "viewer@example.com").await;
    let page = viewer.get(&format!("/console/projects/{project_id}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("Copy DSN") && !page.body.contains(">Show<"));
    let refused = viewer
        .get(&format!(
            "/console/projects/{project_id}/sentry/{config_id}/dsn?show=true"
        ))
        .await;
    assert_eq!(refused.status, 403);
    assert!(!refused.body.contains(DSN));
    let peek = viewer
        .get(&format!(
            "/console/projects/{project_id}?reveal={config_id}"
        ))
        .await;
    assert!(!peek.body.contains(DSN));
}

#[tokio::test]
async fn answers_are_gzipped_uncached_and_never_framed_and_assets_are_immutable() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = tenant(&stack).await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    let gzip = |browser: &Browser, path: &str| {
        browser
            .event("GET", path)
            .header("accept-encoding", "gzip, deflate, br")
    };
    let page = browser.send(gzip(&browser, "/console/incidents")).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.headers["content-encoding"], "gzip");
    assert_eq!(page.headers["cache-control"], "no-store");
    assert_eq!(page.headers["x-frame-options"], "DENY");
    let csp = page.headers["content-security-policy"]
        .to_str()
        .unwrap_or_default();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let marker = "/console/assets/htmx.min.js?v=";
    let start = page
        .body
        .find(marker)
        .expect("htmx is linked with its hash");
    assert!(page.body[start..].len() > marker.len() + 12);
    let htmx = browser
        .send(gzip(&browser, "/console/assets/htmx.min.js"))
        .await;
    assert_eq!(htmx.status, 200);
    assert_eq!(htmx.headers["content-encoding"], "gzip");
    assert_eq!(
        htmx.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(htmx.body.contains("htmx"));
}

#[tokio::test]
async fn unknown_pages_and_malformed_ids_are_404_pages_in_the_console_style() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = tenant(&stack).await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    for path in [
        "/console/nowhere",
        "/console/incidents/not-an-id",
        "/console/incidents/inc_01JD0000000000000000000000",
        "/console/assets/missing.js",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(page.body.contains("<!doctype html>"), "{path}");
        assert!(page.headers["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/html"));
    }
}

#[tokio::test]
async fn issues_and_alerts_are_told_apart_and_an_issue_shows_its_evidence_section() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = tenant(&stack).await;
    stack
        .stored_incident(
            &tenant,
            "Queue backed up",
            Severity::High,
            SignalKind::Alert,
        )
        .await;
    let issue = stack
        .stored_incident(
            &tenant,
            "TypeError in checkout",
            Severity::High,
            SignalKind::Issue,
        )
        .await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    let issues = browser.get("/console/incidents?kind=issue&status=").await;
    assert_eq!(issues.status, 200, "{}", issues.body);
    assert!(
        issues.body.contains("TypeError in checkout") && !issues.body.contains("Queue backed up")
    );
    assert!(issues.body.contains("<option value=\"issue\" selected>"));
    let page = browser
        .get(&format!("/console/incidents/{}", issue.id))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("issue from generic"));
}

#[tokio::test]
async fn an_error_page_leads_back_to_the_console_page_it_came_from_and_nowhere_else() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = tenant(&stack).await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    let missing = "/console/incidents/inc_01JD0000000000000000000000";
    let from_console = browser.event("GET", missing).header(
        "referer",
        "http://127.0.0.1:3000/console/incidents?status=open",
    );
    let page = browser.send(from_console).await;
    assert_eq!(page.status, 404);
    assert!(page
        .body
        .contains("href=\"/console/incidents?status=open\">Back to where you were"));
    for referer in [
        "https://evil.example/phish",
        "http://127.0.0.1:3000/v1/incidents",
        "http://127.0.0.1:3000/console/sign-in",
    ] {
        let page = browser
            .send(browser.event("GET", missing).header("referer", referer))
            .await;
        assert_eq!(page.status, 404);
        assert!(!page.body.contains("Back to where you were"), "{referer}");
    }
}
