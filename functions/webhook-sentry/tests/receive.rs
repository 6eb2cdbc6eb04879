//! The Sentry handler, fed the payloads in tests/fixtures/providers/, against a stack on the
//! emulator, with an injected clock for the freshness window.

use chrono::{Duration, TimeZone, Utc};
use faultline::clock::Clock;
use faultline::domain::{Integration, Source, TenantId};
use faultline::signing::hmac_sha256::hmac_sha256;
use faultline_testkit::{
    incompressible, json_of, provider_fixture, FailingWrites, HttpEvent, TestStack,
};
use faultline_webhook_sentry::handle;
use serde_json::{json, Value};

const SECRET: &str = "test-client-secret";

fn delivery(
    integration: &Integration,
    resource: &str,
    body: &[u8],
    request_id: &str,
    now: i64,
) -> HttpEvent {
    HttpEvent::load("webhook-sentry/receive.json")
        .path_param("integration_id", integration.id.as_str())
        .header("sentry-hook-resource", resource)
        .header("request-id", request_id)
        .header("sentry-hook-timestamp", &now.to_string())
        .body_bytes(body)
        .header(
            "sentry-hook-signature",
            &hex::encode(hmac_sha256(SECRET.as_bytes(), body)),
        )
}

async fn setup(config: Value) -> (TestStack, TenantId, Integration) {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let integration = stack
        .integration(&tenant, Source::Sentry, Some(SECRET), config)
        .await;
    (stack, tenant, integration)
}

#[tokio::test]
async fn the_sample_event_verifies_over_the_wire_bytes_within_its_freshness_window() {
    let hook_time = Utc.timestamp_opt(1566248318, 0).single().expect("time");
    let clock = Clock::fixed(hook_time + Duration::seconds(30));
    let stack = TestStack::deploy_with("1", clock.clone()).await;
    let (tenant, _) = stack.tenant().await;
    let integration = stack
        .integration(&tenant, Source::Sentry, Some(SECRET), Value::Null)
        .await;
    let event = HttpEvent::load("webhook-sentry/receive.json")
        .path_param("integration_id", integration.id.as_str());

    let (status, body) = json_of(&handle(&stack.state, event.request()).await);
    assert_eq!(
        (status, body["change"].as_str()),
        (202, Some("created")),
        "{body}"
    );
    let issue = &stack.incidents(&tenant).await[0];
    assert_eq!(
        (issue["kind"].as_str(), issue["upstream_id"].as_str()),
        (Some("issue"), Some("1170820242"))
    );
    assert_eq!(issue["title"], "ReferenceError: blooopy is not defined");
    let types: Vec<Value> = stack
        .published_events()
        .await
        .iter()
        .map(|e| e["type"].clone())
        .collect();
    assert_eq!(types, vec![json!("issue.created")]);

    // The same bytes replayed later, with a new Request-ID: the timestamp is stale.
    clock.advance(Duration::minutes(10));
    let replayed = event.header("request-id", "another-request-id");
    let (status, problem) = json_of(&handle(&stack.state, replayed.request()).await);
    assert_eq!(status, 401, "{problem}");
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("freshness"));
}

#[tokio::test]
async fn every_integration_platform_payload_is_understood() {
    let (stack, tenant, integration) = setup(Value::Null).await;
    let now = Utc::now().timestamp();
    let cases = [
        ("issue", "sentry_issue_created.json", "created"),
        ("error", "sentry_error_created.json", "updated"),
        (
            "event_alert",
            "sentry_event_alert_triggered.json",
            "created",
        ),
    ];
    for (i, (resource, file, change)) in cases.into_iter().enumerate() {
        let body = provider_fixture(file);
        let (status, result) = json_of(
            &handle(
                &stack.state,
                delivery(&integration, resource, &body, &format!("r{i}"), now).request(),
            )
            .await,
        );
        assert_eq!(
            (status, result["change"].as_str()),
            (202, Some(change)),
            "{file}: {result}"
        );
    }
    let all = stack.incidents(&tenant).await;
    let issue = all
        .iter()
        .find(|r| r["upstream_id"] == "1170820242")
        .expect("issue 1170820242");
    assert_eq!(
        issue["occurrences"], 2,
        "the error event is another occurrence of the issue"
    );
    let alert = all
        .iter()
        .find(|r| r["upstream_id"] == "1117540176")
        .expect("the alerted issue");
    assert_eq!(alert["kind"], "alert");
    assert_eq!(
        alert["attributes"]["triggered_rule"],
        "Very Important Alert Rule!"
    );

    // Error events are kept with their stack traces, linked to the issue they belong to.
    let event = stack
        .state
        .store
        .get_error_event(&tenant, "bb78c1407cea4519aa397afc059c793d")
        .await
        .expect("read")
        .expect("the error event is stored");
    assert_eq!(
        event.incident_id.as_ref().map(|i| i.to_string()),
        issue["id"].as_str().map(str::to_owned)
    );
    assert_eq!(event.exceptions[0].kind.as_deref(), Some("ReferenceError"));
    assert_eq!(event.exceptions[0].frames[0].lineno, Some(3));
    let alerted = stack
        .state
        .store
        .get_error_event(&tenant, "e4874d664c3540c1a32eab185f12c5ab")
        .await
        .expect("read");
    assert!(
        alerted.is_some(),
        "event_alert payloads carry their event too"
    );

    let install =
        json!({"action": "created", "installation": {"uuid": "a8e5d37a"}, "data": {}, "actor": {}});
    let body = serde_json::to_vec(&install).expect("JSON");
    let (status, result) = json_of(
        &handle(
            &stack.state,
            delivery(&integration, "installation", &body, "inst", now).request(),
        )
        .await,
    );
    assert_eq!((status, result["status"].as_str()), (200, Some("ok")));
}

