//! One `notify` invocation (a 10-record SQS batch, as the template's BatchSize) telling 10 Slack
//! channels through a bot token, against a Slack API stub that answers in 100 ms: notifications
//! per second, and what each notification asks of AWS. Against the AWS emulator; prints figures,
//! asserts nothing.
//! `cargo run --release -p faultline-e2e --bin notify-throughput` (part of `make bench`).

use chrono::Utc;
use faultline::clock::Clock;
use faultline::domain::notification::{destination::mask_token, Destination, Target, Throttle};
use faultline::domain::{
    DestinationId, DomainEvent, EventType, IncidentId, NotificationRuleId, Tenant, TenantId,
};
use faultline::queue::NotifyTask;
use faultline::{AppState, Config};
use faultline_e2e::aws_usage::UsageCounter;
use serde_json::json;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CHANNELS: usize = 10;
const BATCHES: usize = 20;

fn incident_event(tenant: &TenantId, i: usize) -> DomainEvent {
    let now = Utc::now().to_rfc3339();
    let data = json!({
        "id": IncidentId::generate(), "kind": "alert", "title": format!("Checkout errors #{i}"),
        "description": "Error rate 7.2% over 5 minutes on POST /checkout", "severity": "critical",
        "status": "open", "fingerprint": format!("generic:bench-{i}"), "upstream_id": null,
        "project_id": null, "assignee": null, "priority": null, "source": "generic",
        "integration_id": "int_01JD0000000000000000000000", "service": "checkout",
        "environment": "production", "url": "https://grafana.example.com/d/checkout",
        "attributes": {}, "occurrences": 1, "first_seen_at": now, "last_seen_at": now,
        "created_at": now, "updated_at": now, "acknowledged_at": null, "resolved_at": null,
    });
    DomainEvent::new(tenant.clone(), EventType::IncidentCreated, data, Utc::now())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (emulator, mut environment) =
        faultline_e2e::emulated_environment("notify-bench", true).await?;
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat.postMessage"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(
                    json!({"ok": true, "channel": "C0000000000", "ts": "1700000000.000100"}),
                )
                .set_delay(Duration::from_millis(100)),
        )
        .mount(&slack)
        .await;
    environment.insert("FAULTLINE_SLACK_API_URL".into(), slack.uri());
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
    for i in 0..CHANNELS {
        let id = DestinationId::generate();
        let token = "xoxb-0000000000-0000000000000-benchbenchbench";
        let destination = Destination {
            target: Target::SlackBot {
                token: cipher.seal(token, &Destination::secret_context_for(&tenant.id, &id)),
                masked: mask_token(token),
                channel: format!("C{:010}", i),
            },
            id,
            tenant_id: tenant.id.clone(),
            name: format!("#bench-{i}"),
            enabled: true,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        state.store.create_destination(&destination).await?;
        destinations.push(destination);
    }
    // Warm: the data key, the HTTP pool.
    usage.take();

    let mut busy = Duration::ZERO;
    let mut sent = 0usize;
    let mut n = 0;
    for _ in 0..BATCHES {
        let bodies: Vec<String> = destinations
            .iter()
            .map(|destination| {
                n += 1;
                let task = NotifyTask {
                    tenant_id: tenant.id.clone(),
                    event: incident_event(&tenant.id, n),
                    destination_id: destination.id.clone(),
                    rule_id: Some(NotificationRuleId::generate()),
                    throttle: Throttle::default(),
                    attempt: 1,
                    flood_summary_of: None,
                    released_from_window: false,
                    by_hand: false,
                };
                serde_json::to_string(&task).unwrap_or_default()
            })
            .collect();
        faultline_e2e::next_wall_second().await;
        let event = faultline_testkit::sqs_event("notify/notification-task.json", &bodies);
        let started = Instant::now();
        let response = faultline_notify::handle(&state, event).await;
        busy += started.elapsed();
        sent += bodies.len() - response.batch_item_failures.len();
    }
    let posted = slack.received_requests().await.unwrap_or_default().len();
    let used = usage.take();
    let per = |x: f64| x / sent.max(1) as f64;
    println!("notify: one invocation per 10-record batch, {CHANNELS} Slack channels (bot token), stub answering in 100 ms");
    println!("  batches                      {BATCHES} ({sent} notifications, {posted} chat.postMessage calls)");
    println!(
        "  wall time in the handler     {:.0} ms ({:.0} ms per batch)",
        busy.as_secs_f64() * 1000.0,
        busy.as_secs_f64() * 1000.0 / BATCHES as f64
    );
    println!(
        "  notifications per second     {:.1}",
        sent as f64 / busy.as_secs_f64()
    );
    println!(
        "  AWS calls per notification   {:.2} ({})",
        per(used.total_calls() as f64),
        used.detail()
    );
    println!(
        "  DynamoDB per notification    {:.2} WRU, {:.2} RRU",
        per(used.write_units),
        per(used.read_units)
    );
    drop(emulator);
    Ok(())
}
