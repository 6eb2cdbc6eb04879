//! Ticket destinations (PagerDuty, Jira, GitHub) and an incident's tickets through the api
//! handler: checked per kind, tokens never shown, tickets opened or linked by hand, listed on
//! the incident.

use crate::call;
use crate::notifications::create_destination;
use faultline::domain::{Severity, SignalKind};
use faultline_testkit::{HttpEvent, TestStack};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const JIRA_TOKEN: &str = "ATATT3xFfGF0-a-jira-api-token";

fn jira(site: &str) -> Value {
    json!({"name": "OPS board", "kind": "jira", "site_url": site, "email": "oncall@example.com",
        "token": JIRA_TOKEN, "project_key": "OPS", "issue_type": "Bug", "labels": ["faultline"],
        "priorities": {"critical": "Highest"}, "on_regression": "new_issue"})
}

#[tokio::test]
async fn ticket_destinations_are_checked_per_kind_and_never_show_their_token() {
    let stack = TestStack::deploy().await;
    let (_, key) = stack.tenant().await;
    let key = Some(key.expose());
    let (status, created) =
        create_destination(&stack, key, jira("https://acme.atlassian.net")).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["kind"], "jira");
    assert_eq!(created["secret_masked"], "ATATT****");
    assert_eq!(created["settings"]["project_key"], "OPS");
    assert_eq!(
        created["settings"]["resolve_transition"], "Done",
        "the default"
    );
    assert_eq!(created["settings"]["on_regression"], "new_issue");
    assert!(created["settings"].get("token").is_none());
    assert!(!created.to_string().contains(JIRA_TOKEN));
    assert!(
        !stack.table_dump().await.contains(JIRA_TOKEN),
        "stored sealed"
    );

    let (status, page) = create_destination(
        &stack,
        key,
        json!({"name": "pager", "kind": "pagerduty", "routing_key": "R0123456789ABCDEF0123456789ABCDE"}),
    )
    .await;
    assert_eq!(
        (status, page["secret_masked"].as_str()),
        (201, Some("R012****")),
        "{page}"
    );
    let (status, repo) = create_destination(
        &stack,
        key,
        json!({"name": "api issues", "kind": "github", "token": "github_pat_11AAAA0test",
            "repository": "acme/api", "labels": ["incident"], "assignees": ["octocat"]}),
    )
    .await;
    assert_eq!(status, 201, "{repo}");
    assert_eq!(repo["settings"]["api_url"], "https://api.github.com");

    let mut no_email = jira("https://acme.atlassian.net");
    no_email.as_object_mut().map(|m| m.remove("email"));
    for (body, field) in [
        (
            json!({"name": "p", "kind": "pagerduty", "routing_key": "short"}),
            "routing_key",
        ),
        (json!({"name": "p", "kind": "pagerduty"}), "routing_key"),
        (no_email, "email"),
        (
            json!({"name": "j", "kind": "jira", "site_url": "https://acme.atlassian.net",
            "email": "a@example.com", "token": JIRA_TOKEN, "project_key": "ops", "issue_type": "Bug"}),
            "project_key",
        ),
        (
            json!({"name": "j", "kind": "jira", "site_url": "https://acme.atlassian.net",
            "email": "a@example.com", "token": JIRA_TOKEN, "project_key": "OPS", "issue_type": "Bug",
            "priorities": {"urgent": "Highest"}}),
            "priorities",
        ),
        (
            json!({"name": "j", "kind": "jira", "site_url": "https://acme.atlassian.net",
            "email": "a@example.com", "token": JIRA_TOKEN, "project_key": "OPS", "issue_type": "Bug",
            "on_regression": "ignore"}),
            "on_regression",
        ),
        (
            json!({"name": "j", "kind": "jira", "site_url": "https://10.0.0.8",
            "email": "a@example.com", "token": JIRA_TOKEN, "project_key": "OPS", "issue_type": "Bug"}),
            "site_url",
        ),
        (
            json!({"name": "g", "kind": "github", "token": "github_pat_11AAAA0test", "repository": "acme"}),
            "repository",
        ),
        (
            json!({"name": "g", "kind": "github", "token": "github_pat_11AAAA0test", "repository": "acme/api",
            "labels": ["has space"]}),
            "labels",
        ),
        (
            json!({"name": "g", "kind": "github", "token": "github_pat_11AAAA0test", "repository": "acme/api",
            "routing_key": "R0123456789ABCDEF0123456789ABCDE"}),
            "routing_key",
        ),
    ] {
        let (status, problem) = create_destination(&stack, key, body.clone()).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{body}: {problem}"
        );
    }

    // An update is checked whole: the regression policy changes, the token stays sealed.
    let id = created["id"].as_str().expect("id");
    let (status, updated) = call(
        &stack,
        &HttpEvent::load("api/update-destination.json")
            .path_param("id", id)
            .key(key)
            .body_json(&json!({"on_regression": "reopen", "reopen_transition": "Back to To Do"})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["settings"]["on_regression"], "reopen");
    assert_eq!(updated["settings"]["reopen_transition"], "Back to To Do");
    assert_eq!(updated["settings"]["project_key"], "OPS", "the rest kept");
}

