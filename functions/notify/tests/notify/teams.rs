use crate::common::*;
use faultline::domain::notification::Throttle;
use faultline::domain::EventType;
use faultline::notify::teams::MAX_CARD_BYTES;
use faultline::services::notify::{notify, NotifyOutcome};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const FLOW: &str = "/workflows/abc/triggers/manual/paths/invoke";

#[tokio::test]
async fn a_workflow_gets_an_adaptive_card_under_20_kb_and_a_202_is_only_accepted() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(FLOW))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    let teams = destination(
        &stack,
        &tenant,
        Reach::Teams(&format!("{}{FLOW}", server.uri())),
    )
    .await;
    let mut opened = incident(&stack, &tenant).await;
    opened.description = Some("stack trace line\n".repeat(5_000));

    let outcome = notify(
        &stack.state,
        &task(
            &opened,
            EventType::IncidentCreated,
            &teams,
            Throttle::default(),
        ),
    )
    .await;

    assert_eq!(outcome.expect("notified"), NotifyOutcome::Sent);
    let requests = server.received_requests().await.unwrap_or_default();
    assert!(
        requests[0].body.len() < MAX_CARD_BYTES,
        "{} bytes",
        requests[0].body.len()
    );
    let sent = &bodies(&server, FLOW).await[0];
    assert_eq!(sent["type"], "message");
    let attachment = &sent["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &attachment["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.2");
    assert_eq!(card["body"][0]["color"], "Attention", "a coloured title");
    let facts = card["body"]
        .as_array()
        .and_then(|b| b.iter().find(|e| e["type"] == "FactSet"))
        .expect("a FactSet");
    let titles: Vec<_> = facts["facts"]
        .as_array()
        .expect("facts")
        .iter()
        .map(|f| f["title"].clone())
        .collect();
    for wanted in ["Severity", "Source", "Occurrences"] {
        assert!(titles.contains(&wanted.into()), "{titles:?}");
    }
    assert_eq!(
        statuses(&stack, &tenant).await,
        ["accepted"],
        "a 2xx from a workflow is accepted, not delivered"
    );
}

#[tokio::test]
async fn a_card_teams_refuses_as_too_large_fails_for_good() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(413).set_body_string(
            "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413",
        ))
        .mount(&server)
        .await;
    let teams = destination(
        &stack,
        &tenant,
        Reach::Teams(&format!("{}{FLOW}", server.uri())),
    )
    .await;
    let opened = incident(&stack, &tenant).await;

    let outcome = notify(
        &stack.state,
        &task(
            &opened,
            EventType::IncidentCreated,
            &teams,
            Throttle::default(),
        ),
    )
    .await;

    assert_eq!(outcome.expect("recorded"), NotifyOutcome::Failed);
    let ledger = ledger(&stack, &tenant).await;
    assert!(
        ledger[0]["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("413"),
        "{ledger:?}"
    );
}
