use crate::common::*;
use faultline::domain::notification::ticket::{identity_label, identity_marker, GithubRepository};
use faultline::domain::notification::{Destination, Target, Throttle};
use faultline::domain::{EventType, IncidentStatus, TenantId};
use faultline::services::notify::{notify, NotifyOutcome};
use faultline_testkit::TestStack;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "github_pat_11AAAAAA0test";
const ISSUES: &str = "/repos/acme/api/issues";

/// GitHub's REST API for `acme/api`: creates issue 42, takes comments and state changes; every
/// call must carry the token, the media type and the API version.
async fn github_api() -> MockServer {
    let server = MockServer::start().await;
    let authorised = |mock: wiremock::MockBuilder| {
        mock.and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(header("accept", "application/vnd.github+json"))
            .and(header("x-github-api-version", "2022-11-28"))
    };
    authorised(Mock::given(method("POST")).and(path(ISSUES)))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"id": 1, "number": 42,
            "html_url": "https://github.com/acme/api/issues/42", "state": "open"})),
        )
        .mount(&server)
        .await;
    authorised(Mock::given(method("POST")).and(path(format!("{ISSUES}/42/comments"))))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 7})))
        .mount(&server)
        .await;
    authorised(Mock::given(method("PATCH")).and(path(format!("{ISSUES}/42"))))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"number": 42})))
        .mount(&server)
        .await;
    server
}

async fn repository(stack: &TestStack, tenant: &TenantId, api: &MockServer) -> Destination {
    let api_url = api.uri();
    destination_of(stack, tenant, move |cipher, context| {
        Target::Github(GithubRepository {
            api_url,
            repository: "acme/api".into(),
            token: cipher.seal(TOKEN, context),
            masked: "githu****".into(),
            labels: vec!["incident".into()],
            assignees: vec!["octocat".into()],
        })
    })
    .await
}

#[tokio::test]
async fn an_issue_is_opened_commented_closed_as_completed_and_reopened() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let api = github_api().await;
    let repo = repository(&stack, &tenant, &api).await;
    let opened = incident(&stack, &tenant).await;
    let acknowledged = changed(&opened, acknowledge);
    let resolved = changed(&acknowledged, resolve);
    let regressed = changed(&resolved, |i| i.status = IncidentStatus::Open);
    for (incident, event_type) in [
        (&opened, EventType::IncidentCreated),
        (&acknowledged, EventType::IncidentUpdated),
        (&resolved, EventType::IncidentResolved),
        (&regressed, EventType::IncidentUpdated),
    ] {
        let outcome = notify(
            &stack.state,
            &task(incident, event_type, &repo, Throttle::default()),
        )
        .await
        .expect("notified");
        assert_eq!(outcome, NotifyOutcome::Sent, "{event_type:?}");
        next_second(&stack);
    }
    let creates = bodies(&api, ISSUES).await;
    assert_eq!(creates.len(), 1);
    assert_eq!(creates[0]["title"], "[CRITICAL] Checkout API 5xx above 5%");
    assert!(creates[0]["body"]
        .as_str()
        .unwrap_or_default()
        .ends_with(&identity_marker(&opened.id)));
    assert_eq!(
        creates[0]["labels"],
        json!(["incident", identity_label(&opened.id)])
    );
    assert_eq!(creates[0]["assignees"], json!(["octocat"]));
    let states = bodies(&api, &format!("{ISSUES}/42")).await;
    assert_eq!(
        states,
        [
            json!({"state": "closed", "state_reason": "completed"}),
            json!({"state": "open"})
        ]
    );
    let comments: Vec<String> = bodies(&api, &format!("{ISSUES}/42/comments"))
        .await
        .iter()
        .map(|c| c["body"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(comments.len(), 3);
    assert!(comments[0].starts_with("**Acknowledged.**"));
    assert!(comments[1].starts_with("**Resolved.**"));
    assert!(comments[2].starts_with("**Regressed.**"));
    let entry = log_entry(&stack, &opened, &repo).await.expect("logged");
    let ticket = entry.ticket.expect("remembered");
    assert_eq!(
        (ticket.key.as_str(), ticket.id.as_str()),
        ("acme/api#42", "42")
    );
}

/// A repository whose create answers `response`.
async fn answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ISSUES))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

