//! The Sentry sync against a local Sentry API server that answers like sentry.io: issues paged
//! by `Link` (`results="true"` while more remain), rate-limit headers, 429, 5xx, and a
//! self-hosted instance that sends no rate-limit headers at all (wiremock's default).

use chrono::{DateTime, Duration, Utc};
use faultline::clock::Clock;
use faultline::domain::sentry_config::SampleRates;
use faultline::domain::{ProjectId, SentryConfig, SentryConfigId, TenantId};
use faultline_sentry_sync::handle;
use faultline_testkit::{provider_fixture, TestStack};
use serde_json::{json, Value};
use tokio::time::Instant;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "sntrys_test_token_0123456789";
const ISSUES: &str = "/api/0/projects/acme/pump/issues/";

fn minute() -> std::time::Duration {
    std::time::Duration::from_secs(60)
}

async fn stack() -> TestStack {
    let start: DateTime<Utc> = "2026-11-30T12:00:00Z".parse().expect("time");
    TestStack::deploy_with("1", Clock::fixed(start)).await
}

/// A stored configuration (token sealed) whose API is the local server.
async fn configuration(stack: &TestStack, tenant: &TenantId, sentry: &MockServer) -> SentryConfig {
    let now = stack.harness.clock.now();
    let mut config = SentryConfig {
        id: SentryConfigId::generate(),
        tenant_id: tenant.clone(),
        project_id: ProjectId::generate(),
        environment: "production".into(),
        dsn: "https://a1b2c3d4e5f60718@o1.ingest.sentry.io/5".into(),
        org: "acme".into(),
        project: "pump".into(),
        auth_token: None,
        api_url: Some(sentry.uri()),
        rates: SampleRates::default(),
        active: true,
        created_at: now,
        updated_at: now,
    };
    let cipher = stack.harness.cipher().await.expect("data key");
    config.auth_token = Some(cipher.seal(TOKEN, &config.token_context()));
    stack
        .harness
        .store
        .create_sentry_config(&config)
        .await
        .expect("stored");
    config
}

/// An issue as the list endpoint shows it (the documented example, re-keyed).
fn issue(id: &str, status: &str, last_seen: DateTime<Utc>) -> Value {
    let mut issue = serde_json::from_slice::<Vec<Value>>(&provider_fixture(
        "sentry_api_project_issues_list.json",
    ))
    .expect("fixture")[0]
        .clone();
    issue["id"] = json!(id);
    issue["title"] = json!(format!("ZeroDivisionError in pump {id}"));
    issue["status"] = json!(status);
    issue["lastSeen"] = json!(last_seen.to_rfc3339());
    issue
}

fn link(next: Option<&str>) -> String {
    let base = "<http://sentry.local/api/0/projects/acme/pump/issues/?&cursor=0:0:1>; rel=\"previous\"; results=\"false\"; cursor=\"0:0:1\"";
    match next {
        Some(cursor) => format!("{base}, <http://sentry.local/x?&cursor={cursor}>; rel=\"next\"; results=\"true\"; cursor=\"{cursor}\""),
        None => format!("{base}, <http://sentry.local/x?&cursor=0:100:0>; rel=\"next\"; results=\"false\"; cursor=\"0:100:0\""),
    }
}

fn page(issues: Vec<Value>, next: Option<&str>) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("link", link(next).as_str())
        .set_body_json(Value::Array(issues))
}

async fn latest_events(sentry: &MockServer) {
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex(
            r"^/api/0/organizations/acme/issues/[^/]+/events/latest/$",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                serde_json::from_slice::<Value>(&provider_fixture(
                    "sentry_api_issue_event_latest.json",
                ))
                .expect("fixture"),
            ),
        )
        .mount(sentry)
        .await;
}

/// The reconciliation's read-back, answering that Sentry has nothing to add.
async fn quiet_reconciliation(sentry: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/0/organizations/acme/issues/"))
        .respond_with(page(vec![], None))
        .mount(sentry)
        .await;
}

async fn run(stack: &TestStack) -> Value {
    let answer = handle(&stack.state, Instant::now() + minute())
        .await
        .expect("the run");
    answer["configurations"][0].clone()
}

fn listed(requests: &[Request]) -> Vec<&Request> {
    requests.iter().filter(|r| r.url.path() == ISSUES).collect()
}

