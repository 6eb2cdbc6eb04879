//! Hub CPU per delivered webhook, measured from outside the work: the whole local stack (gateway,
//! webhook, fan-out and dispatch functions, SQS pollers) runs in this process on a release build;
//! the emulator and the receivers run in processes of their own, so neither is counted. For 10
//! and 50 alerts, each fanned out to 20 endpoints that answer after 200 ms: the process's CPU
//! time (user + system, `/proc/self/stat`) and the wall time from the first alert until every
//! delivery succeeded. Prints figures; asserts nothing.
//!
//! `cargo run --release -p faultline-e2e --bin delivery-cpu` (part of `make bench`).

use faultline_e2e::Hub;
use faultline_emulator::{free_port, Emulator};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ENDPOINTS: usize = 20;
const RECEIVER_DELAY: Duration = Duration::from_millis(200);

/// CPU time this process has used, user + system (`/proc` reports in 1/100 s on Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with the last `)`): utime is the 12th, stime the 13th.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// The receivers' process: answers every request 200 after the delay (`--receiver <port>`).
async fn serve_receivers(port: u16) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    loop {
        let (mut socket, _) = listener.accept().await?;
        tokio::spawn(async move {
            let mut buffer = vec![0u8; 64 * 1024];
            let mut read = 0;
            // Read the head and the declared body, then answer.
            loop {
                let Ok(n) = socket.read(&mut buffer[read..]).await else {
                    return;
                };
                if n == 0 {
                    return;
                }
                read += n;
                let text = String::from_utf8_lossy(&buffer[..read]);
                if let Some(head_end) = text.find("\r\n\r\n") {
                    let length = text[..head_end]
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    if read >= head_end + 4 + length {
                        break;
                    }
                }
            }
            tokio::time::sleep(RECEIVER_DELAY).await;
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
        });
    }
}

fn start_receivers(port: u16) -> anyhow::Result<Child> {
    Ok(Command::new(std::env::current_exe()?)
        .args(["--receiver", &port.to_string()])
        .stdout(Stdio::null())
        .spawn()?)
}

/// Sends `alerts` alerts to a fresh tenant with 20 endpoints; CPU seconds and wall time until
/// every delivery succeeded.
async fn run(hub: &Hub, receivers: &str, alerts: usize) -> anyhow::Result<(f64, Duration)> {
    let key = hub.tenant().await;
    let hook = hub.generic_hook(&key).await;
    for n in 0..ENDPOINTS {
        hub.endpoint(&key, &format!("{receivers}/r{n}"), &["incident.created"])
            .await;
    }
    let cpu = cpu_seconds();
    let started = Instant::now();
    for n in 0..alerts {
        let (status, body) = hub
            .alert(
                &hook,
                &json!({"title": format!("cpu {n}"), "fingerprint": format!("cpu-{n}")}),
            )
            .await;
        anyhow::ensure!(status == 202, "alert refused: {body}");
    }
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let (_, page) = hub.get("/v1/messages?limit=100", &key).await;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        let delivered: u64 = items
            .iter()
            .map(|m| m["endpoints_by_status"]["succeeded"].as_u64().unwrap_or(0))
            .sum();
        if items.len() == alerts && delivered == (alerts * ENDPOINTS) as u64 {
            return Ok((cpu_seconds() - cpu, started.elapsed()));
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "deliveries never finished"
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if let (Some("--receiver"), Some(port)) = (args.get(1).map(String::as_str), args.get(2)) {
        return serve_receivers(port.parse()?).await;
    }
    let emulator = Emulator::start(free_port()?)?;
    let port = free_port()?;
    let mut receivers = start_receivers(port)?;
    let hub = Hub::start_on(&emulator.endpoint(), "1,2,4").await?;
    let base = format!("http://127.0.0.1:{port}");
    println!(
        "Hub CPU per delivered webhook (release, the whole stack in one process; emulator and \
         receivers excluded; {ENDPOINTS} endpoints answering after {} ms):",
        RECEIVER_DELAY.as_millis()
    );
    for alerts in [10, 50] {
        let (cpu, wall) = run(&hub, &base, alerts).await?;
        let deliveries = alerts * ENDPOINTS;
        println!(
            "  {alerts:>3} alerts × {ENDPOINTS}: {cpu:.2} CPU-s for {deliveries} deliveries \
             ({:.2} CPU-s per 1,000), wall {:.1} s ({:.1} ms per delivery)",
            cpu * 1000.0 / deliveries as f64,
            wall.as_secs_f64(),
            wall.as_secs_f64() * 1000.0 / deliveries as f64,
        );
    }
    let _ = receivers.kill();
    let _ = receivers.wait();
    drop(emulator);
    Ok(())
}
