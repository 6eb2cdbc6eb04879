//! `make soak`: sustained mixed traffic through the whole local stack (the emulator, the HTTP
//! gateway, every function and the SQS pollers) for `SOAK_MINUTES` (30): API reads and writes,
//! signed webhooks of every source, every event fanned out to 20 endpoints of which a third fail.
//! Every minute: the emulator's memory, what it holds (table items and stream records, from the
//! launcher's census), requests per second and 5xx answers. At the end, the
//! invariant: every accepted alert's message delivered to each healthy endpoint and delivered or
//! exhausted at each failing one. Exits 1 on any 5xx or a broken invariant.

use faultline::domain::Source;
use faultline_e2e::deliveries::{delivery, SECRETS};
use faultline_e2e::{Hub, TenantKey};
use faultline_emulator::{free_port, Emulator};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ENDPOINTS: usize = 20;

/// What the traffic got back.
#[derive(Debug, Default)]
struct Tally {
    requests: AtomicU64,
    server_errors: AtomicU64,
    accepted_alerts: AtomicU64,
}

/// Resident memory of a process and its children, in MiB (`/proc`).
fn rss_mib(pid: u32) -> f64 {
    let mut pids = vec![pid];
    if let Ok(children) = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")) {
        pids.extend(
            children
                .split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok()),
        );
    }
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/status")).ok())
        .filter_map(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .sum::<f64>()
        / 1024.0
}

/// What the emulator holds right now: (table items, stream records), from its census.
fn holdings(emulator: &Emulator) -> Option<(u64, u64)> {
    let census = emulator.census()?;
    let tables = census["dynamodb"].as_object()?;
    let sum = |field: &str| tables.values().filter_map(|t| t[field].as_u64()).sum();
    Some((sum("items"), sum("stream_records")))
}