#[tokio::test]
async fn resolving_an_issue_resolves_its_alert_incident_and_a_regression_reopens_the_issue() {
    let (stack, tenant, integration) = setup(Value::Null).await;
    let now = Utc::now().timestamp();
    let alert = provider_fixture("sentry_event_alert_triggered.json");
    handle(
        &stack.state,
        delivery(&integration, "event_alert", &alert, "a", now).request(),
    )
    .await;
    let mut issue: Value =
        serde_json::from_slice(&provider_fixture("sentry_issue_created.json")).expect("JSON");
    issue["data"]["issue"]["id"] = json!("1117540176");
    for (i, action) in ["created", "resolved", "unresolved"].iter().enumerate() {
        issue["action"] = json!(action);
        issue["data"]["issue"]["lastSeen"] = json!(format!("2019-08-19T21:0{i}:00Z"));
        let body = serde_json::to_vec(&issue).expect("JSON");
        handle(
            &stack.state,
            delivery(&integration, "issue", &body, &format!("i{i}"), now).request(),
        )
        .await;
    }
    let all = stack.incidents(&tenant).await;
    let alert = all
        .iter()
        .find(|r| r["kind"] == "alert")
        .expect("alert incident");
    let issue = all.iter().find(|r| r["kind"] == "issue").expect("issue");
    assert_eq!(alert["status"], "resolved");
    assert_eq!(issue["status"], "open", "the issue regressed and reopened");
}

#[tokio::test]
async fn the_legacy_plugin_is_accepted_only_when_the_integration_allows_it() {
    let legacy = provider_fixture("sentry_legacy_webhook_plugin.json");
    let unsigned = |integration: &Integration| {
        HttpEvent::load("webhook-sentry/receive.json")
            .path_param("integration_id", integration.id.as_str())
            .without_header("sentry-hook-signature")
            .without_header("sentry-hook-resource")
            .without_header("sentry-hook-timestamp")
            .without_header("request-id")
            .body_bytes(&legacy)
    };

    let (stack, tenant, strict) = setup(Value::Null).await;
    let (status, problem) = json_of(&handle(&stack.state, unsigned(&strict).request()).await);
    assert_eq!(status, 401);
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("allow_unsigned_legacy"));

    let lenient = stack
        .integration(
            &tenant,
            Source::Sentry,
            None,
            json!({"allow_unsigned_legacy": true}),
        )
        .await;
    let (status, result) = json_of(&handle(&stack.state, unsigned(&lenient).request()).await);
    assert_eq!(
        (status, result["change"].as_str()),
        (202, Some("created")),
        "{result}"
    );
    let incident = &stack.incidents(&tenant).await[0];
    assert_eq!(incident["upstream_id"], "1385042923");
    assert_eq!(incident["service"], "meow");

    // With a client secret set, the legacy exemption is off: unsigned is refused.
    let both = stack
        .integration(
            &tenant,
            Source::Sentry,
            Some("test-client-secret"),
            json!({"allow_unsigned_legacy": true}),
        )
        .await;
    let (status, _) = json_of(&handle(&stack.state, unsigned(&both).request()).await);
    assert_eq!(status, 401, "a secret means every request is verified");

    // A signed-looking payload that is not the legacy shape still needs its signature.
    let modern = provider_fixture("sentry_issue_created_wire.json");
    let event = unsigned(&lenient)
        .body_bytes(&modern)
        .header("sentry-hook-resource", "issue");
    let (status, _) = json_of(&handle(&stack.state, event.request()).await);
    assert_eq!(status, 401);
}

#[tokio::test]
async fn request_ids_are_a_replay_cache_and_tampering_fails() {
    let (stack, tenant, integration) = setup(Value::Null).await;
    let now = Utc::now().timestamp();
    let body = provider_fixture("sentry_issue_created.json");
    let event = delivery(&integration, "issue", &body, "req-1", now);
    let (first, _) = json_of(&handle(&stack.state, event.request()).await);
    let (again, dup) = json_of(&handle(&stack.state, event.request()).await);
    assert_eq!(
        (first, again, dup["status"].as_str()),
        (202, 200, Some("duplicate"))
    );
    let (status, _) = json_of(
        &handle(
            &stack.state,
            event
                .clone()
                .header("sentry-hook-signature", "00ff")
                .request(),
        )
        .await,
    );
    assert_eq!(status, 401);
    let future = delivery(&integration, "issue", &body, "req-2", now + 3600);
    let (status, _) = json_of(&handle(&stack.state, future.request()).await);
    assert_eq!(
        status, 401,
        "timestamps from the future are outside the window too"
    );
    assert_eq!(stack.incidents(&tenant).await.len(), 1);
}

