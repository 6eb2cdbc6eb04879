//! Measures, on the local stack, the time from an accepted generic alert (the hub's 202) to the
//! signed webhook arriving at a subscribed receiver, and to the Slack message (an incoming-webhook
//! destination routed by a rule) arriving at a Slack stub. Prints percentiles; asserts nothing.
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
            // A Slack message names its incident by title: `[MEDIUM] probe 3 — Open: Opened`.
            let slack_title = body["text"]
                .as_str()
                .and_then(|t| t.split_once("] "))
                .and_then(|(_, rest)| rest.split_once(" — "))
                .map(|(title, _)| format!("slack:{title}"));
            if let Some(key) = slack_title {
                if let Ok(mut arrivals) = self.0.lock() {
                    arrivals.entry(key).or_insert(now);
                }
            }
            if let Some(id) = body["data"]["id"].as_str() {
                if let Ok(mut arrivals) = self.0.lock() {
                    arrivals.entry(id.to_owned()).or_insert(now);
                }
            }
        }
        ResponseTemplate::new(200)
    }
}

/// How many alerts the Slack figure is taken on (under the flood limit of 20 a minute).
const SLACK_ALERTS: usize = 15;

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
    let (_, slack) = hub
        .post(
            "/v1/destinations",
            &key,
            &json!({"name": "#probe", "kind": "slack_webhook", "url": format!("{}/slack", receiver.uri())}),
        )
        .await;
    hub.post(
        "/v1/notification-rules",
        &key,
        &json!({"name": "everything", "destinations": [slack["id"]]}),
    )
    .await;
    let mut to_slack = Vec::with_capacity(alerts);

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
        // A destination takes 20 notifications a minute before the rest are folded into a
        // summary: the Slack figure is taken on the first 15 alerts (one every second or so).
        if i >= SLACK_ALERTS {
            continue;
        }
        let told = eventually(Duration::from_secs(30), || {
            let arrivals = arrivals.clone();
            let key = format!("slack:probe {i}");
            async move { arrivals.0.lock().ok().and_then(|a| a.get(&key).copied()) }
        })
        .await
        .ok_or_else(|| anyhow::anyhow!("alert {i} was not told to Slack within 30 s"))?;
        to_slack.push(told.saturating_duration_since(accepted_at));
        // One message a second per Slack channel: the next alert starts in a fresh second, so the
        // figure is the path's latency, not the channel's pacing.
        let millis = chrono::Utc::now().timestamp_subsec_millis();
        tokio::time::sleep(Duration::from_millis(u64::from(1_005 - millis.min(1_000)))).await;
    }
    to_slack.sort();
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
    println!(
        "  accepted → Slack message      p50 {}  p90 {}  p99 {}  max {}  ({} alerts)",
        ms(percentile(&to_slack, 50.0)),
        ms(percentile(&to_slack, 90.0)),
        ms(percentile(&to_slack, 99.0)),
        ms(*to_slack.last().unwrap_or(&Duration::ZERO)),
        to_slack.len()
    );
    drop(hub);
    drop(emulator);
    Ok(())
}
