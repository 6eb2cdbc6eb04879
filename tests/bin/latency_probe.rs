//! Measures, on the local stack, the time from an accepted generic alert (the hub's 202) to the
//! signed webhook arriving at a subscribed receiver. Prints percentiles; asserts nothing.
//!
//! `cargo run --release -p faultline-e2e --bin latency-probe [-- <alerts>]` (part of `make bench`).

use faultline_e2e::{eventually, Hub};
use faultline_emulator::{free_port, Emulator};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Records when each incident's webhook arrived.
#[derive(Clone, Default)]
struct Arrivals(Arc<Mutex<HashMap<String, Instant>>>);

impl Respond for Arrivals {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let now = Instant::now();
        if let Ok(body) = serde_json::from_slice::<Value>(&request.body) {
            if let Some(id) = body["data"]["id"].as_str() {
                if let Ok(mut arrivals) = self.0.lock() {
                    arrivals.entry(id.to_owned()).or_insert(now);
                }
            }
        }
        ResponseTemplate::new(200)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let alerts: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let started = Instant::now();
    let emulator = Emulator::start(free_port()?)?;
    let emulator_ready = started.elapsed();
    let hub = Hub::start_on(&emulator.endpoint(), "1,2,4").await?;
    let hub_ready = started.elapsed();

    let receiver = MockServer::start().await;
    let arrivals = Arrivals::default();
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(arrivals.clone())
        .mount(&receiver)
        .await;
    let key = hub.tenant().await;
    let (_, integration) = hub
        .post(
            "/v1/integrations",
            &key,
            &json!({"source": "generic", "name": "probe", "unsigned": true}),
        )
        .await;
    let path = integration["webhook_path"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    hub.post(
        "/v1/endpoints",
        &key,
        &json!({"url": format!("{}/hook", receiver.uri())}),
    )
    .await;

    let mut latencies = Vec::with_capacity(alerts);
    let mut accept_times = Vec::with_capacity(alerts);
    for i in 0..alerts {
        let sent = Instant::now();
        let (status, accepted) =
            hub.send(hub.http.post(hub.url(&path)).json(
                &json!({"title": format!("probe {i}"), "fingerprint": format!("probe-{i}")}),
            ))
            .await;
        let accepted_at = Instant::now();
        anyhow::ensure!(status == 202, "alert {i} refused: {accepted}");
        let id = accepted["incident_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let arrived = eventually(Duration::from_secs(30), || {
            let arrivals = arrivals.clone();
            let id = id.clone();
            async move { arrivals.0.lock().ok().and_then(|a| a.get(&id).copied()) }
        })
        .await
        .ok_or_else(|| anyhow::anyhow!("alert {i} was not delivered within 30 s"))?;
        accept_times.push(accepted_at - sent);
        latencies.push(arrived.saturating_duration_since(accepted_at));
    }
    latencies.sort();
    accept_times.sort();

    println!(
        "local stack (moto on 127.0.0.1, every function in-process, debug={})",
        cfg!(debug_assertions)
    );
    println!("  emulator listening after      {}", ms(emulator_ready));
    println!("  stack deployed + hub ready    {}", ms(hub_ready));
    println!("  alerts                        {alerts} (sequential, one subscribed endpoint)");
    println!(
        "  POST → 202 accepted           p50 {}  p90 {}  max {}",
        ms(percentile(&accept_times, 50.0)),
        ms(percentile(&accept_times, 90.0)),
        ms(*accept_times.last().unwrap_or(&Duration::ZERO))
    );
    println!(
        "  accepted → webhook delivered  p50 {}  p90 {}  p99 {}  max {}",
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 90.0)),
        ms(percentile(&latencies, 99.0)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO))
    );
    drop(hub);
    drop(emulator);
    Ok(())
}
