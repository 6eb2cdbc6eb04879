//! `GET /v1/events/{id}`: in-app frames that came without source lines get them from GitHub (a
//! local server answering as the contents API) at the event's release commit, read once.

use crate::call;
use faultline::domain::notification::{Destination, DestinationKind};
use faultline::domain::DestinationId;
use faultline::sources::sentry_api::latest_event;
use faultline_testkit::{provider_fixture, ticket_target, HttpEvent, TestStack};
use serde_json::Value;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const COMMIT: &str = "e48e7b5b90327ea1a4d1a4360c735eee7b536f82";
const TOKEN: &str = "github_pat_code_context_canary";

#[tokio::test]
async fn frames_without_source_lines_get_them_from_github_at_the_release_commit() {
    let stack = TestStack::deploy().await;
    let (tenant, admin) = stack.tenant().await;
    let github = MockServer::start().await;
    let source: String = (1..=20).map(|n| format!("line {n} of flow.py\n")).collect();
    Mock::given(method("GET"))
        .and(path("/repos/acme/api/contents/pump/flow.py"))
        .and(query_param("ref", COMMIT))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("accept", "application/vnd.github.raw+json"))
        .respond_with(ResponseTemplate::new(200).set_body_string(source))
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_string(r#"{"message": "Not Found"}"#))
        .mount(&github)
        .await;
    let id = DestinationId::generate();
    let cipher = stack.harness.cipher().await.expect("data key");
    let sealed = cipher.seal(TOKEN, &Destination::secret_context_for(&tenant, &id));
    let now = stack.harness.clock.now();
    stack
        .harness
        .store
        .create_destination(&Destination {
            target: ticket_target(DestinationKind::Github, Some(&github.uri()), sealed),
            id,
            tenant_id: tenant.clone(),
            name: "issues".into(),
            enabled: true,
            created_at: now,
            updated_at: now,
        })
        .await
        .expect("destination");
    let body: Value =
        serde_json::from_slice(&provider_fixture("sentry_api_issue_event_latest.json"))
            .expect("JSON");
    let mut event = latest_event(&body, "1", None).expect("event");
    // A third frame whose file GitHub does not have.
    let mut missing = event.exceptions[0].frames[1].clone();
    missing.filename = Some("vendor/gone.py".into());
    event.exceptions[0].frames.push(missing);
    stack
        .harness
        .store
        .put_error_event(&tenant, &event)
        .await
        .expect("stored");

    let get = HttpEvent::load("api/get-error-event.json")
        .path_param("id", &event.event_id)
        .key(Some(admin.expose()));
    let (status, shown) = call(&stack, &get).await;
    assert_eq!(status, 200, "{shown}");
    let frames = &shown["exceptions"][0]["frames"];
    assert_eq!(frames[1]["context_line"], "line 12 of flow.py");
    assert_eq!(frames[1]["pre_context"].as_array().map(Vec::len), Some(5));
    assert_eq!(frames[1]["post_context"][0], "line 13 of flow.py");
    assert_eq!(
        frames[1]["context_from"],
        format!("github:acme/api@{COMMIT}:pump/flow.py")
    );
    assert_eq!(
        frames[0]["context_line"], "    return rate(flow)",
        "sent lines stay"
    );
    assert!(frames[0].get("context_from").is_none());
    assert_eq!(
        frames[2]["context_line"],
        Value::Null,
        "not in the repository"
    );
    assert!(!shown.to_string().contains(TOKEN));
    let asked = github.received_requests().await.expect("recorded").len();

    let (_, again) = call(&stack, &get).await;
    assert_eq!(
        again["exceptions"][0]["frames"][1]["context_line"],
        "line 12 of flow.py"
    );
    assert_eq!(
        github.received_requests().await.expect("recorded").len(),
        asked,
        "read once: the event is kept enriched and the missing file remembered"
    );
}
