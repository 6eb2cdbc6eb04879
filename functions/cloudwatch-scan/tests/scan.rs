//! The log scan against CloudWatch Logs on the emulator, with groups and streams the tests write.
//! The emulator treats patterns starting with `?` as "everything" (so the hub's own matcher is
//! what keeps the INFO lines out) and honours a single term (so PostgreSQL's DETAIL lines are
//! missing from the page and fetched by the scan, as on AWS).

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use chrono::Utc;
use faultline::clock::Clock;
use faultline::domain::log_source::DEFAULT_FILTER_PATTERN;
use faultline::domain::{LogSource, TenantId};
use faultline::store::PageRequest;
use faultline_cloudwatch_scan::handle;
use faultline_testkit::{store_log_source, TestStack};
use serde_json::Value;
use tokio::time::Instant;

async fn stack() -> TestStack {
    TestStack::deploy_with("1", Clock::fixed(Utc::now())).await
}

/// A new log group with one stream; its name.
async fn group(stack: &TestStack, streams: &[&str]) -> String {
    let name = format!(
        "/aws/lambda/checkout-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let logs = &stack.clients.logs;
    logs.create_log_group()
        .log_group_name(&name)
        .send()
        .await
        .expect("group");
    for stream in streams {
        logs.create_log_stream()
            .log_group_name(&name)
            .log_stream_name(*stream)
            .send()
            .await
            .expect("stream");
    }
    name
}

/// Writes `lines` to a stream, `seconds_ago` before the stack's now (one ms apart).
async fn write(stack: &TestStack, group: &str, stream: &str, seconds_ago: i64, lines: &[&str]) {
    let start = stack.harness.clock.now().timestamp_millis() - seconds_ago * 1000;
    let events: Vec<InputLogEvent> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            InputLogEvent::builder()
                .timestamp(start + i as i64)
                .message(*line)
                .build()
                .expect("event")
        })
        .collect();
    stack
        .clients
        .logs
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .set_log_events(Some(events))
        .send()
        .await
        .expect("written");
}

async fn source(stack: &TestStack, tenant: &TenantId, group: &str, pattern: &str) -> LogSource {
    store_log_source(&stack.harness, tenant, group, pattern).await
}

