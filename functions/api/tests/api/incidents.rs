//! People changing incidents (acknowledge, resolve, reopen, assign: timeline lines and events)
//! and finding them (filters, text, time range, order), against a stack on the emulator.

use crate::call;
use faultline::domain::Scope;
use faultline::domain::{Severity, SignalKind};
use faultline::services::api_keys::issue_api_key;
use faultline_testkit::{HttpEvent, TestStack};
use serde_json::{json, Value};

fn event_types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| e["type"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn people_acknowledge_assign_resolve_and_reopen_with_timeline_lines_and_events() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let (_, stranger) = stack.tenant().await;
    let incident = stack
        .stored_incident(
            &tenant,
            "Checkout errors",
            Severity::High,
            SignalKind::Alert,
        )
        .await;
    let id = incident.id.as_str();
    let patch = |body: Value| {
        HttpEvent::load("api/update-incident.json")
            .path_param("id", id)
            .key(Some(key.expose()))
            .body_json(&body)
    };

    let (status, changed) = call(
        &stack,
        &patch(json!({"status": "acknowledged", "assignee": "ana@example.com"})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["status"], "acknowledged");
    assert_eq!(changed["assignee"], "ana@example.com");
    assert!(changed["acknowledged_at"].is_string());
    assert_eq!(changed["changes"], json!(["acknowledged", "assigned"]));
    assert_eq!(
        event_types(&stack.published_events().await),
        ["incident.updated", "incident.assigned"]
    );

    let (status, same) = call(&stack, &patch(json!({"status": "acknowledged"}))).await;
    assert_eq!(
        (status, same["changes"].clone()),
        (200, json!([])),
        "nothing to do"
    );
    assert!(stack.published_events().await.is_empty(), "and no event");

    let (status, problem) = call(&stack, &patch(json!({"status": "reopened"}))).await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("status")));
    for bad in [
        json!({"status": "closed"}),
        json!({"priority": "p1"}),
        json!({"assignee": ""}),
    ] {
        let (status, _) = call(&stack, &patch(bad.clone())).await;
        assert_eq!(status, 422, "{bad}");
    }

    let (_, resolved) = call(&stack, &patch(json!({"status": "resolved"}))).await;
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(
        event_types(&stack.published_events().await),
        ["incident.resolved"]
    );
    let (status, problem) = call(&stack, &patch(json!({"status": "acknowledged"}))).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("status")),
        "reopen first"
    );
    let (_, reopened) = call(
        &stack,
        &patch(json!({"status": "reopened", "assignee": null})),
    )
    .await;
    assert_eq!(
        (reopened["status"].as_str(), reopened["assignee"].clone()),
        (Some("open"), Value::Null)
    );
    assert_eq!(reopened["resolved_at"], Value::Null);
    assert_eq!(
        event_types(&stack.published_events().await),
        ["incident.updated", "incident.assigned"]
    );

    let (_, timeline) = call(
        &stack,
        &HttpEvent::load("api/get-incident-timeline.json")
            .path_param("id", id)
            .key(Some(key.expose())),
    )
    .await;
    let lines: Vec<&str> = timeline["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    let key_name = format!("key:{}", key.id());
    assert_eq!(
        lines,
        vec![
            "opened".to_owned(),
            format!("acknowledged by {key_name}"),
            format!("assigned to ana@example.com by {key_name}"),
            format!("resolved by {key_name}"),
            format!("reopened by {key_name}"),
            format!("unassigned by {key_name}"),
        ]
    );

    let (status, _) = call(
        &stack,
        &patch(json!({"status": "resolved"})).key(Some(stranger.expose())),
    )
    .await;
    assert_eq!(status, 404, "another tenant's incident");
    let (reader, _) = issue_api_key(&stack.state, &tenant, "reader", vec![Scope::IncidentsRead])
        .await
        .expect("key");
    let (status, problem) = call(
        &stack,
        &patch(json!({"status": "resolved"})).key(Some(reader.expose())),
    )
    .await;
    assert_eq!(
        (status, problem["missing_scope"].as_str()),
        (403, Some("incidents:write"))
    );
}

