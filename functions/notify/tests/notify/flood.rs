use crate::common::*;
use faultline::domain::notification::Throttle;
use faultline::domain::EventType;
use faultline::services::notify::{notify, NotifyOutcome, FLOOD_LIMIT};
use faultline_testkit::TestStack;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn beyond_the_flood_limit_notifications_fold_into_one_summary_at_the_minute_end() {
    // The clock at the start of a minute, so the whole flood falls inside it.
    let now = chrono::Utc::now().timestamp();
    let minute_start = now - now.rem_euclid(60) + 60;
    let start = chrono::DateTime::from_timestamp(minute_start, 0).expect("a time");
    let stack = TestStack::deploy_with("1,1,1", faultline::clock::Clock::fixed(start)).await;
    let (tenant, _) = stack.tenant().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    let hook = destination(
        &stack,
        &tenant,
        Reach::SlackWebhook(&format!("{}/services/flood", server.uri())),
    )
    .await;

    let mut last_task = None;
    let mut outcomes = Vec::new();
    for _ in 0..FLOOD_LIMIT + 2 {
        let opened = incident(&stack, &tenant).await;
        let task = task(
            &opened,
            EventType::IncidentCreated,
            &hook,
            Throttle::default(),
        );
        outcomes.push(notify(&stack.state, &task).await.expect("handled"));
        last_task = Some(task);
        stack.state.clock.advance(chrono::Duration::seconds(2));
    }

    let sent = outcomes
        .iter()
        .filter(|o| **o == NotifyOutcome::Sent)
        .count();
    let folded = outcomes
        .iter()
        .filter(|o| **o == NotifyOutcome::Folded)
        .count();
    assert_eq!((sent, folded), (FLOOD_LIMIT as usize, 2));
    assert_eq!(
        waiting(&stack, "NotifyQueue").await,
        (0, 1),
        "one summary, waiting for the minute's end"
    );
    // The summary task, as it waits on the queue.
    let summary = faultline::queue::NotifyTask {
        flood_summary_of: Some(minute_start),
        ..last_task.expect("a task")
    };
    assert_eq!(
        notify(&stack.state, &summary).await.expect("sent"),
        NotifyOutcome::Sent
    );

    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), FLOOD_LIMIT as usize + 1);
    let last: serde_json::Value =
        serde_json::from_slice(&requests[requests.len() - 1].body).expect("JSON");
    let text = last["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("2 more notifications in the minute from"),
        "{text}"
    );
    let statuses = statuses(&stack, &tenant).await;
    assert_eq!(statuses.iter().filter(|s| *s == "folded").count(), 2);
    assert_eq!(statuses.last().map(String::as_str), Some("sent"));
}
