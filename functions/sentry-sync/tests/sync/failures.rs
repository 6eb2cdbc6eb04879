//! Runs cut short, rate limits, failures that alarm, and the reconciliation of open issues.

use super::*;

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
    let sync = sync_state(&stack, &config).await;
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
    let sync = sync_state(&stack, &config).await;
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
    let sync = sync_state(&stack, &config).await;
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