fn param(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn issues_sync_page_by_page_and_a_quiet_run_costs_one_call() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let sentry = MockServer::start().await;
    let config = configuration(&stack, &tenant, &sentry).await;
    let now = stack.harness.clock.now();
    let seen = now - Duration::minutes(3);
    Mock::given(method("GET"))
        .and(path(ISSUES))
        .and(query_param("cursor", "0:100:0"))
        .respond_with(page(
            vec![issue("102", "unresolved", seen - Duration::minutes(1))],
            None,
        ))
        .up_to_n_times(1)
        .mount(&sentry)
        .await;
    Mock::given(method("GET"))
        .and(path(ISSUES))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(page(
            vec![
                issue("101", "unresolved", seen),
                issue("103", "resolved", seen - Duration::minutes(2)),
            ],
            Some("0:100:0"),
        ))
        .up_to_n_times(1)
        .mount(&sentry)
        .await;
    latest_events(&sentry).await;
    quiet_reconciliation(&sentry).await;
    let report = run(&stack).await;
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(report["stopped"], Value::Null);
    assert_eq!(report["issues_read"], 3);
    assert_eq!(
        report["events_fetched"], 2,
        "new issues only, not the resolved one"
    );
    assert_eq!(report["complete"], true);
    let requests = sentry.received_requests().await.expect("recorded");
    let pages = listed(&requests);
    assert_eq!(pages.len(), 2);
    let first_since = now - Duration::hours(24);
    assert_eq!(
        param(pages[0], "query").as_deref(),
        Some(format!("lastSeen:>{}", first_since.format("%Y-%m-%dT%H:%M:%S")).as_str())
    );
    assert_eq!(
        param(pages[0], "environment").as_deref(),
        Some("production")
    );
    assert_eq!(param(pages[1], "cursor").as_deref(), Some("0:100:0"));

    let issues = stack.incidents(&tenant).await;
    assert_eq!(
        issues.len(),
        2,
        "a resolved issue the hub never saw opens nothing"
    );
    assert!(issues
        .iter()
        .all(|i| i["kind"] == "issue" && i["source"] == "sentry"));
    let event = stack
        .harness
        .store
        .get_error_event(&tenant, "9fb3a2cbd1d54bd2b5d0b7e4b6a2c001")
        .await
        .expect("read")
        .expect("the latest event is stored");
    assert_eq!(
        event.exceptions[0].kind.as_deref(),
        Some("ZeroDivisionError")
    );
    let created: Vec<Value> = stack
        .published_events()
        .await
        .into_iter()
        .filter(|e| e["type"] == "issue.created")
        .collect();
    assert_eq!(created.len(), 2);

    // Nothing changed: one call, no change, and the watermark less the overlap as the query.
    sentry.reset().await;
    Mock::given(method("GET"))
        .and(path(ISSUES))
        .respond_with(page(vec![], None))
        .mount(&sentry)
        .await;
    let report = run(&stack).await;
    assert_eq!(report["sentry_calls"], 1, "{report}");
    assert_eq!(report["created"], 0);
    let requests = sentry.received_requests().await.expect("recorded");
    let since = seen - Duration::minutes(5);
    assert_eq!(
        param(&requests[0], "query").as_deref(),
        Some(format!("lastSeen:>{}", since.format("%Y-%m-%dT%H:%M:%S")).as_str())
    );
    assert!(stack.published_events().await.is_empty());
    let sync = stack
        .harness
        .store
        .sentry_sync_state(&config)
        .await
        .expect("state");
    assert_eq!(
        sync.watermark.map(|w| w.timestamp()),
        Some(seen.timestamp())
    );
    assert!(sync.health.last_success_at.is_some());
}

