//! One dispatch invocation delivering 10 messages to 50 endpoints (a 500-record SQS batch) to a
//! receiver that answers after 200 ms: wall time (concurrency, not a loop) and the process's peak
//! memory. Against the AWS emulator; prints figures, asserts nothing.
//! `cargo run --release -p faultline-e2e --bin dispatch-batch` (part of `make bench`).

use chrono::Utc;
use faultline::aws::AwsClients;
use faultline::clock::Clock;
use faultline::domain::{DeliveryTask, DomainEvent, EventType, Message, Tenant, TenantId};
use faultline::{AppState, Config};
use serde_json::json;
use std::time::{Duration, Instant};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const MESSAGES: usize = 10;
const ENDPOINTS: usize = 50;

/// Peak resident memory of this process so far (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn batch(
    state: &AppState,
    tenant: &TenantId,
    endpoints: &[faultline::domain::Endpoint],
) -> aws_lambda_events::event::sqs::SqsEvent {
    let mut bodies = Vec::new();
    for _ in 0..MESSAGES {
        let event = DomainEvent::new(
            tenant.clone(),
            EventType::IncidentCreated,
            json!({"id": "inc_1", "title": "x".repeat(512)}),
            Utc::now(),
        );
        let message = Message::for_event(&event, Utc::now());
        state
            .store
            .put_message_once(&message, &[])
            .await
            .expect("message");
        for endpoint in endpoints {
            let task = DeliveryTask {
                tenant_id: tenant.clone(),
                message_id: message.id.clone(),
                endpoint_id: endpoint.id.clone(),
                attempt: 1,
                not_before: Utc::now(),
            };
            bodies.push(serde_json::to_string(&task).expect("task"));
        }
    }
    faultline_testkit::sqs_event("dispatch/delivery-task.json", &bodies)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (emulator, environment) =
        faultline_e2e::emulated_environment("dispatch-batch", true).await?;
    let config = Config::from_map(&environment)?;
    let clients = AwsClients::for_emulator(&emulator.endpoint()).await;
    let state = AppState::new(config, &clients, Clock::system());

    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(200)))
        .mount(&receiver)
        .await;
    let tenant = Tenant {
        id: TenantId::generate(),
        name: "bench".into(),
        created_at: Utc::now(),
        settings: Default::default(),
    };
    state.store.create_tenant(&tenant).await?;
    let cipher = state.cipher().await?;
    let mut endpoints = Vec::new();
    for i in 0..ENDPOINTS {
        let id = faultline::domain::EndpointId::generate();
        let secret = faultline::signing::WebhookSecret::generate();
        let endpoint = faultline::domain::Endpoint {
            secret: cipher.seal(
                secret.expose(),
                &faultline::domain::Endpoint::secret_context_for(&tenant.id, &id),
            ),
            id,
            tenant_id: tenant.id.clone(),
            url: format!("{}/endpoint-{i}", receiver.uri()),
            description: String::new(),
            event_types: vec![],
            enabled: true,
            headers: Default::default(),
            rate_limit: None,
            previous_secrets: vec![],
            created_at: Utc::now(),
            updated_at: Utc::now(),
            failing_since: None,
            disabled_reason: None,
        };
        state.store.create_endpoint(&endpoint).await?;
        endpoints.push(endpoint);
    }

    let mut floor = Duration::ZERO;
    println!("dispatch: one invocation, {MESSAGES} messages × {ENDPOINTS} endpoints = {} deliveries, receiver answers after 200 ms", MESSAGES * ENDPOINTS);
    for run in [
        "cold (new connections)",
        "warm (pooled connections)",
        "receiver answers at once",
    ] {
        if run == "receiver answers at once" {
            receiver.reset().await;
            Mock::given(method("POST"))
                .respond_with(ResponseTemplate::new(200))
                .mount(&receiver)
                .await;
        }
        let event = batch(&state, &tenant.id, &endpoints).await;
        let before = receiver
            .received_requests()
            .await
            .map(|r| r.len())
            .unwrap_or(0);
        let started = Instant::now();
        let response = faultline_dispatch::handle(&state, event).await;
        let elapsed = started.elapsed();
        let delivered = receiver
            .received_requests()
            .await
            .map(|r| r.len())
            .unwrap_or(0)
            - before;
        println!(
            "  {run:<27} wall {:>7.1} ms  delivered {delivered}  failed records {}  peak RSS {:.1} MiB",
            elapsed.as_secs_f64() * 1000.0,
            response.batch_item_failures.len(),
            peak_rss_mib()
        );
        if run == "receiver answers at once" {
            floor = elapsed;
        }
    }
    println!(
        "  with a receiver that answers at once the same batch takes {:.0} ms: the wall time is the",
        floor.as_secs_f64() * 1000.0
    );
    println!("  emulator's (moto serves DynamoDB from one Python process); the 200 ms receiver is hidden by");
    println!("  concurrency — a sequential loop would add 500 × 200 ms = 100 s.");
    drop(emulator);
    Ok(())
}
