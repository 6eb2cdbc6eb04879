//! Deadlock analysis and reports through the API: deadlocks found in alerts as they arrive,
//! grouped; reports checked against a count of the same incidents made here.

use crate::call;
use faultline::domain::{IncidentStatus, Severity};
use faultline_testkit::{json_of, HttpEvent, TestStack};
use serde_json::{json, Value};

const POSTGRES: &str = "ERROR:  deadlock detected
DETAIL:  Process 9012 waits for ShareLock on transaction 4711; blocked by process 9013.
Process 9013 waits for ShareLock on transaction 4710; blocked by process 9012.
Process 9012: UPDATE accounts SET balance = balance - 10 WHERE id = 2
Process 9013: UPDATE accounts SET balance = balance + 10 WHERE id = 1
HINT:  See server log for query details.
CONTEXT:  while updating tuple (0,2) in relation \"accounts\"";

async fn alert(stack: &TestStack, integration: &str, fingerprint: &str, description: &str) {
    let received = faultline::http::handle_webhook(
        &stack.harness,
        HttpEvent::load("webhook-generic/receive.json")
            .path_param("integration_id", integration)
            .without_header("x-signature-256")
            .body_json(&json!({
                "title": "Payment worker failed", "description": description,
                "severity": "high", "fingerprint": fingerprint, "service": "payments",
            }))
            .request(),
        &faultline::sources::generic::GenericSource,
    )
    .await;
    let (status, receipt) = json_of(&received);
    assert_eq!(status, 202, "{receipt}");
}