async fn ticket(stack: &TestStack, key: Option<&str>, incident: &str, body: Value) -> (u16, Value) {
    call(
        stack,
        &HttpEvent::load("api/create-incident-ticket.json")
            .path_param("id", incident)
            .key(key)
            .body_json(&body),
    )
    .await
}

/// A Jira site whose issue creation answers `answer`.
async fn jira_site_answering_create(answer: ResponseTemplate) -> MockServer {
    let site = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .respond_with(answer)
        .mount(&site)
        .await;
    site
}

#[tokio::test]
async fn a_ticket_is_opened_now_or_linked_and_the_incident_lists_it() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let key = Some(key.expose());
    let site = jira_site_answering_create(
        ResponseTemplate::new(201).set_body_json(json!({"id": "10001", "key": "OPS-1"})),
    )
    .await;
    let (_, board) = create_destination(&stack, key, jira(&site.uri())).await;
    let board = board["id"].as_str().expect("id").to_owned();
    let (_, page) = create_destination(
        &stack,
        key,
        json!({"name": "pager", "kind": "pagerduty", "routing_key": "R0123456789ABCDEF0123456789ABCDE"}),
    )
    .await;
    let page = page["id"].as_str().expect("id").to_owned();
    let incident = stack
        .stored_incident(
            &tenant,
            "Checkout API 5xx above 5%",
            Severity::Critical,
            SignalKind::Alert,
        )
        .await;
    let id = incident.id.as_str();
    // A maintenance window holds notifications now; a ticket asked for by hand still opens.
    let now = chrono::Utc::now();
    let (status, window) = call(
        &stack,
        &HttpEvent::load("api/create-maintenance-window.json")
            .key(key)
            .body_json(&json!({"name": "release", "strategy": "suppress",
                "schedule": {"starts_at": (now - chrono::Duration::minutes(5)).to_rfc3339(),
                    "ends_at": (now + chrono::Duration::hours(1)).to_rfc3339()}})),
    )
    .await;
    assert_eq!(
        (status, window["status"].as_str()),
        (201, Some("active")),
        "{window}"
    );

    let (status, opened) = ticket(&stack, key, id, json!({"destination_id": board})).await;
    assert_eq!(status, 201, "{opened}");
    assert_eq!(opened["status"], "opened");
    assert_eq!(opened["ticket"]["key"], "OPS-1");
    assert_eq!(
        opened["ticket"]["url"],
        format!("{}/browse/OPS-1", site.uri())
    );
    let (status, problem) = ticket(&stack, key, id, json!({"destination_id": board})).await;
    assert_eq!(status, 409, "{problem}");
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("OPS-1"));

    let (status, linked) = ticket(
        &stack,
        key,
        id,
        json!({"destination_id": page, "key": "Q2CKYRLH85UNN4-dedup"}),
    )
    .await;
    assert_eq!(
        (status, linked["status"].as_str()),
        (201, Some("linked")),
        "{linked}"
    );

    let (status, shown) = call(
        &stack,
        &HttpEvent::load("api/get-incident.json")
            .path_param("id", id)
            .key(key),
    )
    .await;
    assert_eq!(status, 200, "{shown}");
    let mut keys: Vec<(String, String)> = shown["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .map(|t| {
            (
                t["kind"].as_str().unwrap_or_default().to_owned(),
                t["key"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            ("jira".into(), "OPS-1".into()),
            ("pagerduty".into(), "Q2CKYRLH85UNN4-dedup".into())
        ]
    );

    for (body, status_wanted, field) in [
        (
            json!({"destination_id": board, "key": "not a key"}),
            422,
            Some("key"),
        ),
        (json!({"destination_id": board, "key": "OPS-2"}), 409, None),
        (
            json!({"destination_id": "dst_nope"}),
            422,
            Some("destination_id"),
        ),
        (
            json!({"destination_id": page, "key": "has spaces in it"}),
            422,
            Some("key"),
        ),
    ] {
        let (status, problem) = ticket(&stack, key, id, body.clone()).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (status_wanted, field),
            "{body}: {problem}"
        );
    }
}

#[tokio::test]
async fn a_provider_that_refuses_answers_502_with_its_reason() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let key = Some(key.expose());
    let site = jira_site_answering_create(
        ResponseTemplate::new(400).set_body_json(json!({"errorMessages": [],
            "errors": {"issuetype": "Specify a valid issue type"}})),
    )
    .await;
    let (_, board) = create_destination(&stack, key, jira(&site.uri())).await;
    let incident = stack
        .stored_incident(
            &tenant,
            "Checkout API 5xx above 5%",
            Severity::Critical,
            SignalKind::Alert,
        )
        .await;
    let (status, problem) = ticket(
        &stack,
        key,
        incident.id.as_str(),
        json!({"destination_id": board["id"]}),
    )
    .await;
    assert_eq!(status, 502, "{problem}");
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("issuetype: Specify a valid issue type"));
}
