//! The Sentry sync against a local Sentry API server that answers like sentry.io: issues paged
//! by `Link` (`results="true"` while more remain), rate-limit headers, 429, 5xx, and a
//! self-hosted instance that sends no rate-limit headers at all (wiremock's default).

mod failures;
mod passes;

use chrono::{DateTime, Duration, Utc};
use faultline::clock::Clock;
use faultline::domain::sentry_config::SentrySyncState;
use faultline::domain::{SentryConfig, TenantId};
use faultline_sentry_sync::handle;
use faultline_testkit::{provider_fixture, store_sentry_config, TestStack};
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
    store_sentry_config(
        &stack.harness,
        tenant,
        &sentry.uri(),
        ("acme", "pump"),
        TOKEN,
    )
    .await
}

/// Where the configuration's sync stands.
async fn sync_state(stack: &TestStack, config: &SentryConfig) -> SentrySyncState {
    stack
        .harness
        .store
        .sentry_sync_state(config)
        .await
        .expect("state")
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
