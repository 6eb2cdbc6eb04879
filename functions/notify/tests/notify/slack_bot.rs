use crate::common::*;
use faultline::domain::notification::Destination;
use faultline::domain::notification::Throttle;
use faultline::domain::EventType;
use faultline::domain::TenantId;
use faultline::services::notify::{notify, NotifyOutcome};
use faultline_testkit::TestStack;
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "xoxb-1234-5678-abcdefghijkl";
const CHANNEL: &str = "C0123456789";
const ROOT_TS: &str = "1700000000.000100";

/// A stub of Slack's Web API: `chat.postMessage` answers the root's `ts` (a thread reply
/// another), `chat.update` answers `ok`; every call must carry the bot token.
async fn slack_api() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat.postMessage"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_partial_json(json!({"thread_ts": ROOT_TS})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ok": true, "channel": CHANNEL, "ts": "1700000001.000200"})),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/chat.postMessage"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"ok": true, "channel": CHANNEL, "ts": ROOT_TS, "message": {"text": "…"}}),
        ))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/chat.update"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ok": true, "channel": CHANNEL, "ts": ROOT_TS})),
        )
        .mount(&server)
        .await;
    server
}

/// A bot-token destination of `tenant` posting to `channel`.
async fn bot(stack: &TestStack, tenant: &TenantId, channel: &str) -> Destination {
    destination(
        stack,
        tenant,
        Reach::SlackBot {
            token: TOKEN,
            channel,
        },
    )
    .await
}

#[tokio::test]
async fn open_acknowledged_resolved_is_one_message_edited_twice_with_thread_replies() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let server = slack_api().await;
    let state = with_slack_api(&stack, &server.uri());
    let bot = bot(&stack, &tenant, CHANNEL).await;
    let opened = incident(&stack, &tenant).await;
    let acknowledged = changed(&opened, acknowledge);
    let resolved = changed(&acknowledged, resolve);

    for (incident, event_type) in [
        (&opened, EventType::IncidentCreated),
        (&acknowledged, EventType::IncidentUpdated),
        (&resolved, EventType::IncidentResolved),
    ] {
        let outcome = notify(
            &state,
            &task(incident, event_type, &bot, Throttle::default()),
        )
        .await
        .expect("notified");
        assert_eq!(outcome, NotifyOutcome::Sent);
        next_second(&stack);
    }

    let posts = bodies(&server, "/chat.postMessage").await;
    let roots: Vec<_> = posts
        .iter()
        .filter(|p| p.get("thread_ts").is_none())
        .collect();
    let replies: Vec<_> = posts
        .iter()
        .filter(|p| p.get("thread_ts").is_some())
        .collect();
    assert_eq!(roots.len(), 1, "one root message: {posts:?}");
    let root = roots[0];
    assert_eq!(root["channel"], CHANNEL);
    assert!(root["text"]
        .as_str()
        .unwrap_or_default()
        .contains("[CRITICAL] Checkout API 5xx above 5%"));
    let blocks = root["blocks"].as_array().expect("blocks");
    assert!(!blocks.is_empty() && blocks.len() <= 50);
    assert_eq!(replies.len(), 2, "the news in the root's thread: {posts:?}");
    assert!(replies
        .iter()
        .all(|r| r["thread_ts"] == ROOT_TS && r["channel"] == CHANNEL));
    assert!(replies[0]["text"]
        .as_str()
        .unwrap_or_default()
        .starts_with("Acknowledged"));
    assert!(replies[1]["text"]
        .as_str()
        .unwrap_or_default()
        .starts_with("Resolved"));

    let action_ids = |message: &serde_json::Value| -> Vec<String> {
        message["blocks"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
            .filter_map(|e| e["action_id"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        action_ids(root),
        ["faultline.acknowledge", "faultline.resolve"],
        "buttons while open"
    );
    let updates = bodies(&server, "/chat.update").await;
    assert_eq!(
        action_ids(&updates[0]),
        ["faultline.resolve"],
        "acknowledged: only Resolve"
    );
    assert!(action_ids(&updates[1]).is_empty(), "resolved: no buttons");
    assert_eq!(updates.len(), 2, "the root edited twice");
    assert!(updates
        .iter()
        .all(|u| u["ts"] == ROOT_TS && u["channel"] == CHANNEL));
    assert!(updates[1]["text"]
        .as_str()
        .unwrap_or_default()
        .contains("Resolved"));
    assert_eq!(statuses(&stack, &tenant).await, ["sent", "sent", "sent"]);
}

#[tokio::test]
async fn the_same_news_twice_and_late_old_news_send_nothing() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let server = slack_api().await;
    let state = with_slack_api(&stack, &server.uri());
    let bot = bot(&stack, &tenant, CHANNEL).await;
    let opened = incident(&stack, &tenant).await;
    let acknowledged = changed(&opened, acknowledge);
    let first = task(
        &opened,
        EventType::IncidentCreated,
        &bot,
        Throttle::default(),
    );

    assert_eq!(
        notify(&state, &first).await.expect("sent"),
        NotifyOutcome::Sent
    );
    next_second(&stack);
    // SQS handing the same task over again.
    assert!(matches!(
        notify(&state, &first).await.expect("held"),
        NotifyOutcome::Held(_)
    ));
    let later = task(
        &acknowledged,
        EventType::IncidentUpdated,
        &bot,
        Throttle::default(),
    );
    assert_eq!(
        notify(&state, &later).await.expect("sent"),
        NotifyOutcome::Sent
    );
    next_second(&stack);
    // The opening event again, after newer news went out.
    assert!(matches!(
        notify(&state, &first).await.expect("held"),
        NotifyOutcome::Held(_)
    ));

    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        3,
        "post, update, reply"
    );
    let ledger = ledger(&stack, &tenant).await;
    assert_eq!(ledger[0]["status"], "held");
    assert!(
        ledger[0]["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("stale"),
        "{ledger:?}"
    );
    assert!(
        ledger[2]["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("nothing new"),
        "{ledger:?}"
    );
}

#[tokio::test]
async fn two_concurrent_notify_invocations_on_one_incident_post_once() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat.postMessage"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ok": true, "channel": CHANNEL, "ts": ROOT_TS}))
                .set_delay(std::time::Duration::from_millis(300)),
        )
        .mount(&server)
        .await;
    let state = with_slack_api(&stack, &server.uri());
    let other_container = with_slack_api(&stack, &server.uri());
    let bot = bot(&stack, &tenant, CHANNEL).await;
    let opened = incident(&stack, &tenant).await;
    let one = task(
        &opened,
        EventType::IncidentCreated,
        &bot,
        Throttle::default(),
    );
    // fanout ran twice for the same event: two tasks, two invocations at once.
    let two = one.clone();

    let (a, b) = tokio::join!(notify(&state, &one), notify(&other_container, &two));
    let outcomes = [a.expect("first"), b.expect("second")];
    assert!(outcomes.contains(&NotifyOutcome::Sent), "{outcomes:?}");
    assert!(
        outcomes.contains(&NotifyOutcome::Later),
        "the other waits: {outcomes:?}"
    );
    // The one put back looks again once the claim is released: nothing new.
    let requeued = stack.drain_queue("NotifyQueue").await;
    // It was put back with a short delay: wait it out.
    let requeued = if requeued.is_empty() {
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        stack.drain_queue("NotifyQueue").await
    } else {
        requeued
    };
    assert_eq!(requeued.len(), 1);
    let again: faultline::queue::NotifyTask =
        serde_json::from_value(requeued[0].clone()).expect("a task");
    assert!(matches!(
        notify(&state, &again).await.expect("held"),
        NotifyOutcome::Held(_)
    ));
    assert_eq!(
        bodies(&server, "/chat.postMessage").await.len(),
        1,
        "posted once"
    );
}