#[tokio::test]
async fn incidents_and_issues_filter_by_status_severity_kind_text_and_time() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let before = chrono::Utc::now();
    let db = stack
        .stored_incident(
            &tenant,
            "Database DOWN in eu-west",
            Severity::Critical,
            SignalKind::Alert,
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let middle = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let latency = stack
        .stored_incident(
            &tenant,
            "Checkout latency",
            Severity::Low,
            SignalKind::Alert,
        )
        .await;
    let issue = stack
        .stored_incident(
            &tenant,
            "TypeError in checkout",
            Severity::High,
            SignalKind::Issue,
        )
        .await;
    faultline::services::incidents::change_incident(
        &stack.state,
        &tenant,
        &latency.id,
        Some(faultline::domain::ManualStatus::Resolved),
        None,
        "test",
        None,
    )
    .await
    .expect("resolve")
    .expect("found");

    let list = |file: &'static str, query: String| {
        let (stack, key) = (&stack, key.expose().to_owned());
        async move {
            let (status, page) =
                call(stack, &HttpEvent::load(file).key(Some(&key)).query(&query)).await;
            let ids: Vec<String> = page["items"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|i| i["id"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (status, ids)
        }
    };
    let (d, l, i) = (
        db.id.to_string(),
        latency.id.to_string(),
        issue.id.to_string(),
    );
    let enc =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    for (query, expected) in [
        (String::new(), vec![&i, &l, &d]),
        ("sort=created_at".into(), vec![&d, &l, &i]),
        ("status=resolved".into(), vec![&l]),
        ("status=open".into(), vec![&i, &d]),
        ("severity=critical".into(), vec![&d]),
        ("kind=issue".into(), vec![&i]),
        ("kind=alert&status=open".into(), vec![&d]),
        ("q=checkout".into(), vec![&i, &l]),
        ("q=down%20DATABASE".into(), vec![&d]),
        ("source=generic&severity=high".into(), vec![&i]),
        (format!("since={}", enc(middle)), vec![&i, &l]),
        (format!("until={}", enc(middle)), vec![&d]),
        (
            format!("since={}&until={}", enc(before), enc(middle)),
            vec![&d],
        ),
    ] {
        let (status, ids) = list("api/list-incidents.json", query.clone()).await;
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!((status, ids), (200, expected), "?{query}");
    }
    for bad in [
        "status=closed",
        "severity=urgent",
        "source=zendesk",
        "since=yesterday",
        "sort=title",
        "kind=page",
    ] {
        let (status, _) = list("api/list-incidents.json", bad.into()).await;
        assert_eq!(status, 400, "{bad}");
    }

    let (status, issues) = list("api/list-issues.json", String::new()).await;
    assert_eq!((status, issues), (200, vec![i.clone()]));
    let get_issue = |id: &str| {
        HttpEvent::load("api/get-issue.json")
            .path_param("id", id)
            .key(Some(key.expose()))
    };
    let (status, shown) = call(&stack, &get_issue(&i)).await;
    assert_eq!((status, shown["kind"].as_str()), (200, Some("issue")));
    let (status, _) = call(&stack, &get_issue(&d)).await;
    assert_eq!(status, 404, "an incident is not an issue");
}

#[tokio::test]
async fn imported_incidents_list_page_by_page() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let now = stack.state.clock.now();
    let incidents: Vec<_> = (0..60)
        .map(|i| {
            let signal = faultline::domain::Signal::new(
                faultline::domain::Source::Generic,
                faultline::domain::Fingerprint::from_key("generic", &format!("imported-{i}")),
                format!("Imported {i}"),
                now,
            );
            faultline::domain::Incident::open(
                faultline::domain::IncidentId::generate(),
                tenant.clone(),
                faultline::domain::IntegrationId::generate(),
                None,
                &signal,
                now,
            )
        })
        .collect();
    stack
        .state
        .store
        .import_incidents(&incidents)
        .await
        .expect("import");
    let mut seen = 0;
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=25&cursor={c}"),
            None => "limit=25".into(),
        };
        let (status, page) = call(
            &stack,
            &HttpEvent::load("api/list-incidents.json")
                .key(Some(key.expose()))
                .query(&query),
        )
        .await;
        assert_eq!(status, 200);
        seen += page["items"].as_array().map(Vec::len).unwrap_or(0);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, 60, "three pages: 25, 25, 10");
    let (_, found) = call(
        &stack,
        &HttpEvent::load("api/list-incidents.json")
            .key(Some(key.expose()))
            .query("q=imported%2042"),
    )
    .await;
    assert_eq!(
        found["items"].as_array().map(Vec::len),
        Some(1),
        "imported titles are searchable"
    );
}
