//! Never a duplicate: concurrent senders, a sender that dies between creating the ticket and
//! recording it, a provider that creates and then answers 5xx.

use crate::common::*;
use crate::jira::{jira, jira_site};
use faultline::domain::notification::ticket::{identity_label, Regression};
use faultline::domain::notification::Throttle;
use faultline::domain::EventType;
use faultline::services::notify::{notify, NotifyOutcome};
use faultline_testkit::FailingWrites;
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Jira's search answering in two pages: the first empty with a `nextPageToken` (Jira may do
/// that), the second holding `key` with the incident's label.
async fn search_finds(site: &MockServer, key: &str, label: &str) {
    Mock::given(method("POST"))
        .and(path("/rest/api/3/search/jql"))
        .and(body_partial_json(json!({"nextPageToken": "page-2"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issues": [{"id": "10077", "key": key, "fields": {"labels": ["from-faultline", label],
                "status": {"name": "To Do"}}}],
            "isLast": true})))
        .with_priority(1)
        .mount(site)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/search/jql"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"issues": [], "nextPageToken": "page-2", "isLast": false})),
        )
        .with_priority(2)
        .mount(site)
        .await;
}

#[tokio::test]
async fn two_senders_at_once_open_one_issue() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let site = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"id": "10001", "key": "OPS-1"}))
                .set_delay(std::time::Duration::from_millis(500)),
        )
        .mount(&site)
        .await;
    let jira = jira(&stack, &tenant, &site, Regression::Reopen).await;
    let opened = incident(&stack, &tenant).await;
    let one = task(
        &opened,
        EventType::IncidentCreated,
        &jira,
        Throttle::default(),
    );
    let other = task(
        &opened,
        EventType::IncidentCreated,
        &jira,
        Throttle::default(),
    );
    let another_container = stack.function_state_with(|_| {});
    let (a, b) = tokio::join!(
        notify(&stack.state, &one),
        notify(&another_container, &other)
    );
    let mut outcomes = [a.expect("handled"), b.expect("handled")];
    outcomes.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(outcomes, [NotifyOutcome::Later, NotifyOutcome::Sent]);
    // The one put back comes round again: the issue exists, nothing new to say.
    next_second(&stack);
    let again = notify(&stack.state, &other).await.expect("handled");
    assert!(matches!(again, NotifyOutcome::Held(_)), "{again:?}");
    assert_eq!(requests(&site, "POST", "/rest/api/3/issue").await.len(), 1);
}

#[tokio::test]
async fn a_sender_that_died_after_creating_is_recovered_by_search_not_by_a_second_issue() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let site = jira_site().await;
    let jira = jira(&stack, &tenant, &site, Regression::Reopen).await;
    let opened = incident(&stack, &tenant).await;
    search_finds(&site, "OPS-1", &identity_label(&opened.id)).await;
    // The first sender creates the issue, then cannot record it (it dies there): its claim stays.
    let dying = stack.function_state_failing(FailingWrites {
        operation: "PutItem",
        marker: "#NLOG#",
    });
    notify(
        &dying,
        &task(
            &opened,
            EventType::IncidentCreated,
            &jira,
            Throttle::default(),
        ),
    )
    .await
    .expect("handled");
    assert_eq!(requests(&site, "POST", "/rest/api/3/issue").await.len(), 1);
    assert!(
        log_entry(&stack, &opened, &jira).await.is_none(),
        "nothing recorded"
    );
    // Its claim lapses; the next news finds the issue by its label and comments on it.
    stack.state.clock.advance(chrono::Duration::seconds(61));
    let acknowledged = changed(&opened, acknowledge);
    let outcome = notify(
        &stack.state,
        &task(
            &acknowledged,
            EventType::IncidentUpdated,
            &jira,
            Throttle::default(),
        ),
    )
    .await
    .expect("handled");
    assert_eq!(outcome, NotifyOutcome::Sent);
    assert_eq!(
        requests(&site, "POST", "/rest/api/3/issue").await.len(),
        1,
        "one issue"
    );
    let searches = bodies(&site, "/rest/api/3/search/jql").await;
    assert_eq!(searches.len(), 2, "both pages read");
    let jql = searches[0]["jql"].as_str().unwrap_or_default();
    assert!(
        jql.contains(&format!("labels = \"{}\"", identity_label(&opened.id))),
        "{jql}"
    );
    assert_eq!(searches[1]["nextPageToken"], "page-2");
    assert_eq!(
        bodies(&site, "/rest/api/3/issue/OPS-1/comment").await.len(),
        1
    );
    let entry = log_entry(&stack, &opened, &jira)
        .await
        .expect("recorded now");
    assert_eq!(entry.ticket.expect("adopted").key, "OPS-1");
}

