//! The GitHub handler, fed the real payloads in tests/fixtures/providers/, against a stack on
//! the emulator.

use faultline::domain::{Integration, Source, TenantId};
use faultline::signing::hmac_sha256::hmac_sha256;
use faultline::store::PageRequest;
use faultline_testkit::{incompressible, json_of, provider_fixture, HttpEvent, TestStack};
use faultline_webhook_github::handle;
use serde_json::{json, Value};

const SECRET: &str = "It's a Secret to Everybody";

fn delivery(integration: &Integration, event: &str, body: &[u8], delivery_id: &str) -> HttpEvent {
    let signature = format!(
        "sha256={}",
        hex::encode(hmac_sha256(SECRET.as_bytes(), body))
    );
    HttpEvent::load("webhook-github/receive.json")
        .path_param("integration_id", integration.id.as_str())
        .header("x-github-event", event)
        .header("x-github-delivery", delivery_id)
        .body_bytes(body)
        .header("x-hub-signature-256", &signature)
}

async fn setup() -> (TestStack, TenantId, Integration) {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let integration = stack
        .integration(&tenant, Source::Github, Some(SECRET), Value::Null)
        .await;
    (stack, tenant, integration)
}

#[tokio::test]
async fn the_sample_merged_pull_request_with_its_signature_records_a_deploy() {
    let (stack, tenant, integration) = setup().await;
    let event = HttpEvent::load("webhook-github/receive.json")
        .path_param("integration_id", integration.id.as_str());

    let (status, body) = json_of(&handle(&stack.state, event.request()).await);

    assert_eq!(status, 202, "{body}");
    assert!(body["change_id"]
        .as_str()
        .unwrap_or_default()
        .starts_with("chg_"));
    let merged_at = chrono::DateTime::parse_from_rfc3339("2020-03-23T06:46:56Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    let changes = stack
        .state
        .store
        .deploys_between(&tenant, merged_at - chrono::Duration::minutes(1), merged_at)
        .await
        .expect("changes");
    assert_eq!(changes.len(), 1);
    let change = &changes[0];
    assert_eq!(
        (change.repo.as_str(), change.number, change.author.as_str()),
        ("robvanderleek/create-issue-branch", 117, "robvanderleek")
    );
    assert_eq!(change.title, "Revert \"Update README.md\"");
    assert_eq!(
        change.merge_commit.as_deref(),
        Some("5a47c3f3c22f54f37a3297f2f1c98d860fba4489")
    );
    assert_eq!(
        change.url,
        "https://github.com/robvanderleek/create-issue-branch/pull/117"
    );
    let events = stack.published_events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["type"], "deploy.recorded");
    assert_eq!(events[0]["data"]["number"], 117);
}

#[tokio::test]
async fn a_merge_lands_on_the_timeline_of_open_incidents_in_scope() {
    let (stack, tenant, integration) = setup().await;
    let generic = stack.generic_integration(&tenant, None).await;
    let alert = HttpEvent::load("webhook-generic/receive.json")
        .path_param("integration_id", generic.id.as_str())
        .without_header("x-signature-256");
    let (_, opened) = json_of(&faultline_webhook_generic_handle(&stack, alert).await);
    stack.published_events().await;

    let body = provider_fixture("github_pull_request_merged.json");
    let (status, result) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, "pull_request", &body, "d1").request(),
        )
        .await,
    );

    assert_eq!(
        (status, result["attached_to_incidents"].as_u64()),
        (202, Some(1)),
        "{result}"
    );
    let id =
        faultline::domain::IncidentId::parse(opened["incident_id"].as_str().unwrap_or_default())
            .expect("id");
    let timeline = stack
        .state
        .store
        .incident_timeline(&tenant, &id, &PageRequest::default())
        .await
        .expect("timeline");
    let deploy = timeline
        .items
        .iter()
        .find(|e| e.kind == "deploy")
        .expect("a deploy line");
    assert!(deploy
        .message
        .contains("robvanderleek/create-issue-branch#117"));
    let types: Vec<Value> = stack
        .published_events()
        .await
        .iter()
        .map(|e| e["type"].clone())
        .collect();
    assert!(types.contains(&json!("timeline.updated")), "{types:?}");
}

async fn faultline_webhook_generic_handle(
    stack: &TestStack,
    event: HttpEvent,
) -> lambda_http::Response<lambda_http::Body> {
    // The generic source through the same shared edge and pipeline the generic function uses.
    faultline::http::handle_webhook(
        &stack.harness,
        event.request(),
        &faultline::sources::generic::GenericSource,
    )
    .await
}