/// A delivery too large to keep inside its record is archived in S3 and accepted all the same.
#[tokio::test]
async fn a_large_delivery_is_archived_in_s3_and_accepted() {
    let (stack, _, integration) = setup(Value::Null).await;
    let mut payload: Value =
        serde_json::from_slice(&provider_fixture("sentry_issue_created.json")).expect("json");
    payload["padding"] = json!(incompressible(16 * 1024));
    let body = serde_json::to_vec(&payload).expect("json");
    let (status, accepted) = json_of(
        &handle(
            &stack.state,
            delivery(
                &integration,
                "issue",
                &body,
                "large-1",
                Utc::now().timestamp(),
            )
            .request(),
        )
        .await,
    );
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(stack.received_requests().await, 1);
    assert_eq!(stack.archived_objects().await, 1, "kept in S3, not inline");
}

/// An error event is stored in the same transaction as the change its signal makes. A signal that
/// changes nothing (here the same event delivered again, in a body that differs only in a field
/// the hub does not read) stores it on its own after the delivery's receipt: when that write fails, the delivery's id is forgotten, so the
/// provider's retry is processed rather than answered as a duplicate.
#[tokio::test]
async fn a_delivery_whose_error_event_write_fails_is_processed_on_the_retry() {
    let (stack, tenant, integration) = setup(Value::Null).await;
    let body = provider_fixture("sentry_error_created.json");
    let payload: Value = serde_json::from_slice(&body).expect("json");
    let event_id = payload["data"]["error"]["event_id"]
        .as_str()
        .expect("event id");
    let now = Utc::now().timestamp();
    let mut resent = payload.clone();
    resent["resent"] = json!(true);
    let resent = serde_json::to_vec(&resent).expect("json");
    let request = |body: &[u8], id: &str| delivery(&integration, "error", body, id, now).request();
    let (status, first) = json_of(&handle(&stack.state, request(&body, "err-1")).await);
    assert_eq!(status, 202, "{first}");
    let stored = stack.harness.store.get_error_event(&tenant, event_id).await;
    assert!(
        stored.expect("read").is_some(),
        "stored with the change it made"
    );
    let broken = stack.function_state_failing(FailingWrites {
        operation: "PutItem",
        marker: "#ERROREVENT",
    });

    let (status, failed) = json_of(&handle(&broken, request(&resent, "err-2")).await);
    assert!(
        status >= 500,
        "the error event write fails: {status} {failed}"
    );
    let (status, retried) = json_of(&handle(&stack.state, request(&resent, "err-2")).await);

    assert_eq!(status, 202, "processed, not a duplicate: {retried}");
    assert_eq!(retried["change"], "duplicate", "the signal changed nothing");
    assert_eq!(stack.incidents(&tenant).await.len(), 1);
}

#[tokio::test]
async fn a_database_deadlock_in_an_error_event_is_analysed() {
    let (stack, tenant, integration) = setup(Value::Null).await;
    let mut payload: Value =
        serde_json::from_slice(&provider_fixture("sentry_error_created.json")).expect("json");
    // What psycopg raises (its message carries the server's DETAIL lines).
    let error = &mut payload["data"]["error"];
    error["title"] = json!("DeadlockDetected: deadlock detected");
    error["exception"]["values"][0]["type"] = json!("DeadlockDetected");
    error["exception"]["values"][0]["value"] = json!(
        "deadlock detected\nDETAIL:  Process 3411 waits for ShareLock on transaction 77; blocked by process 3412.\n\
         Process 3412 waits for ShareLock on transaction 76; blocked by process 3411.\n\
         HINT:  See server log for query details.\n\
         CONTEXT:  while locking tuple (3,88) in relation \"jobs\""
    );
    let body = serde_json::to_vec(&payload).expect("json");
    let now = Utc::now().timestamp();
    let request = delivery(&integration, "error", &body, "deadlock-1", now).request();
    let (status, receipt) = json_of(&handle(&stack.state, request).await);
    assert_eq!(status, 202, "{receipt}");
    let groups = stack.deadlock_groups(&tenant).await;
    assert_eq!(groups.len(), 1, "{groups:#?}");
    assert_eq!(groups[0].relations, ["jobs"]);
    assert_eq!(
        groups[0].latest.as_ref().expect("parsed").cycle,
        ["process 3411", "process 3412"]
    );
    assert_eq!(
        groups[0].last_incident_id.as_ref().map(ToString::to_string),
        receipt["incident_id"].as_str().map(str::to_owned)
    );
}