#[tokio::test]
async fn a_create_answered_with_a_5xx_is_looked_for_before_creating_again() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let site = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&site)
        .await;
    let jira = jira(&stack, &tenant, &site, Regression::Reopen).await;
    let opened = incident(&stack, &tenant).await;
    search_finds(&site, "OPS-7", &identity_label(&opened.id)).await;
    let first = task(
        &opened,
        EventType::IncidentCreated,
        &jira,
        Throttle::default(),
    );
    assert_eq!(
        first_then_retry(&stack.state, &stack, first).await,
        (NotifyOutcome::Later, NotifyOutcome::Sent)
    );
    assert_eq!(
        requests(&site, "POST", "/rest/api/3/issue").await.len(),
        1,
        "not created twice"
    );
    let entry = log_entry(&stack, &opened, &jira).await.expect("recorded");
    assert_eq!(entry.ticket.expect("found").key, "OPS-7");
    let ledger = ledger(&stack, &tenant).await;
    assert!(ledger[0]["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("found the issue"));
}

#[tokio::test]
async fn a_clean_first_attempt_does_not_search() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let site = jira_site().await;
    let jira = jira(&stack, &tenant, &site, Regression::Reopen).await;
    let opened = incident(&stack, &tenant).await;
    notify(
        &stack.state,
        &task(
            &opened,
            EventType::IncidentCreated,
            &jira,
            Throttle::default(),
        ),
    )
    .await
    .expect("handled");
    assert!(requests(&site, "POST", "/rest/api/3/search/jql")
        .await
        .is_empty());
    assert_eq!(requests(&site, "POST", "/rest/api/3/issue").await.len(), 1);
}

#[tokio::test]
async fn data_center_recovers_with_its_v2_search() {
    use faultline::domain::notification::ticket::JiraDeployment;
    use faultline::domain::notification::Target;
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let site = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/2/issue"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&site)
        .await;
    let uri = site.uri();
    let jira = destination_of(&stack, &tenant, move |cipher, context| {
        let Target::Jira(mut project) =
            crate::jira::project(&uri, Regression::Reopen)(cipher, context)
        else {
            unreachable!()
        };
        project.deployment = JiraDeployment::DataCenter;
        project.email = None;
        Target::Jira(project)
    })
    .await;
    let opened = incident(&stack, &tenant).await;
    Mock::given(method("POST"))
        .and(path("/rest/api/2/search"))
        .and(body_partial_json(json!({"startAt": 0})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"startAt": 0, "total": 1,
            "issues": [{"id": "900", "key": "OPS-900", "fields": {"labels": [identity_label(&opened.id)]}}]})))
        .mount(&site)
        .await;
    let first = task(
        &opened,
        EventType::IncidentCreated,
        &jira,
        Throttle::default(),
    );
    assert_eq!(
        first_then_retry(&stack.state, &stack, first).await,
        (NotifyOutcome::Later, NotifyOutcome::Sent)
    );
    assert_eq!(requests(&site, "POST", "/rest/api/2/issue").await.len(), 1);
    let entry = log_entry(&stack, &opened, &jira).await.expect("recorded");
    assert_eq!(entry.ticket.expect("found").key, "OPS-900");
}
