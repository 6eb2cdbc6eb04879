//! Tickets against local stubs that answer as PagerDuty, Jira and GitHub do (each in 100 ms):
//! what one incident's lifecycle (open → acknowledged → resolved) asks of AWS and of the provider
//! per destination kind, and how many tickets one `notify` invocation (a 10-record batch, the
//! template's BatchSize) opens per second. Against the AWS emulator; prints figures, asserts
//! nothing. `cargo run --release -p faultline-e2e --bin ticket-lifecycle` (part of `make bench`).

use chrono::Utc;
use faultline::clock::Clock;
use faultline::domain::notification::{Destination, DestinationKind, Throttle};
use faultline::domain::{DestinationId, DomainEvent, EventType, IncidentId, Tenant, TenantId};
use faultline::queue::NotifyTask;
use faultline::services::notify::notify;
use faultline::{AppState, Config};
use faultline_e2e::aws_usage::UsageCounter;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KINDS: [DestinationKind; 3] = [
    DestinationKind::Pagerduty,
    DestinationKind::Jira,
    DestinationKind::Github,
];
const LATENCY: Duration = Duration::from_millis(100);
const DESTINATIONS: usize = 10;
const BATCHES: usize = 5;

fn answer(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(body)
        .set_delay(LATENCY)
}

/// One server answering as PagerDuty's Events API, a Jira Cloud site and GitHub's REST API.
async fn providers() -> MockServer {
    let server = MockServer::start().await;
    let mounts = [
        (
            "POST",
            "^/v2/enqueue$",
            answer(
                202,
                json!({"status": "success", "message": "Event processed"}),
            ),
        ),
        (
            "POST",
            "^/rest/api/3/issue$",
            answer(201, json!({"id": "10001", "key": "OPS-1"})),
        ),
        (
            "POST",
            "^/rest/api/3/issue/[^/]+/comment$",
            answer(201, json!({"id": "1"})),
        ),
        (
            "GET",
            "^/rest/api/3/issue/[^/]+/transitions$",
            answer(200, json!({"transitions": [{"id": "31", "name": "Done"}]})),
        ),
        (
            "POST",
            "^/rest/api/3/issue/[^/]+/transitions$",
            ResponseTemplate::new(204).set_delay(LATENCY),
        ),
        (
            "POST",
            "^/repos/acme/api/issues$",
            answer(
                201,
                json!({"number": 42, "html_url": "https://github.com/acme/api/issues/42"}),
            ),
        ),
        (
            "POST",
            "^/repos/acme/api/issues/[0-9]+/comments$",
            answer(201, json!({"id": 1})),
        ),
        (
            "PATCH",
            "^/repos/acme/api/issues/[0-9]+$",
            answer(200, json!({"number": 42})),
        ),
    ];
    for (verb, pattern, response) in mounts {
        Mock::given(method(verb))
            .and(path_regex(pattern))
            .respond_with(response)
            .mount(&server)
            .await;
    }
    let _ = path("/");
    server
}

fn incident(status: &str, id: &IncidentId, updated: chrono::DateTime<Utc>) -> Value {
    let opened = Utc::now().to_rfc3339();
    json!({
        "id": id, "kind": "alert", "title": "Checkout errors", "severity": "critical",
        "description": "Error rate 7.2% over 5 minutes on POST /checkout",
        "status": status, "fingerprint": format!("generic:{id}"), "upstream_id": null,
        "project_id": null, "assignee": null, "priority": null, "source": "generic",
        "integration_id": "int_01JD0000000000000000000000", "service": "checkout",
        "environment": "production", "url": null, "attributes": {}, "occurrences": 1,
        "first_seen_at": opened, "last_seen_at": opened, "created_at": opened,
        "updated_at": updated.to_rfc3339(), "acknowledged_at": null, "resolved_at": null,
    })
}

