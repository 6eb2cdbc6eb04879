//! Counts the AWS API calls each webhook function makes per accepted webhook, by operation, and
//! the DynamoDB request units, with an SDK interceptor on real clients against the emulator (warm
//! container: secrets already cached); the same per delivery attempt; then prices both at AWS list
//! prices, with the handlers' measured wall time as Lambda's billed duration (128 MB arm64).
//! Prints figures; asserts nothing. `cargo run --release -p faultline-e2e --bin aws-calls` (part
//! of `make bench`).

use base64::Engine as _;
use faultline::clock::Clock;
use faultline::domain::{Source, Tenant, TenantId};
use faultline::{AppState, Config};
use faultline_e2e::aws_usage::{prices, print_costs, CostLine, Usage, UsageCounter};
use faultline_e2e::deliveries::{delivery, generic_alert, SECRETS};
use faultline_emulator::{deploy, free_port, Emulator, Template};
use faultline_testkit::store_integration;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Lambda memory the template gives every function, in GB.
const MEMORY_GB: f64 = 0.125;
/// Webhooks measured per source (after one warm-up).
const SAMPLES: usize = 5;

/// The mean of what `samples` invocations used, and their mean wall time.
fn mean(samples: &[(Usage, Duration)]) -> (f64, f64, f64, Duration, Usage) {
    let n = samples.len().max(1) as f64;
    let calls = samples.iter().map(|(u, _)| u.total_calls()).sum::<usize>() as f64 / n;
    let writes = samples.iter().map(|(u, _)| u.write_units).sum::<f64>() / n;
    let reads = samples.iter().map(|(u, _)| u.read_units).sum::<f64>() / n;
    let wall = samples.iter().map(|(_, d)| *d).sum::<Duration>() / samples.len().max(1) as u32;
    (
        calls,
        writes,
        reads,
        wall,
        samples.last().map(|(u, _)| u.clone()).unwrap_or_default(),
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let emulator = Emulator::start(free_port()?)?;
    let body = std::fs::read_to_string(faultline_emulator::default_template_path())?;
    let deployment = deploy(&emulator.endpoint(), &Template::parse(&body)?, "aws-calls").await?;
    let mut environment = deployment.environment.clone();
    environment.insert("FAULTLINE_LOCAL_MODE".into(), "1".into());
    let config = Config::from_map(&environment)?;
    let counter = UsageCounter::default();
    let clients = counter.clients(&emulator.endpoint()).await;
    let state = AppState::new(config, &clients, Clock::system());

    let tenant = Tenant {
        id: TenantId::generate(),
        name: "bench".into(),
        created_at: chrono::Utc::now(),
        settings: Default::default(),
    };
    state.store.create_tenant(&tenant).await?;
    println!(
        "Per accepted webhook, mean of {SAMPLES} (warm container; the webhook function only —"
    );
    println!("fan-out and dispatch run later in their own functions):");
    let mut accepted = Vec::new();
    let mut generic = None;
    for (source, secret) in SECRETS {
        let integration =
            store_integration(&state, &tenant.id, source, Some(secret), Value::Null).await;
        let now = chrono::Utc::now();
        // Warm-up: the first call reads the data key from Secrets Manager, then it is cached.
        let (function, warm) = delivery(source, integration.id.as_str(), 0, now);
        faultline_local::functions::invoke_http(&state, function, warm.request()).await;
        counter.take();
        let mut samples = Vec::new();
        let mut statuses = Vec::new();
        for n in 1..=SAMPLES {
            let (function, event) = delivery(source, integration.id.as_str(), n, now);
            let started = Instant::now();
            let response =
                faultline_local::functions::invoke_http(&state, function, event.request()).await;
            let wall = started.elapsed();
            statuses.push(response.map(|r| r.status().as_u16()).unwrap_or_default());
            samples.push((counter.take(), wall));
        }
        let (calls, writes, reads, wall, last) = mean(&samples);
        println!(
            "  {:<10} HTTP {:?}  {calls:>4.1} calls, {writes:>4.1} WRU, {reads:>4.1} RRU, {:>5.1} ms: {}",
            source.as_str(),
            statuses.iter().collect::<std::collections::BTreeSet<_>>(),
            wall.as_secs_f64() * 1e3,
            last.detail()
        );
        println!("{:<18}write units by item: {}", "", last.write_detail());
        if source == Source::Generic {
            generic = Some(integration.id.to_string());
        }
        if !matches!(source, Source::Github | Source::Jira) {
            // Alerts (GitHub's merged pull requests are changes and Jira's moved issues are
            // ticket updates: neither opens an incident).
            accepted.extend(samples);
        }
    }
    let relay = relay_calls(&emulator.endpoint(), &state, &counter).await?;
    let joining = joining_samples(&state, &counter, generic.as_deref().unwrap_or_default()).await;
    println!();
    let accepted_total = print_accepted_costs(
        "Cost per million accepted alerts that open an incident (mean of the four alert sources",
        &accepted,
        &relay,
    );
    println!();
    print_accepted_costs(
        "Cost per million accepted alerts that join their open incident (generic",
        &joining,
        &relay,
    );
    dispatch_calls(&state, &tenant.id, &counter, accepted_total).await?;
    drop(emulator);
    Ok(())
}

/// An alert that joins its open incident, as most alerts of a noisy source do: a generic alert
/// opens one, then fires again `SAMPLES` times with the same fingerprint (a new occurrence and
/// delivery each time). What each repeat used, and its wall time.
async fn joining_samples(
    state: &AppState,
    counter: &UsageCounter,
    integration: &str,
) -> Vec<(Usage, Duration)> {
    let alert = |n: usize| {
        generic_alert(
            integration,
            &json!({"title": format!("disk full: {n} MB left"), "fingerprint": "disk-repeating"}),
            &format!("repeat-{n}"),
        )
    };
    let (function, opener) = alert(0);
    faultline_local::functions::invoke_http(state, function, opener.request()).await;
    counter.take();
    let mut samples = Vec::new();
    let mut statuses = std::collections::BTreeSet::new();
    for n in 1..=SAMPLES {
        let (function, event) = alert(n);
        let started = Instant::now();
        let response =
            faultline_local::functions::invoke_http(state, function, event.request()).await;
        let wall = started.elapsed();
        statuses.insert(response.map(|r| r.status().as_u16()).unwrap_or_default());
        samples.push((counter.take(), wall));
    }
    let (calls, writes, reads, wall, last) = mean(&samples);
    println!(
        "  {:<10} HTTP {statuses:?}  {calls:>4.1} calls, {writes:>4.1} WRU, {reads:>4.1} RRU, {:>5.1} ms: {} (an alert joining its open incident)",
        "generic",
        wall.as_secs_f64() * 1e3,
        last.detail()
    );
    println!("{:<18}write units by item: {}", "", last.write_detail());
    samples
}

/// Prints what an accepted alert costs, from what `samples` used and what publishing its events
/// costs; the total per million.
fn print_accepted_costs(title: &str, samples: &[(Usage, Duration)], relay: &RelayUsage) -> f64 {
    let (calls, writes, reads, wall, last) = mean(samples);
    let s3_puts = last.calls.get("S3.PutObject").copied().unwrap_or(0) as f64;
    let sqs = last.calls_of("SQS") as f64;
    print_costs(
        &format!(
            "{title}: {calls:.1} calls, {writes:.1} WRU, {:.1} ms)",
            wall.as_secs_f64() * 1e3
        ),
        &[
            CostLine::new(
                "API Gateway HTTP API requests",
                1.0,
                prices::HTTP_API_REQUEST,
            ),
            CostLine::new(
                "Lambda requests (webhook function)",
                1.0,
                prices::LAMBDA_REQUEST,
            ),
            CostLine::new(
                "Lambda GB-s (measured wall time, 128 MB arm64)",
                wall.as_secs_f64() * MEMORY_GB,
                prices::LAMBDA_ARM_GB_SECOND,
            ),
            CostLine::new(
                "DynamoDB write request units",
                writes,
                prices::DYNAMODB_WRITE_UNIT,
            ),
            CostLine::new(
                "DynamoDB read request units",
                reads,
                prices::DYNAMODB_READ_UNIT,
            ),
            CostLine::new("S3 PUT (raw request archive)", s3_puts, prices::S3_PUT),
            CostLine::new(
                "Lambda requests (outbox relay; one each at low rates, batched under load)",
                1.0,
                prices::LAMBDA_REQUEST,
            ),
            CostLine::new(
                "Lambda GB-s (outbox relay, measured wall time per event)",
                relay.wall_per_event.as_secs_f64() * MEMORY_GB,
                prices::LAMBDA_ARM_GB_SECOND,
            ),
            CostLine::new(
                "SQS requests (relay's publish per event; fan-out's receive + delete)",
                sqs + relay.sqs_calls_per_event * relay.events_per_webhook + 2.0,
                prices::SQS_REQUEST,
            ),
            CostLine::new(
                "Lambda requests (fan-out, one batch)",
                1.0,
                prices::LAMBDA_REQUEST,
            ),
        ],
    )
}

/// What publishing costs per event: the outbox relay handed the stream records the alerts above
/// wrote, in one batch, as Lambda hands them over.
struct RelayUsage {
    wall_per_event: Duration,
    sqs_calls_per_event: f64,
    events_per_webhook: f64,
}

async fn relay_calls(
    endpoint: &str,
    state: &AppState,
    counter: &UsageCounter,
) -> anyhow::Result<RelayUsage> {
    let mut stream =
        faultline_emulator::streams::TableStream::of_table(endpoint, &state.config.table, &[])
            .await?;
    let webhooks = (SAMPLES + 1) * SECRETS.len();
    let mut events = 0usize;
    let mut invocations = 0usize;
    // What the parked items held: (JSON bytes, deflated bytes), and how many there were.
    let mut parked_bytes = (0usize, 0usize);
    let mut parked_items = 0usize;
    let mut wall = Duration::ZERO;
    counter.take();
    while let Some(batch) = stream.next_batch(100).await? {
        let started = Instant::now();
        let response = faultline_outbox_relay::handle(state, batch.event.clone())
            .await
            .map_err(|e| anyhow::anyhow!("relay: {e}"))?;
        wall += started.elapsed();
        invocations += 1;
        anyhow::ensure!(
            response["batchItemFailures"]
                .as_array()
                .is_some_and(Vec::is_empty),
            "relay failed: {response}"
        );
        stream.settle(&batch, &[]);
        // Only parked events count (a record parks a change's events together): the relay's
        // filter leaves every other record out.
        events += batch.event["Records"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| {
                r["eventName"] == "INSERT"
                    && r["dynamodb"]["Keys"]["pk"]["S"]
                        .as_str()
                        .is_some_and(|pk| pk.starts_with("OUTBOX#"))
            })
            .filter_map(|r| {
                r["dynamodb"]["NewImage"][faultline::store::EVENTS_DEFLATED]["B"].as_str()
            })
            .filter_map(|deflated| {
                base64::engine::general_purpose::STANDARD
                    .decode(deflated)
                    .ok()
            })
            .filter_map(|deflated| {
                let events = faultline::store::inflate_events(&deflated).ok()?;
                let json = serde_json::to_vec(&events).map_or(0, |json| json.len());
                parked_bytes.0 += json;
                parked_bytes.1 += deflated.len();
                parked_items += 1;
                Some(events.len())
            })
            .sum::<usize>();
    }
    let used = counter.take();
    let per_event = |n: f64| n / events.max(1) as f64;
    println!(
        "  outbox relay: {events} events in {invocations} stream batch(es), {:.2} calls per event ({}), {:.2} ms per event",
        per_event(used.total_calls() as f64),
        used.detail(),
        per_event(wall.as_secs_f64() * 1e3)
    );
    println!(
        "  parked events: {:.0} bytes of JSON per change, {:.0} bytes deflated",
        parked_bytes.0 as f64 / parked_items.max(1) as f64,
        parked_bytes.1 as f64 / parked_items.max(1) as f64
    );
    Ok(RelayUsage {
        wall_per_event: wall / events.max(1) as u32,
        sqs_calls_per_event: per_event(used.calls_of("SQS") as f64),
        events_per_webhook: events as f64 / webhooks as f64,
    })
}

/// Calls per delivery attempt: one fan-out of an event to 10 endpoints, then one dispatch
/// invocation with one task, and one with a batch of 10 (one message to 10 endpoints), against a
/// receiver that answers 200 at once; then the cost per million delivered webhooks.
async fn dispatch_calls(
    state: &AppState,
    tenant: &TenantId,
    counter: &UsageCounter,
    accepted_total: f64,
) -> anyhow::Result<()> {
    use faultline::domain::{DeliveryTask, DomainEvent, Endpoint, EndpointId, EventType};
    let receiver = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let cipher = state.cipher().await?;
    let mut endpoints = Vec::new();
    for _ in 0..10 {
        let id = EndpointId::generate();
        let endpoint = Endpoint {
            secret: cipher.seal(
                faultline::signing::WebhookSecret::generate().expose(),
                &Endpoint::secret_context_for(tenant, &id),
            ),
            id,
            tenant_id: tenant.clone(),
            url: format!("{}/hook", receiver.uri()),
            description: String::new(),
            event_types: vec![],
            enabled: true,
            headers: Default::default(),
            rate_limit: None,
            previous_secrets: vec![],
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            failing_since: None,
            disabled_reason: None,
        };
        state.store.create_endpoint(&endpoint).await?;
        endpoints.push(endpoint);
    }
    println!();
    println!("Per delivery (fan-out to 10 endpoints; dispatch; the receiver answers 200 at once):");
    let mut fanout = (Usage::default(), Duration::ZERO);
    let mut batch = (Usage::default(), Duration::ZERO);
    for (label, count) in [
        ("fan-out, 1 event", 0usize),
        ("dispatch, 1 task", 1),
        ("dispatch, 10 tasks", 10),
    ] {
        let event = DomainEvent::new(
            tenant.clone(),
            EventType::IncidentCreated,
            json!({"id": "inc_1"}),
            chrono::Utc::now(),
        );
        let started;
        if count == 0 {
            counter.take();
            started = Instant::now();
            faultline_fanout::handle(
                state,
                faultline_testkit::sqs_event(
                    "fanout/domain-event.json",
                    &[serde_json::to_string(&event)?],
                ),
            )
            .await;
        } else {
            let message = faultline::domain::Message::for_event(&event, chrono::Utc::now());
            state.store.put_message_once(&message, &[]).await?;
            let bodies: Vec<String> = endpoints
                .iter()
                .take(count)
                .map(|e| {
                    serde_json::to_string(&DeliveryTask {
                        tenant_id: tenant.clone(),
                        message_id: message.id.clone(),
                        endpoint_id: e.id.clone(),
                        attempt: 1,
                        not_before: chrono::Utc::now(),
                    })
                    .unwrap_or_default()
                })
                .collect();
            counter.take();
            started = Instant::now();
            faultline_dispatch::handle(
                state,
                faultline_testkit::sqs_event("dispatch/delivery-task.json", &bodies),
            )
            .await;
        }
        let wall = started.elapsed();
        let usage = counter.take();
        let per = count.max(10) as f64;
        println!(
            "  {label:<18} {:>3} calls ({:.1} per delivery), {:.1} WRU, {:.1} RRU, {:.1} ms: {}",
            usage.total_calls(),
            usage.total_calls() as f64 / per,
            usage.write_units,
            usage.read_units,
            wall.as_secs_f64() * 1e3,
            usage.detail()
        );
        match count {
            0 => fanout = (usage, wall),
            10 => batch = (usage, wall),
            _ => {}
        }
    }
    println!();
    let per = |x: f64| x / 10.0;
    let wall = fanout.1 + batch.1;
    let delivered_total = print_costs(
        "Cost per million delivered webhooks (a fan-out to 10 endpoints and a dispatch batch of 10, \
         per delivery)",
        &[
            CostLine::new(
                "Lambda requests (fan-out + dispatch, per 10 deliveries)",
                per(2.0),
                prices::LAMBDA_REQUEST,
            ),
            CostLine::new(
                "Lambda GB-s (measured wall time, 128 MB arm64)",
                per(wall.as_secs_f64()) * MEMORY_GB,
                prices::LAMBDA_ARM_GB_SECOND,
            ),
            CostLine::new(
                "DynamoDB write request units",
                per(fanout.0.write_units + batch.0.write_units),
                prices::DYNAMODB_WRITE_UNIT,
            ),
            CostLine::new(
                "DynamoDB read request units",
                per(fanout.0.read_units + batch.0.read_units),
                prices::DYNAMODB_READ_UNIT,
            ),
            CostLine::new(
                "SQS requests (enqueue; dispatch's receive + delete)",
                per(fanout.0.calls_of("SQS") as f64 + batch.0.calls_of("SQS") as f64 + 2.0),
                prices::SQS_REQUEST,
            ),
        ],
    );
    println!();
    println!(
        "Goals: ≤ $5.00 per million accepted webhooks ({accepted_total:.2}), ≤ $1.00 per million \
         delivered webhooks ({delivered_total:.2}). Not in the table: CloudWatch Logs ingestion of \
         the JSON log lines ($0.50 per GB), the receiver's own latency (billed while dispatch \
         waits), retries, and SQS's empty long polls."
    );
    Ok(())
}