async fn scan(stack: &TestStack) -> Vec<Value> {
    let answer = handle(
        &stack.state,
        Instant::now() + std::time::Duration::from_secs(50),
    )
    .await
    .expect("the run");
    answer["log_sources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn by_title<'a>(issues: &'a [Value], start: &str) -> &'a Value {
    issues
        .iter()
        .find(|i| i["title"].as_str().is_some_and(|t| t.starts_with(start)))
        .unwrap_or_else(|| panic!("no issue titled {start}…: {issues:#?}"))
}

const RDS: &str = "2026-11-30 12:00:01 UTC:10.0.1.7(51234):app@shop:[24811]:";

#[tokio::test]
async fn errors_become_issues_that_count_repeats_and_keep_samples() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let name = group(&stack, &["app", "db"]).await;
    write(&stack, &name, "app", 200, &[
        "START RequestId: 6f1c0a9e-1111-4c4c-9d9d-aaaaaaaaaaaa",
        "2026-11-30T12:00:00.000Z\t6f1c0a9e-1111-4c4c-9d9d-aaaaaaaaaaaa\tERROR\tpayment 1234 declined: card expired",
        "2026-11-30T12:00:00.010Z\t0b7e2d11-2222-4e4e-8f8f-bbbbbbbbbbbb\tERROR\tpayment 98 declined: card expired",
        "INFO everything is fine",
        "Traceback (most recent call last):\n  File \"/var/task/app.py\", line 12, in handler\n    rate = litres / seconds\nZeroDivisionError: division by zero",
        "2026-11-30T12:00:01.000Z\tc0ffee00-3333-4a4a-8b8b-cccccccccccc\tERROR\tpayment 7 declined: card expired",
        "WARN slow request",
    ]).await;
    let pg_error = format!("{RDS}ERROR:  deadlock detected");
    let pg_detail = format!("{RDS}DETAIL:  Process 24811 waits for ShareLock on transaction 9912; blocked by process 24790.");
    let pg_statement = format!("{RDS}STATEMENT:  UPDATE orders SET state = 'paid' WHERE id = 7");
    write(
        &stack,
        &name,
        "db",
        150,
        &[&pg_error, &pg_detail, &pg_statement],
    )
    .await;
    let wide = source(&stack, &tenant, &name, DEFAULT_FILTER_PATTERN).await;

    let reports = scan(&stack).await;
    assert_eq!(
        reports[0]["records_matched"], 5,
        "3 payments, a traceback, a deadlock: {reports:?}"
    );
    assert_eq!(reports[0]["issues_created"], 3);
    assert_eq!(reports[0]["caught_up"], true);
    let issues = stack.incidents(&tenant).await;
    assert_eq!(issues.len(), 3, "{issues:#?}");
    let payment = by_title(&issues, "2026-11-30T12:00:01.000Z");
    assert_eq!(payment["occurrences"], 3, "three repeats of one shape");
    assert_eq!(payment["kind"], "issue");
    assert_eq!(payment["source"], "cloudwatch");
    assert_eq!(
        payment["service"],
        name.rsplit('/').next().expect("last segment")
    );
    assert_eq!(payment["environment"], "production");
    assert_eq!(payment["integration_id"], wide.id.as_str());
    let python = by_title(&issues, "ZeroDivisionError");
    assert_eq!(python["severity"], "high");
    let deadlock = by_title(&issues, RDS);
    assert!(
        deadlock["description"]
            .as_str()
            .is_some_and(|d| d.contains("STATEMENT:  UPDATE orders")),
        "the PostgreSQL record is whole: {deadlock}"
    );

    let id = faultline::domain::IncidentId::parse(payment["id"].as_str().expect("id")).expect("id");
    let evidence = stack
        .harness
        .store
        .list_evidence(&tenant, &id, &PageRequest::default())
        .await
        .expect("evidence");
    assert_eq!(evidence.items.len(), 3);
    assert!(evidence.items.iter().all(|line| line.log_stream == "app"));
    let events = stack.published_events().await;
    let added: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "evidence.added")
        .collect();
    assert_eq!(added.len(), 3, "one per issue and batch");

    // A second source on the same group with a single-term pattern (the emulator honours it):
    // PostgreSQL's DETAIL and STATEMENT lines are not in the page, and are fetched.
    let (other_tenant, _) = stack.tenant().await;
    source(&stack, &other_tenant, &name, "ERROR").await;
    stack
        .harness
        .store
        .delete_log_source(&tenant, &wide.id)
        .await
        .expect("deleted");
    let reports = scan(&stack).await;
    assert_eq!(reports.len(), 1);
    assert!(
        reports[0]["calls"].as_u64() >= Some(2),
        "a page and the continuation: {reports:?}"
    );
    let issues = stack.incidents(&other_tenant).await;
    let deadlock = by_title(&issues, RDS);
    assert!(
        deadlock["description"]
            .as_str()
            .is_some_and(|d| d.contains("DETAIL:  Process 24811")),
        "{deadlock}"
    );
}

#[tokio::test]
async fn a_postgres_deadlock_in_the_logs_is_read_into_its_wait_for_graph() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let name = group(&stack, &["db"]).await;
    let lines = [
        format!("{RDS}ERROR:  deadlock detected"),
        format!(
            "{RDS}DETAIL:  Process 24811 waits for ShareLock on transaction 9912; blocked by process 24790.\n\t\
             Process 24790 waits for ShareLock on transaction 9911; blocked by process 24811.\n\t\
             Process 24811: UPDATE orders SET state = 'paid' WHERE id = 7\n\t\
             Process 24790: UPDATE orders SET state = 'held' WHERE id = 8"
        ),
        format!("{RDS}HINT:  See server log for query details."),
        format!("{RDS}CONTEXT:  while updating tuple (0,7) in relation \"orders\""),
        format!("{RDS}STATEMENT:  UPDATE orders SET state = 'paid' WHERE id = 7"),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    write(&stack, &name, "db", 120, &lines).await;
    source(&stack, &tenant, &name, DEFAULT_FILTER_PATTERN).await;
    scan(&stack).await;
    let groups = stack.deadlock_groups(&tenant).await;
    assert_eq!(groups.len(), 1, "{groups:#?}");
    assert_eq!(groups[0].count, 1);
    assert_eq!(groups[0].relations, ["orders"]);
    let latest = groups[0].latest.as_ref().expect("parsed");
    assert_eq!(latest.cycle, ["process 24811", "process 24790"]);
    assert_eq!(latest.victim.as_deref(), Some("process 24811"));
    let issue = &stack.incidents(&tenant).await[0];
    assert_eq!(
        groups[0]
            .last_incident_id
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        issue["id"].as_str()
    );
}