fn task(
    tenant: &TenantId,
    destination: &DestinationId,
    event_type: EventType,
    data: Value,
) -> NotifyTask {
    NotifyTask {
        tenant_id: tenant.clone(),
        event: DomainEvent::new(tenant.clone(), event_type, data, Utc::now()),
        destination_id: destination.clone(),
        rule_id: None,
        throttle: Throttle::default(),
        attempt: 1,
        flood_summary_of: None,
        released_from_window: false,
        by_hand: false,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (emulator, mut environment) =
        faultline_e2e::emulated_environment("ticket-bench", true).await?;
    let server = providers().await;
    environment.insert("FAULTLINE_PAGERDUTY_EVENTS_URL".into(), server.uri());
    let config = Config::from_map(&environment)?;
    let usage = UsageCounter::default();
    let state = AppState::new(
        config,
        &usage.clients(&emulator.endpoint()).await,
        Clock::system(),
    );
    let tenant = Tenant {
        id: TenantId::generate(),
        name: "bench".into(),
        created_at: Utc::now(),
        settings: Default::default(),
    };
    state.store.create_tenant(&tenant).await?;
    let cipher = state.cipher().await?;
    let mut destinations = Vec::new();
    for kind in KINDS {
        for i in 0..DESTINATIONS {
            let id = DestinationId::generate();
            let context = Destination::secret_context_for(&tenant.id, &id);
            let token = cipher.seal("bench-token-0123456789", &context);
            let destination = Destination {
                target: faultline_testkit::ticket_target(kind, Some(&server.uri()), token),
                id,
                tenant_id: tenant.id.clone(),
                name: format!("{}-{i}", kind.as_str()),
                enabled: true,
                created_at: Utc::now(),
                updated_at: Utc::now(),
            };
            state.store.create_destination(&destination).await?;
            destinations.push((kind, destination));
        }
    }
    usage.take();

    println!(
        "tickets: PagerDuty, Jira and GitHub stubs answering in {} ms",
        LATENCY.as_millis()
    );
    println!("  one incident's lifecycle (open → acknowledged → resolved), per destination kind:");
    for kind in KINDS {
        let (_, destination) = destinations.iter().find(|(k, _)| *k == kind).expect("one");
        let kind = kind.as_str();
        let id = IncidentId::generate();
        let before = server.received_requests().await.unwrap_or_default().len();
        usage.take();
        let start = Utc::now();
        for (step, (status, event_type)) in [
            ("open", EventType::IncidentCreated),
            ("acknowledged", EventType::IncidentUpdated),
            ("resolved", EventType::IncidentResolved),
        ]
        .into_iter()
        .enumerate()
        {
            faultline_e2e::next_wall_second().await;
            let updated = start + chrono::Duration::seconds(step as i64);
            let data = incident(status, &id, updated);
            notify(&state, &task(&tenant.id, &destination.id, event_type, data)).await?;
        }
        let calls = server.received_requests().await.unwrap_or_default().len() - before;
        let used = usage.take();
        println!(
            "    {kind:<10} {calls} provider calls, {} AWS calls ({})",
            used.total_calls(),
            used.detail()
        );
    }

    println!("  tickets opened by one invocation per 10-record batch ({DESTINATIONS} destinations of a kind, one new incident each):");
    for kind in KINDS {
        let of_kind: Vec<&Destination> = destinations
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, d)| d)
            .collect();
        let mut busy = Duration::ZERO;
        let mut opened = 0;
        for _ in 0..BATCHES {
            let bodies: Vec<String> = of_kind
                .iter()
                .map(|d| {
                    let data = incident("open", &IncidentId::generate(), Utc::now());
                    serde_json::to_string(&task(
                        &tenant.id,
                        &d.id,
                        EventType::IncidentCreated,
                        data,
                    ))
                    .unwrap_or_default()
                })
                .collect();
            faultline_e2e::next_wall_second().await;
            let event = faultline_testkit::sqs_event("notify/notification-task.json", &bodies);
            let started = Instant::now();
            let response = faultline_notify::handle(&state, event).await;
            busy += started.elapsed();
            opened += bodies.len() - response.batch_item_failures.len();
        }
        let used = usage.take();
        let kind = kind.as_str();
        println!(
            "    {kind:<10} {:.1} tickets/s ({opened} in {:.0} ms of handler time; {:.1} AWS calls per ticket)",
            opened as f64 / busy.as_secs_f64(),
            busy.as_secs_f64() * 1000.0,
            used.total_calls() as f64 / opened.max(1) as f64
        );
    }
    drop(emulator);
    Ok(())
}
