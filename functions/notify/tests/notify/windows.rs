use crate::common::*;
use faultline::domain::notification::{MaintenanceWindow, Matchers, Schedule, Strategy, Throttle};
use faultline::domain::{EventType, MaintenanceWindowId, TenantId};
use faultline::queue::NotifyTask;
use faultline::services::notify::{notify, NotifyOutcome};
use faultline_testkit::TestStack;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A one-off window of `tenant` in force for the next ten minutes.
async fn window(stack: &TestStack, tenant: &TenantId, strategy: Strategy) {
    let now = stack.harness.clock.now();
    let window = MaintenanceWindow {
        id: MaintenanceWindowId::generate(),
        tenant_id: tenant.clone(),
        name: "database patching".into(),
        schedule: Schedule::OneOff {
            starts_at: now - chrono::Duration::minutes(1),
            ends_at: now + chrono::Duration::minutes(10),
        },
        matchers: Matchers::default(),
        strategy,
        created_at: now,
        updated_at: now,
    };
    stack
        .harness
        .store
        .create_maintenance_window(&window)
        .await
        .expect("window stored");
}

async fn slack() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    server
}

fn released(task: &NotifyTask) -> NotifyTask {
    NotifyTask {
        released_from_window: true,
        ..task.clone()
    }
}

#[tokio::test]
async fn a_suppressing_window_holds_news_and_releases_what_is_still_open_when_it_ends() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let server = slack().await;
    let hook = destination(
        &stack,
        &tenant,
        Reach::SlackWebhook(&format!("{}/services/w", server.uri())),
    )
    .await;
    window(&stack, &tenant, Strategy::Suppress).await;
    let still_open = incident(&stack, &tenant).await;
    let resolved_meanwhile = incident(&stack, &tenant).await;
    let open_task = task(
        &still_open,
        EventType::IncidentCreated,
        &hook,
        Throttle::default(),
    );
    let other_task = task(
        &resolved_meanwhile,
        EventType::IncidentCreated,
        &hook,
        Throttle::default(),
    );

    for held in [&open_task, &other_task] {
        let outcome = notify(&stack.state, held).await.expect("handled");
        assert!(
            matches!(&outcome, NotifyOutcome::Held(r) if r.contains("suppressed by maintenance window")),
            "{outcome:?}"
        );
    }
    assert_eq!(
        waiting(&stack, "NotifyQueue").await,
        (0, 2),
        "both looked at again when the window ends"
    );
    // The second incident resolves during the window: a resolve passes every window, but there
    // is nothing to resolve at the destination yet.
    let resolved = changed(&resolved_meanwhile, resolve);
    stack
        .harness
        .store
        .import_incidents(std::slice::from_ref(&resolved))
        .await
        .expect("resolved");
    let resolve_task = task(
        &resolved,
        EventType::IncidentResolved,
        &hook,
        Throttle::default(),
    );
    assert!(matches!(
        notify(&stack.state, &resolve_task).await.expect("handled"),
        NotifyOutcome::Held(_)
    ));
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "nothing sent in the window"
    );

    stack.state.clock.advance(chrono::Duration::minutes(11));
    assert_eq!(
        notify(&stack.state, &released(&open_task))
            .await
            .expect("sent"),
        NotifyOutcome::Sent
    );
    let after = notify(&stack.state, &released(&other_task))
        .await
        .expect("handled");
    assert!(
        matches!(&after, NotifyOutcome::Held(r) if r.contains("resolved while it was held")),
        "{after:?}"
    );
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1, "only what is still open is sent");
}

#[tokio::test]
async fn a_dropping_window_drops_news_but_an_acknowledgement_passes() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let server = slack().await;
    let hook = destination(
        &stack,
        &tenant,
        Reach::SlackWebhook(&format!("{}/services/w", server.uri())),
    )
    .await;
    let opened = incident(&stack, &tenant).await;
    // Told before the window started.
    assert_eq!(
        notify(
            &stack.state,
            &task(
                &opened,
                EventType::IncidentCreated,
                &hook,
                Throttle::default()
            )
        )
        .await
        .expect("sent"),
        NotifyOutcome::Sent
    );
    next_second(&stack);
    window(&stack, &tenant, Strategy::Drop).await;
    let more = changed(&opened, |i| i.occurrences += 5);
    let dropped = notify(
        &stack.state,
        &task(
            &more,
            EventType::IncidentUpdated,
            &hook,
            Throttle::default(),
        ),
    )
    .await;
    assert!(
        matches!(dropped.expect("handled"), NotifyOutcome::Held(r) if r.contains("dropped by maintenance window"))
    );
    assert_eq!(
        waiting(&stack, "NotifyQueue").await,
        (0, 0),
        "dropped, not put back"
    );
    let acknowledged = changed(&more, acknowledge);
    let passed = notify(
        &stack.state,
        &task(
            &acknowledged,
            EventType::IncidentUpdated,
            &hook,
            Throttle::default(),
        ),
    )
    .await;
    assert_eq!(passed.expect("sent"), NotifyOutcome::Sent);
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        2
    );
}
