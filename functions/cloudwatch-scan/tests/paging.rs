//! What the emulator cannot show: a page that comes back empty with a `nextToken` (CloudWatch
//! does that while it searches streams), and throttling beyond the SDK's retries. A local HTTP
//! server answers `FilterLogEvents` in CloudWatch Logs' own JSON protocol; the real SDK calls it.

use chrono::Utc;
use faultline::clock::Clock;
use faultline::domain::log_source::DEFAULT_FILTER_PATTERN;
use faultline::domain::LogSource;
use faultline_cloudwatch_scan::handle;
use faultline_testkit::{store_log_source, TestStack};
use serde_json::{json, Value};
use tokio::time::Instant;
use wiremock::matchers::{body_string_contains, header, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TARGET: &str = "Logs_20140328.FilterLogEvents";

fn answer(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/x-amz-json-1.1")
        .set_body_json(body)
}

/// The stack, with the function's CloudWatch Logs client pointed at `server`.
async fn stack_on(server: &MockServer) -> (TestStack, faultline::AppState, LogSource) {
    let stack = TestStack::deploy_with("1", Clock::fixed(Utc::now())).await;
    let (tenant, _) = stack.tenant().await;
    let source =
        store_log_source(&stack.harness, &tenant, "/ecs/api", DEFAULT_FILTER_PATTERN).await;
    let mut state = stack.state.clone();
    state.logs = aws_sdk_cloudwatchlogs::Client::from_conf(
        stack
            .state
            .logs
            .config()
            .to_builder()
            .endpoint_url(server.uri())
            .build(),
    )
    .into();
    (stack, state, source)
}

async fn scan(state: &faultline::AppState) -> Value {
    let answer = handle(state, Instant::now() + std::time::Duration::from_secs(50))
        .await
        .expect("the run");
    answer["log_sources"][0].clone()
}

#[tokio::test]
async fn an_empty_page_with_a_token_is_followed_to_the_end() {
    let server = MockServer::start().await;
    let (stack, state, source) = stack_on(&server).await;
    let at = stack.harness.clock.now().timestamp_millis() - 120_000;
    Mock::given(method("POST"))
        .and(header("x-amz-target", TARGET))
        .and(body_string_contains("\"nextToken\":\"page-2\""))
        .respond_with(answer(json!({"events": [
            {"logStreamName": "api/web/1", "timestamp": at, "message": "ERROR order 1 lost", "ingestionTime": at + 5, "eventId": "e1"},
            {"logStreamName": "api/web/1", "timestamp": at + 1, "message": "ERROR order 2 lost", "ingestionTime": at + 6, "eventId": "e2"},
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("x-amz-target", TARGET))
        .and(body_string_contains("\"logGroupName\":\"/ecs/api\""))
        .respond_with(answer(
            json!({"events": [], "nextToken": "page-2", "searchedLogStreams": []}),
        ))
        .mount(&server)
        .await;
    let report = scan(&state).await;
    assert_eq!(report["calls"], 2, "{report}");
    assert_eq!(report["records_matched"], 2);
    assert_eq!(report["caught_up"], true);
    let issues = stack.incidents(&source.tenant_id).await;
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0]["occurrences"], 2);
    let requests = server.received_requests().await.expect("recorded");
    let first: Value = serde_json::from_slice(&requests[0].body).expect("JSON");
    assert_eq!(first["filterPattern"], DEFAULT_FILTER_PATTERN);
    assert_eq!(first["limit"], 1000);
    assert!(
        first["endTime"].as_i64() <= Some(stack.harness.clock.now().timestamp_millis() - 60_000)
    );
    assert!(
        first.get("logGroupIdentifier").is_none(),
        "a name goes as logGroupName only"
    );
}

#[tokio::test]
async fn throttling_beyond_retries_is_a_warning_not_a_loss() {
    let server = MockServer::start().await;
    let (stack, state, source) = stack_on(&server).await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("content-type", "application/x-amz-json-1.1")
                .set_body_json(
                    json!({"__type": "ThrottlingException", "message": "Rate exceeded"}),
                ),
        )
        .mount(&server)
        .await;
    stack.published_events().await;
    for _ in 0..3 {
        let report = scan(&state).await;
        assert!(
            report["stopped"]
                .as_str()
                .is_some_and(|s| s.contains("Rate exceeded")),
            "{report}"
        );
    }
    let scan_state = stack
        .harness
        .store
        .log_scan_state(&source)
        .await
        .expect("state");
    assert_eq!(scan_state.checkpoint_ms, None, "no window was given up");
    let warnings: Vec<Value> = stack
        .published_events()
        .await
        .into_iter()
        .filter(|e| e["type"] == "system.warning")
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
}