#[tokio::test]
async fn the_checkpoint_resumes_without_losing_or_doubling() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let name = group(&stack, &["app"]).await;
    write(
        &stack,
        &name,
        "app",
        240,
        &["ERROR queue 1 full", "ERROR queue 2 full"],
    )
    .await;
    let source = source(&stack, &tenant, &name, DEFAULT_FILTER_PATTERN).await;
    scan(&stack).await;
    let issues = stack.incidents(&tenant).await;
    assert_eq!(issues[0]["occurrences"], 2);
    let state = stack
        .harness
        .store
        .log_scan_state(&source)
        .await
        .expect("state");
    let checkpoint = state.checkpoint_ms.expect("a checkpoint");
    assert_eq!(state.boundary_ids.len(), 1);

    // Nothing new: nothing changes.
    let reports = scan(&stack).await;
    assert_eq!(reports[0]["issues_updated"], 0, "{reports:?}");
    assert_eq!(stack.incidents(&tenant).await[0]["occurrences"], 2);

    // A late event at the checkpoint's very millisecond, and one after it: both counted, the
    // boundary event not again.
    let at = |ms: i64, message: &str| {
        InputLogEvent::builder()
            .timestamp(ms)
            .message(message)
            .build()
            .expect("event")
    };
    stack
        .clients
        .logs
        .put_log_events()
        .log_group_name(&name)
        .log_stream_name("app")
        .log_events(at(checkpoint, "ERROR queue 3 full"))
        .log_events(at(checkpoint + 5, "ERROR queue 4 full"))
        .send()
        .await
        .expect("written");
    stack.harness.clock.advance(chrono::Duration::seconds(30));
    let reports = scan(&stack).await;
    assert_eq!(
        reports[0]["events_read"], 3,
        "the boundary event is read again: {reports:?}"
    );
    assert_eq!(reports[0]["records_matched"], 2, "and skipped");
    assert_eq!(stack.incidents(&tenant).await[0]["occurrences"], 4);
}

#[tokio::test]
async fn a_group_in_another_account_is_read_through_its_role() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let role = "arn:aws:iam::210987654321:role/faultline-log-reader";
    // The group exists only in the other account.
    let theirs = faultline_testkit::logs_through_role(&stack.clients, role).await;
    let name = format!(
        "/ecs/ledger-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    theirs
        .create_log_group()
        .log_group_name(&name)
        .send()
        .await
        .expect("group");
    theirs
        .create_log_stream()
        .log_group_name(&name)
        .log_stream_name("app")
        .send()
        .await
        .expect("stream");
    theirs
        .put_log_events()
        .log_group_name(&name)
        .log_stream_name("app")
        .log_events(
            InputLogEvent::builder()
                .timestamp(stack.harness.clock.now().timestamp_millis() - 120_000)
                .message("ERROR ledger 7 out of balance")
                .build()
                .expect("event"),
        )
        .send()
        .await
        .expect("written");
    let mut source = source(&stack, &tenant, &name, DEFAULT_FILTER_PATTERN).await;
    let without_role = scan(&stack).await;
    assert!(
        without_role[0]["stopped"]
            .as_str()
            .is_some_and(|s| s.contains("does not exist")),
        "not in the hub's own account: {without_role:?}"
    );
    source.role_arn = Some(role.into());
    source.external_id = Some(format!("faultline-{tenant}"));
    stack
        .harness
        .store
        .update_log_source(&source)
        .await
        .expect("stored");
    let reports = scan(&stack).await;
    assert_eq!(reports[0]["records_matched"], 1, "{reports:?}");
    assert_eq!(reports[0]["stopped"], Value::Null);
    let issues = stack.incidents(&tenant).await;
    assert_eq!(issues[0]["title"], "ERROR ledger 7 out of balance");
}

#[tokio::test]
async fn a_missing_group_fails_the_source_and_raises_the_alarm_once() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let source = source(
        &stack,
        &tenant,
        "/aws/lambda/does-not-exist",
        DEFAULT_FILTER_PATTERN,
    )
    .await;
    stack.published_events().await;
    for _ in 0..4 {
        let reports = scan(&stack).await;
        assert!(
            reports[0]["stopped"]
                .as_str()
                .is_some_and(|s| s.contains("does-not-exist")),
            "{reports:?}"
        );
    }
    let alarms: Vec<Value> = stack
        .published_events()
        .await
        .into_iter()
        .filter(|e| e["type"] == "system.error")
        .collect();
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert_eq!(alarms[0]["data"]["job"], "cloudwatch-scan");
    assert_eq!(alarms[0]["data"]["resource_id"], source.id.as_str());
    let state = stack
        .harness
        .store
        .log_scan_state(&source)
        .await
        .expect("state");
    assert_eq!(state.health.consecutive_failures, 4);
    assert!(state.health.last_success_at.is_none());
}