#[tokio::test]
async fn closed_unmerged_pings_and_other_events_change_nothing() {
    let (stack, tenant, integration) = setup().await;
    let cases = [
        (
            "pull_request",
            provider_fixture("github_pull_request_closed_unmerged.json"),
            202,
            "ignored",
        ),
        ("ping", provider_fixture("github_ping.json"), 200, "pong"),
        (
            "ping",
            provider_fixture("github_ping_app.json"),
            200,
            "pong",
        ),
        ("issues", br#"{"action":"opened"}"#.to_vec(), 202, "ignored"),
    ];
    for (i, (event, body, status, outcome)) in cases.into_iter().enumerate() {
        let (got, result) = json_of(
            &handle(
                &stack.state,
                delivery(&integration, event, &body, &format!("d{i}")).request(),
            )
            .await,
        );
        assert_eq!(
            (got, result["status"].as_str()),
            (status, Some(outcome)),
            "{event}: {result}"
        );
    }
    let now = chrono::Utc::now();
    let changes = stack
        .state
        .store
        .deploys_between(&tenant, now - chrono::Duration::days(20000), now)
        .await
        .expect("changes");
    assert!(changes.is_empty());
    assert!(stack.published_events().await.is_empty());
}

#[tokio::test]
async fn bad_signatures_are_refused_and_redeliveries_change_nothing() {
    let (stack, tenant, integration) = setup().await;
    let body = provider_fixture("github_pull_request_merged.json");
    let signed = delivery(&integration, "pull_request", &body, "same");

    let (status, _) = json_of(
        &handle(
            &stack.state,
            signed
                .clone()
                .header("x-hub-signature-256", "sha256=00")
                .request(),
        )
        .await,
    );
    assert_eq!(status, 401);
    let (status, _) = json_of(
        &handle(
            &stack.state,
            signed
                .clone()
                .without_header("x-hub-signature-256")
                .request(),
        )
        .await,
    );
    assert_eq!(status, 401);
    let (first, _) = json_of(&handle(&stack.state, signed.request()).await);
    let (again, dup) = json_of(&handle(&stack.state, signed.request()).await);
    assert_eq!(
        (first, again, dup["status"].as_str()),
        (202, 200, Some("duplicate"))
    );
    // A captured delivery replayed under a new (unsigned) delivery id is still the same signed
    // body: refused as a duplicate too.
    let replayed = signed.clone().header("x-github-delivery", "a-fresh-guid");
    let (status, dup) = json_of(&handle(&stack.state, replayed.request()).await);
    assert_eq!(
        (status, dup["reason"].as_str()),
        (200, Some("same signed body")),
        "{dup}"
    );
    let now = chrono::Utc::now();
    let changes = stack
        .state
        .store
        .deploys_between(&tenant, now - chrono::Duration::days(20000), now)
        .await
        .expect("changes");
    assert_eq!(changes.len(), 1);
    let (status, _) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, "pull_request", b"{not json", "x").request(),
        )
        .await,
    );
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_record_without_a_secret_accepts_nothing() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let unsecured = stack
        .integration(&tenant, Source::Github, None, Value::Null)
        .await;
    for event in [
        HttpEvent::load("webhook-github/receive.json"),
        HttpEvent::load("webhook-github/receive.json").without_header("x-hub-signature-256"),
    ] {
        let request = event
            .path_param("integration_id", unsecured.id.as_str())
            .request();
        let (status, problem) = json_of(&handle(&stack.state, request).await);
        assert_eq!(status, 401, "{problem}");
    }
    assert!(stack.incidents(&tenant).await.is_empty());
    assert_eq!(stack.received_requests().await, 0, "nothing recorded");
}

/// A delivery too large to keep inside its record is archived in S3 and accepted all the same.
#[tokio::test]
async fn a_large_delivery_is_archived_in_s3_and_accepted() {
    let (stack, _, integration) = setup().await;
    let mut payload: Value =
        serde_json::from_slice(&provider_fixture("github_pull_request_merged.json")).expect("json");
    payload["padding"] = json!(incompressible(16 * 1024));
    let body = serde_json::to_vec(&payload).expect("json");
    let (status, accepted) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, "pull_request", &body, "large-1").request(),
        )
        .await,
    );
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(stack.received_requests().await, 1);
    assert_eq!(stack.archived_objects().await, 1, "kept in S3, not inline");
}