async fn first_attempt(stack: &TestStack, api: &MockServer) -> (NotifyOutcome, String) {
    let (tenant, _) = stack.tenant().await;
    let repo = repository(stack, &tenant, api).await;
    let opened = incident(stack, &tenant).await;
    let outcome = notify(
        &stack.state,
        &task(
            &opened,
            EventType::IncidentCreated,
            &repo,
            Throttle::default(),
        ),
    )
    .await
    .expect("handled");
    let detail = ledger(stack, &tenant).await[0]["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (outcome, detail)
}

#[tokio::test]
async fn rate_limits_wait_for_the_reset_or_a_minute_and_a_forbidden_token_fails_for_good() {
    let stack = stack().await;
    let reset = chrono::Utc::now().timestamp() + 300;
    let primary = answering(
        ResponseTemplate::new(403)
            .insert_header("x-ratelimit-limit", "5000")
            .insert_header("x-ratelimit-remaining", "0")
            .insert_header("x-ratelimit-reset", reset.to_string().as_str())
            .set_body_json(json!({"message": "API rate limit exceeded for user ID 1."})),
    )
    .await;
    let (outcome, detail) = first_attempt(&stack, &primary).await;
    assert_eq!(outcome, NotifyOutcome::Later);
    let wait: u64 = detail
        .rsplit("next attempt in ")
        .next()
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a wait");
    assert!((290..=302).contains(&wait), "until the reset: {detail}");

    let secondary = answering(ResponseTemplate::new(403).set_body_json(json!({
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})))
    .await;
    let (outcome, detail) = first_attempt(&stack, &secondary).await;
    assert_eq!(outcome, NotifyOutcome::Later);
    assert!(detail.contains("next attempt in 60 s"), "{detail}");

    let retry_after =
        answering(ResponseTemplate::new(429).insert_header("retry-after", "90")).await;
    let (outcome, detail) = first_attempt(&stack, &retry_after).await;
    assert_eq!(outcome, NotifyOutcome::Later);
    assert!(detail.contains("next attempt in 90 s"), "{detail}");

    let forbidden = answering(
        ResponseTemplate::new(403)
            .set_body_json(json!({"message": "Resource not accessible by personal access token"})),
    )
    .await;
    let (outcome, detail) = first_attempt(&stack, &forbidden).await;
    assert_eq!(outcome, NotifyOutcome::Failed);
    assert!(detail.contains("Resource not accessible"), "{detail}");
}

#[tokio::test]
async fn an_unanswered_create_is_found_by_its_label_and_marker_before_creating_again() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ISSUES))
        .respond_with(ResponseTemplate::new(500))
        .mount(&api)
        .await;
    let repo = repository(&stack, &tenant, &api).await;
    let opened = incident(&stack, &tenant).await;
    let label = identity_label(&opened.id);
    Mock::given(method("GET"))
        .and(path(ISSUES))
        .and(query_param("labels", label.as_str()))
        .and(query_param("state", "all"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"number": 41, "html_url": "https://github.com/acme/api/pull/41", "body": identity_marker(&opened.id), "pull_request": {}},
            {"number": 43, "html_url": "https://github.com/acme/api/issues/43", "body": format!("…\n\n{}", identity_marker(&opened.id))},
        ])))
        .mount(&api)
        .await;
    let first = task(
        &opened,
        EventType::IncidentCreated,
        &repo,
        Throttle::default(),
    );
    assert_eq!(
        first_then_retry(&stack.state, &stack, first).await,
        (NotifyOutcome::Later, NotifyOutcome::Sent)
    );
    assert_eq!(
        requests(&api, "POST", ISSUES).await.len(),
        1,
        "not created twice"
    );
    let entry = log_entry(&stack, &opened, &repo).await.expect("recorded");
    assert_eq!(
        entry.ticket.expect("found").key,
        "acme/api#43",
        "the issue, not the pull request"
    );
}