/// A receiver that answers `status` to everything, keeping no record of what it got.
async fn answering(status: u16) -> wiremock::MockServer {
    let server = wiremock::MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

/// One signed webhook of `source` through the gateway; its status.
async fn webhook(hub: &Hub, source: Source, integration: &str, n: usize) -> u16 {
    let (_, event) = delivery(source, integration, n, chrono::Utc::now());
    let request = event.request();
    let mut outgoing = hub
        .http
        .post(hub.url(&format!("/v1/hooks/{}/{integration}", source.as_str())));
    for (name, value) in request.headers() {
        if name != "host" && name != "content-length" {
            outgoing = outgoing.header(name, value);
        }
    }
    let body = request.body().to_vec();
    match outgoing.body(body).send().await {
        Ok(response) => response.status().as_u16(),
        Err(_) => 599,
    }
}

async fn integration(hub: &Hub, key: &TenantKey, source: Source, secret: &str) -> String {
    let (status, body) = hub
        .post(
            "/v1/integrations",
            key,
            &json!({"source": source.as_str(), "name": source.as_str(), "secret": secret}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap_or_default().to_owned()
}

fn count(tally: &Tally, status: u16) {
    tally.requests.fetch_add(1, Ordering::Relaxed);
    if status >= 500 {
        tally.server_errors.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let minutes: u64 = std::env::var("SOAK_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(30);
    let emulator = Emulator::start(free_port()?)?;
    let hub = Arc::new(Hub::start_on(&emulator.endpoint(), "1,1,1").await?);
    let key = hub.tenant().await;
    let healthy = answering(200).await;
    let failing = answering(500).await;
    let mut failing_ids = Vec::new();
    for n in 0..ENDPOINTS {
        let url = if n.is_multiple_of(3) {
            format!("{}/down", failing.uri())
        } else {
            format!("{}/up", healthy.uri())
        };
        let endpoint = hub.endpoint(&key, &url, &["incident.created"]).await;
        if n.is_multiple_of(3) {
            failing_ids.push(endpoint["id"].as_str().unwrap_or_default().to_owned());
        }
    }
    let mut integrations = Vec::new();
    for (source, secret) in SECRETS {
        integrations.push((source, integration(&hub, &key, source, secret).await));
    }
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let until = started + Duration::from_secs(minutes * 60);
    println!(
        "soak: {minutes} min, {ENDPOINTS} endpoints ({} failing), emulator pid {}",
        failing_ids.len(),
        emulator.pid()
    );
    println!("minute  emulator MiB  table items  stream records  requests/s  5xx  alerts accepted");
    let mut workers = Vec::new();
    let numbers = Arc::new(AtomicU64::new(0));
    for _ in 0..4 {
        let (hub, key, tally, integrations, numbers) = (
            hub.clone(),
            key.clone(),
            tally.clone(),
            integrations.clone(),
            numbers.clone(),
        );
        workers.push(tokio::spawn(async move {
            while Instant::now() < until {
                let n = numbers.fetch_add(1, Ordering::Relaxed) as usize + 1;
                // Webhooks of every source, and API reads and writes, in turn.
                let (source, id) = &integrations[n % integrations.len()];
                let status = webhook(&hub, *source, id, n).await;
                count(&tally, status);
                // GitHub (merged pull requests) and Jira (ticket changes) open no incident.
                if status == 202 && !matches!(source, Source::Github | Source::Jira) {
                    tally.accepted_alerts.fetch_add(1, Ordering::Relaxed);
                }
                let (status, _) = hub.get("/v1/incidents?limit=20", &key).await;
                count(&tally, status);
                if n.is_multiple_of(10) {
                    let (status, project) = hub
                        .post("/v1/projects", &key, &json!({"name": format!("p{n}")}))
                        .await;
                    count(&tally, status);
                    if let Some(id) = project["id"].as_str() {
                        let response = hub
                            .http
                            .delete(hub.url(&format!("/v1/projects/{id}")))
                            .bearer_auth(&key.0)
                            .send()
                            .await;
                        count(&tally, response.map(|r| r.status().as_u16()).unwrap_or(599));
                    }
                }
            }
        }));
    }
    let mut last = (Instant::now(), 0u64);
    let mut minute = 0;
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(60).min(until - Instant::now())).await;
        minute += 1;
        let requests = tally.requests.load(Ordering::Relaxed);
        let rate = (requests - last.1) as f64 / last.0.elapsed().as_secs_f64();
        last = (Instant::now(), requests);
        let (items, records) = holdings(&emulator).unwrap_or_default();
        println!(
            "{minute:>6}  {:>12.0}  {items:>11}  {records:>14}  {rate:>10.1}  {:>3}  {:>15}",
            rss_mib(emulator.pid()),
            tally.server_errors.load(Ordering::Relaxed),
            tally.accepted_alerts.load(Ordering::Relaxed),
        );
    }
    for worker in workers {
        let _ = worker.await;
    }
    // Let the last deliveries and retries (1 s, 1 s, 1 s) settle — the queues drain at the
    // emulator's pace, slower on a busy machine — then check every message.
    let accepted = tally.accepted_alerts.load(Ordering::Relaxed) as usize;
    let mut unsettled = usize::MAX;
    let settling = Instant::now();
    for _ in 0..180 {
        tokio::time::sleep(Duration::from_secs(5)).await;
        unsettled = unsettled_deliveries(&hub, &key, failing_ids.len(), accepted).await;
        if unsettled == 0 {
            break;
        }
    }
    let errors = tally.server_errors.load(Ordering::Relaxed);
    println!(
        "soak: {} requests in {:.0} s ({:.1}/s), {errors} 5xx, emulator {:.0} MiB at the end",
        tally.requests.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
        tally.requests.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64(),
        rss_mib(emulator.pid()),
    );
    println!(
        "invariant: {accepted} alerts accepted × {ENDPOINTS} endpoints; deliveries not settled \
         (healthy not delivered, failing neither delivered nor exhausted, or missing): {unsettled} \
         ({:.0} s after the traffic stopped)",
        settling.elapsed().as_secs_f64()
    );
    if errors > 0 || unsettled > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// Deliveries that are not where they should be by now: for every accepted alert, a message
/// delivered to each healthy endpoint and exhausted at each failing one.
async fn unsettled_deliveries(
    hub: &Hub,
    key: &TenantKey,
    failing: usize,
    accepted: usize,
) -> usize {
    let healthy = ENDPOINTS - failing;
    let (mut unsettled, mut messages) = (0, 0);
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/messages?limit=100&cursor={c}"),
            None => "/v1/messages?limit=100".to_owned(),
        };
        let (status, page) = hub.get(&path, key).await;
        if status != 200 {
            return usize::MAX;
        }
        for message in page["items"].as_array().into_iter().flatten() {
            messages += 1;
            let counts = &message["endpoints_by_status"];
            let n = |status: &str| counts[status].as_u64().unwrap_or(0) as usize;
            unsettled += n("pending") + n("failed") + n("succeeded").abs_diff(healthy);
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return unsettled + accepted.saturating_sub(messages) * ENDPOINTS,
        }
    }
}