/// An `issues` event as GitHub sends it (the fields of octokit's `issues/reopened` example):
/// issue `number` of `acme/api`, its body carrying `body`.
fn issue_event(action: &str, number: u64, body: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "action": action,
        "issue": {"number": number, "html_url": format!("https://github.com/acme/api/issues/{number}"),
            "title": "[CRITICAL] Checkout API 5xx above 5%", "state": if action == "closed" { "closed" } else { "open" },
            "state_reason": if action == "closed" { Value::from("completed") } else { Value::Null },
            "labels": [{"name": "incident"}], "body": body},
        "repository": {"full_name": "acme/api", "name": "api"},
        "sender": {"login": "octocat", "type": "User"}
    }))
    .expect("JSON")
}

#[tokio::test]
async fn an_issue_the_hub_opened_closed_resolves_its_incident_and_reopened_reopens_it() {
    use faultline::domain::notification::ticket::identity_marker;
    use faultline::domain::notification::DestinationKind;
    let (stack, tenant, integration) = setup().await;
    let (incident, destination) = stack
        .incident_with_ticket(&tenant, DestinationKind::Github, "acme/api#42")
        .await;
    let body = format!("…\n\n{}", identity_marker(&incident.id));
    let status_now = || async {
        stack
            .harness
            .store
            .get_incident(&tenant, &incident.id)
            .await
            .expect("read")
            .expect("exists")
            .status
            .as_str()
            .to_owned()
    };
    let closed = issue_event("closed", 42, &body);
    let (status, answer) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, "issues", &closed, "i1").request(),
        )
        .await,
    );
    assert_eq!(
        (status, answer["change"].as_str()),
        (202, Some("applied")),
        "{answer}"
    );
    assert_eq!(answer["destination_id"], destination.id.as_str());
    assert_eq!(status_now().await, "resolved");

    let reopened = issue_event("reopened", 42, &body);
    let (status, answer) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, "issues", &reopened, "i2").request(),
        )
        .await,
    );
    assert_eq!(
        (status, answer["change"].as_str()),
        (202, Some("applied")),
        "{answer}"
    );
    assert_eq!(status_now().await, "open");

    // Another issue carrying the same marker is not the linked one: nothing changes.
    let other = issue_event("closed", 43, &body);
    let (status, answer) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, "issues", &other, "i3").request(),
        )
        .await,
    );
    assert_eq!(
        (status, answer["status"].as_str()),
        (202, Some("ignored")),
        "{answer}"
    );
    assert_eq!(status_now().await, "open");
    // An issue the hub never opened is ignored, saying so.
    let foreign = issue_event("closed", 7, "a person's bug report");
    let (status, answer) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, "issues", &foreign, "i4").request(),
        )
        .await,
    );
    assert_eq!(
        (status, answer["status"].as_str()),
        (202, Some("ignored")),
        "{answer}"
    );
}

#[tokio::test]
async fn a_comment_on_an_issue_the_hub_opened_goes_onto_the_timeline_but_not_the_hubs_own() {
    use faultline::domain::notification::ticket::identity_marker;
    use faultline::domain::notification::DestinationKind;
    let (stack, tenant, integration) = setup().await;
    let (incident, _) = stack
        .incident_with_ticket(&tenant, DestinationKind::Github, "acme/api#42")
        .await;
    let marker = identity_marker(&incident.id);
    let comment = |text: &str| {
        let mut event: Value =
            serde_json::from_slice(&issue_event("opened", 42, &format!("…\n\n{marker}")))
                .expect("JSON");
        event["action"] = json!("created");
        event["comment"] = json!({"id": 7, "body": text, "user": {"login": "octocat"}});
        serde_json::to_vec(&event).expect("JSON")
    };
    let written = comment("Rolled back the deploy; watching the error rate.");
    let (status, answer) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, "issue_comment", &written, "c1").request(),
        )
        .await,
    );
    assert_eq!(
        (status, answer["change"].as_str()),
        (202, Some("annotated")),
        "{answer}"
    );
    let ours = comment(&format!("**Resolved.** …\n\n{marker}"));
    let (status, answer) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, "issue_comment", &ours, "c2").request(),
        )
        .await,
    );
    assert_eq!(
        (status, answer["status"].as_str()),
        (202, Some("ignored")),
        "{answer}"
    );
    let timeline = stack
        .harness
        .store
        .incident_timeline(&tenant, &incident.id, &Default::default())
        .await
        .expect("timeline");
    let comments: Vec<&str> = timeline
        .items
        .iter()
        .filter(|line| line.kind == "comment")
        .map(|line| line.message.as_str())
        .collect();
    assert_eq!(
        comments,
        ["octocat on GitHub commented on acme/api#42: Rolled back the deploy; watching the error rate."]
    );
}