#[tokio::test]
async fn deadlocks_in_alerts_are_grouped_with_their_graph_and_incidents() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let k = Some(key.expose());
    let integration = stack.generic_integration(&tenant, None).await;
    let id = integration.id.as_str();
    alert(&stack, id, "pay-1", POSTGRES).await;
    // The same deadlock again, other processes and transactions, another incident.
    let again = POSTGRES.replace("9012", "7001").replace("4711", "5151");
    alert(&stack, id, "pay-2", &again).await;
    alert(
        &stack,
        id,
        "pay-3",
        "worker stopped: deadlock detected, no details",
    )
    .await;
    alert(&stack, id, "pay-4", "disk almost full").await;
    stack.record_deadlocks().await;

    let (status, list) = call(
        &stack,
        &HttpEvent::load("api/list-deadlocks.json").key(k).query(""),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{list}");
    let parsed = items
        .iter()
        .find(|g| g["parsed"] == true)
        .expect("a parsed group");
    assert_eq!(parsed["count"], 2);
    assert_eq!(parsed["engine"], "postgres");
    assert_eq!(parsed["relations"], json!(["accounts"]));
    assert_eq!(
        parsed["summary"],
        "accounts: ExclusiveLock, ShareLock (2 processes)"
    );
    let unparsed = items
        .iter()
        .find(|g| g["parsed"] == false)
        .expect("kept as text");
    assert_eq!(unparsed["count"], 1);

    let group = parsed["id"].as_str().expect("id");
    let (status, detail) = call(
        &stack,
        &HttpEvent::load("api/get-deadlock.json")
            .key(k)
            .path_param("id", group),
    )
    .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(
        detail["latest"]["cycle"],
        json!(["process 7001", "process 9013"])
    );
    assert_eq!(detail["incident_ids"].as_array().expect("ids").len(), 2);
    assert_eq!(detail["daily"][0]["count"], 2);
    assert!(detail["occurrences"][0]["text"]
        .as_str()
        .expect("text")
        .contains("Process 7001 waits for ShareLock"));
    let (status, mysql) = call(
        &stack,
        &HttpEvent::load("api/list-deadlocks.json")
            .key(k)
            .query("engine=mysql"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(mysql["items"], json!([]));
}

fn seconds_between(
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: chrono::DateTime<chrono::Utc>,
) -> Option<i64> {
    from.map(|f| (f - to).num_seconds())
}

#[tokio::test]
async fn the_summary_and_series_agree_with_the_incidents_they_cover() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let k = Some(key.expose());
    let now = chrono::Utc::now();
    let incidents = faultline_testkit::synthetic_incidents(&tenant, 120, now, |_, _| {});
    stack
        .harness
        .store
        .import_incidents(&incidents)
        .await
        .expect("import");
    let change = faultline::domain::DeployRecord {
        id: faultline::domain::DeployId::generate(),
        tenant_id: tenant.clone(),
        project_id: None,
        integration_id: faultline::domain::IntegrationId::generate(),
        repo: "acme/payments".into(),
        number: 7,
        title: "Retry payments".into(),
        author: "dev".into(),
        merge_commit: None,
        url: "https://github.com/acme/payments/pull/7".into(),
        merged_at: now - chrono::Duration::minutes(30),
    };
    stack
        .harness
        .store
        .record_change(&change, &[])
        .await
        .expect("change");

    let (status, report) = call(
        &stack,
        &HttpEvent::load("api/report-summary.json").key(k).query(""),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["incidents"], 120);
    assert_eq!(report["truncated"], false);
    let critical = incidents
        .iter()
        .filter(|i| i.severity == Severity::Critical)
        .count();
    assert_eq!(report["by_severity"]["critical"], critical);
    let resolved = incidents
        .iter()
        .filter(|i| i.status == IncidentStatus::Resolved)
        .count();
    assert_eq!(report["by_status"]["resolved"], resolved);
    let mut ttr: Vec<i64> = incidents
        .iter()
        .filter_map(|i| seconds_between(i.resolved_at, i.created_at))
        .collect();
    ttr.sort_unstable();
    let p50 = ttr[((ttr.len() - 1) as f64 * 0.5).round() as usize];
    assert_eq!(report["overall"]["mttr"]["p50_seconds"], p50);
    assert_eq!(report["overall"]["mttr"]["count"], ttr.len());
    // One incident a minute up to now: 30 opened within two hours of the change (from its
    // minute on), all after it.
    assert_eq!(
        report["after_changes"]["by_repository"]["acme/payments"], 30,
        "{}",
        report["after_changes"]
    );
    assert_eq!(
        report["top_fingerprints"].as_array().expect("top").len(),
        10
    );
    assert!(
        report["deliveries"].is_array(),
        "an admin key reads deliveries"
    );
    assert!(report["notifications"].is_array());

    let (_, checkout) = call(
        &stack,
        &HttpEvent::load("api/report-summary.json")
            .key(k)
            .query("service=checkout"),
    )
    .await;
    assert_eq!(checkout["incidents"], 30);
    assert_eq!(checkout["by_service"], json!({"checkout": 30}));

    let (status, series) = call(
        &stack,
        &HttpEvent::load("api/report-timeseries.json")
            .key(k)
            .query("bucket=hour&since=".to_owned().as_str()),
    )
    .await;
    assert_eq!(status, 400, "an empty time is refused: {series}");
    let since =
        (now - chrono::Duration::hours(3)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (status, series) = call(
        &stack,
        &HttpEvent::load("api/report-timeseries.json")
            .key(k)
            .query(&format!("bucket=hour&since={}", since.replace('+', "%2B"))),
    )
    .await;
    assert_eq!(status, 200, "{series}");
    let points = series["points"].as_array().expect("points");
    assert!((3..=4).contains(&points.len()), "{}", points.len());
    let opened: u64 = points
        .iter()
        .map(|p| p["opened"].as_u64().unwrap_or(0))
        .sum();
    let expected = incidents
        .iter()
        .filter(|i| i.created_at >= now - chrono::Duration::hours(3))
        .count();
    assert_eq!(opened as usize, expected);

    let (status, problem) = call(
        &stack,
        &HttpEvent::load("api/report-timeseries.json")
            .key(k)
            .query("bucket=hour&since=2025-01-01T00:00:00Z"),
    )
    .await;
    assert_eq!(status, 400, "hours over more than 31 days: {problem}");
    let _: Value = problem;
}
