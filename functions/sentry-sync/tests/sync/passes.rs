//! A pass over changed issues: pages, the query, and what emits.

use super::*;

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
    let sync = sync_state(&stack, &config).await;
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