#[tokio::test]
async fn changes_emit_only_when_something_really_changed() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let sentry = MockServer::start().await;
    configuration(&stack, &tenant, &sentry).await;
    latest_events(&sentry).await;
    let seen = stack.harness.clock.now() - Duration::minutes(2);
    let mut current = issue("201", "unresolved", seen);
    let serve = |issue: Value| async {
        sentry.reset().await;
        latest_events(&sentry).await;
        quiet_reconciliation(&sentry).await;
        Mock::given(method("GET"))
            .and(path(ISSUES))
            .respond_with(page(vec![issue], None))
            .mount(&sentry)
            .await;
    };
    let types = |events: Vec<Value>| -> Vec<String> {
        events
            .iter()
            .filter_map(|e| e["type"].as_str().map(str::to_owned))
            .collect()
    };
    serve(current.clone()).await;
    run(&stack).await;
    assert_eq!(types(stack.published_events().await), ["issue.created"]);

    // The count moved but not lastSeen (a re-read): nothing.
    current["count"] = json!("7");
    serve(current.clone()).await;
    let report = run(&stack).await;
    assert_eq!(report["updated"], 0, "{report}");
    assert!(stack.published_events().await.is_empty());

    current["assignedTo"] = json!({"type": "user", "name": "Ann", "email": "ann@example.com"});
    serve(current.clone()).await;
    run(&stack).await;
    assert_eq!(types(stack.published_events().await), ["issue.assigned"]);

    current["status"] = json!("resolved");
    serve(current.clone()).await;
    run(&stack).await;
    assert_eq!(types(stack.published_events().await), ["issue.resolved"]);

    // Still resolved in the hub while Sentry shows the same issue unresolved with no new event
    // (a stale page): the hub's resolve stands.
    current["status"] = json!("unresolved");
    serve(current.clone()).await;
    run(&stack).await;
    assert!(stack.published_events().await.is_empty());

    // A new event after the resolve: a regression, reopened, its latest event fetched.
    current["lastSeen"] = json!((seen + Duration::minutes(1)).to_rfc3339());
    serve(current.clone()).await;
    let report = run(&stack).await;
    assert_eq!(report["events_fetched"], 1, "{report}");
    assert_eq!(types(stack.published_events().await), ["issue.updated"]);
    let issues = stack.incidents(&tenant).await;
    assert_eq!(
        issues.len(),
        1,
        "one record per Sentry issue, across every run"
    );
    assert_eq!(issues[0]["status"], "open");
}

#[tokio::test]
async fn a_run_cut_short_resumes_from_its_checkpoint_without_loss_or_duplicates() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let sentry = MockServer::start().await;
    let config = configuration(&stack, &tenant, &sentry).await;
    latest_events(&sentry).await;
    let seen = stack.harness.clock.now() - Duration::minutes(2);
    Mock::given(method("GET"))
        .and(path(ISSUES))
        .and(query_param("cursor", "0:100:0"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .mount(&sentry)
        .await;
    Mock::given(method("GET"))
        .and(path(ISSUES))
        .respond_with(page(
            vec![issue("301", "unresolved", seen)],
            Some("0:100:0"),
        ))
        .mount(&sentry)
        .await;
    let report = run(&stack).await;
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(report["complete"], false);
    assert!(report["stopped"]
        .as_str()
        .is_some_and(|s| s.contains("502")));
    let requests = sentry.received_requests().await.expect("recorded");
    let retried = listed(&requests)
        .iter()
        .filter(|r| param(r, "cursor").is_some())
        .count();
    assert_eq!(retried, 3, "a 5xx is tried three times with back-off");
    let sync = stack
        .harness
        .store
        .sentry_sync_state(&config)
        .await
        .expect("state");
    assert_eq!(
        sync.pass.as_ref().map(|p| p.cursor.as_str()),
        Some("0:100:0")
    );
    assert_eq!(
        sync.watermark, None,
        "the watermark moves only when a pass completes"
    );
    assert_eq!(sync.health.consecutive_failures, 1);

    // Sentry is back: the next run starts at the saved cursor with the same query.
    sentry.reset().await;
    latest_events(&sentry).await;
    Mock::given(method("GET"))
        .and(path(ISSUES))
        .and(query_param("cursor", "0:100:0"))
        .respond_with(page(
            vec![
                issue("302", "unresolved", seen - Duration::minutes(1)),
                issue("301", "unresolved", seen),
            ],
            None,
        ))
        .mount(&sentry)
        .await;
    let report = run(&stack).await;
    assert_eq!(
        report["created"], 1,
        "301 again is no second issue: {report}"
    );
    assert_eq!(report["complete"], true);
    let requests = sentry.received_requests().await.expect("recorded");
    assert_eq!(
        param(listed(&requests)[0], "cursor").as_deref(),
        Some("0:100:0")
    );
    assert_eq!(stack.incidents(&tenant).await.len(), 2);

    // A run that has no time left stops before calling, keeping everything.
    let answer = handle(&stack.state, Instant::now()).await.expect("the run");
    assert_eq!(answer["configurations"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn rate_limits_pause_the_configuration_and_failures_raise_the_alarm_once() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let sentry = MockServer::start().await;
    let config = configuration(&stack, &tenant, &sentry).await;
    let reset = stack.harness.clock.now() + Duration::seconds(40);
    Mock::given(method("GET"))
        .and(path(ISSUES))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-sentry-rate-limit-remaining", "0")
                .insert_header(
                    "x-sentry-rate-limit-reset",
                    reset.timestamp().to_string().as_str(),
                )
                .insert_header("x-sentry-rate-limit-concurrentremaining", "24")
                .set_body_json(
                    json!({"detail": "You are attempting to use this endpoint too frequently."}),
                ),
        )
        .mount(&sentry)
        .await;
    let report = run(&stack).await;
    assert_eq!(
        report["sentry_calls"], 1,
        "a 429 is not retried at once: {report}"
    );
    let sync = stack
        .harness
        .store
        .sentry_sync_state(&config)
        .await
        .expect("state");
    assert_eq!(
        sync.paused_until.map(|t| t.timestamp()),
        Some(reset.timestamp())
    );
    let report = run(&stack).await;
    assert_eq!(
        report["sentry_calls"], 0,
        "paused until the reset: {report}"
    );
    stack.harness.clock.advance(Duration::seconds(41));

    // A revoked token: every run fails; the third says so with a system.error, once.
    sentry.reset().await;
    Mock::given(method("GET"))
        .and(path(ISSUES))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"detail": "Invalid token"})))
        .mount(&sentry)
        .await;
    stack.published_events().await;
    for _ in 0..4 {
        run(&stack).await;
    }
    let alarms: Vec<Value> = stack
        .published_events()
        .await
        .into_iter()
        .filter(|e| e["type"].as_str().is_some_and(|t| t.starts_with("system.")))
        .collect();
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert_eq!(alarms[0]["type"], "system.error");
    assert_eq!(alarms[0]["data"]["job"], "sentry-sync");
    assert_eq!(alarms[0]["data"]["resource_id"], config.id.as_str());
    assert_eq!(alarms[0]["data"]["consecutive_failures"], 3);
    let message = alarms[0]["data"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("401"), "{message}");
    assert!(!message.contains(TOKEN), "the token never appears");
    let sync = stack
        .harness
        .store
        .sentry_sync_state(&config)
        .await
        .expect("state");
    assert_eq!(sync.health.consecutive_failures, 5, "the 429 counted too");
}