#[tokio::test]
async fn ok_false_is_a_failure_classified_by_its_error() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat.postMessage"))
        .and(body_partial_json(json!({"channel": "C0000000001"})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ok": false, "error": "channel_not_found"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/chat.postMessage"))
        .and(body_partial_json(json!({"channel": "C0000000002"})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"ok": false, "error": "ratelimited"})),
        )
        .mount(&server)
        .await;
    let state = with_slack_api(&stack, &server.uri());
    let gone = bot(&stack, &tenant, "C0000000001").await;
    let busy = bot(&stack, &tenant, "C0000000002").await;
    let opened = incident(&stack, &tenant).await;

    let permanent = notify(
        &state,
        &task(
            &opened,
            EventType::IncidentCreated,
            &gone,
            Throttle::default(),
        ),
    )
    .await;
    assert_eq!(permanent.expect("recorded"), NotifyOutcome::Failed);
    let parked = stack.drain_queue("NotifyDeadLetterQueue").await;
    assert_eq!(parked.len(), 1, "a permanent failure is parked at once");
    assert_eq!(parked[0]["destination_id"], gone.id.as_str());

    let retryable = notify(
        &state,
        &task(
            &opened,
            EventType::IncidentCreated,
            &busy,
            Throttle::default(),
        ),
    )
    .await;
    assert_eq!(retryable.expect("recorded"), NotifyOutcome::Later);
    assert_eq!(
        waiting(&stack, "NotifyQueue").await,
        (0, 1),
        "put back with a delay"
    );

    let ledger = ledger(&stack, &tenant).await;
    assert_eq!(ledger[0]["status"], "retrying");
    assert!(ledger[0]["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("ratelimited"));
    assert_eq!(ledger[1]["status"], "failed");
    assert!(ledger[1]["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("channel_not_found"));
    assert!(
        !stack.table_dump().await.contains(TOKEN),
        "the token is stored sealed only"
    );
}