#[tokio::test]
async fn reconciliation_closes_what_sentry_resolved_without_moving_last_seen() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let sentry = MockServer::start().await;
    configuration(&stack, &tenant, &sentry).await;
    latest_events(&sentry).await;
    let seen = stack.harness.clock.now() - Duration::minutes(2);
    Mock::given(method("GET"))
        .and(path(ISSUES))
        .respond_with(page(vec![issue("401", "unresolved", seen)], None))
        .up_to_n_times(1)
        .mount(&sentry)
        .await;
    Mock::given(method("GET"))
        .and(path(ISSUES))
        .respond_with(page(vec![], None))
        .mount(&sentry)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/0/organizations/acme/issues/"))
        .and(query_param("id", "401"))
        .respond_with(page(vec![issue("401", "unresolved", seen)], None))
        .up_to_n_times(1)
        .mount(&sentry)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/0/organizations/acme/issues/"))
        .and(query_param("id", "401"))
        .respond_with(page(vec![issue("401", "resolved", seen)], None))
        .mount(&sentry)
        .await;
    let report = run(&stack).await;
    assert_eq!(
        (report["created"].clone(), report["reconciled"].clone()),
        (json!(1), json!(1))
    );
    // Within the reconciliation interval: only the (empty) pass.
    let report = run(&stack).await;
    assert_eq!(report["sentry_calls"], 1, "{report}");
    stack.harness.clock.advance(Duration::minutes(16));
    let report = run(&stack).await;
    assert_eq!(report["resolved"], 1, "{report}");
    let requests = sentry.received_requests().await.expect("recorded");
    let by_id = requests
        .iter()
        .rfind(|r| r.url.path() == "/api/0/organizations/acme/issues/")
        .expect("a reconciliation call");
    assert_eq!(param(by_id, "query").as_deref(), Some(""), "any status");
    assert_eq!(stack.incidents(&tenant).await[0]["status"], "resolved");
}
