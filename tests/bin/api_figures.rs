//! Figures for the identity issue, on the local emulator (moto, its own process): authentication
//! overhead per request, warm, for an API key and for an access token; and the `api` handler's
//! requests per second on one core for `GET /v1/incidents` over 1,000 incidents. Prints figures;
//! asserts nothing. `cargo run --release -p faultline-e2e --bin api-figures` (part of `make bench`).

use faultline::domain::Scope;
use faultline::domain::{
    Fingerprint, Incident, IncidentId, IntegrationId, Severity, Signal, Source, Tenant, TenantId,
};
use faultline::http::require_scope;
use faultline::services::api_keys::issue_api_key;
use faultline::AppState;
use faultline_testkit::HttpEvent;
use http::HeaderMap;
use std::time::{Duration, Instant};

fn summary(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    format!(
        "p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  mean {:.2} ms  (n={})",
        at(0.5).as_secs_f64() * 1e3,
        at(0.9).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
        samples.len()
    )
}

/// CPU time (user + system) this process has used, from `/proc/self/stat` (clock ticks of
/// 10 ms): the handler's own work, with the time spent waiting on the emulator left out.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

async fn authenticate_n(
    state: &AppState,
    credential: &str,
    n: usize,
) -> anyhow::Result<Vec<Duration>> {
    let mut headers = HeaderMap::new();
    headers.insert("authorization", format!("Bearer {credential}").parse()?);
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let principal = state.authenticator.authenticate(&headers, None).await?;
        require_scope(&principal, Scope::IncidentsRead)?;
        samples.push(start.elapsed());
    }
    Ok(samples)
}

async fn seed_incidents(state: &AppState, tenant: &TenantId, n: usize) -> anyhow::Result<()> {
    let now = state.clock.now();
    let incidents: Vec<Incident> = (0..n)
        .map(|i| {
            let mut signal = Signal::new(
                Source::Generic,
                Fingerprint::from_key("generic", &format!("bench-{i}")),
                format!("Incident number {i}"),
                now,
            );
            signal.severity = Severity::High;
            Incident::open(
                IncidentId::generate(),
                tenant.clone(),
                IntegrationId::generate(),
                None,
                &signal,
                now,
            )
        })
        .collect();
    state.store.import_incidents(&incidents).await?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    // One core for the handler: a current-thread runtime (the emulator runs in its own process).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let (_emulator, state) = faultline_e2e::emulated_state("api-figures").await?;
    let tenant = Tenant {
        id: TenantId::generate(),
        name: "bench".into(),
        created_at: chrono::Utc::now(),
        settings: faultline::domain::TenantSettings {
            api_rate_limit_per_minute: Some(100_000),
            ..Default::default()
        },
    };
    state.store.create_tenant(&tenant).await?;
    let (key, _) = issue_api_key(&state, &tenant.id, "bench", Scope::ALL.to_vec()).await?;
    let token = faultline::services::tokens::client_credentials(
        &state,
        key.id().as_str(),
        key.expose(),
        None,
        None,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?
    .access_token;

    println!("authentication overhead per request (warm: secrets and the tenant's limit cached; key lookup + use count + scope check; 2 DynamoDB calls on the emulator)");
    authenticate_n(&state, key.expose(), 50).await?;
    println!(
        "  API key         {}",
        summary(authenticate_n(&state, key.expose(), 1000).await?)
    );
    authenticate_n(&state, &token, 50).await?;
    println!(
        "  access token    {}",
        summary(authenticate_n(&state, &token, 1000).await?)
    );

    seed_incidents(&state, &tenant.id, 1000).await?;
    let request = || {
        HttpEvent::load("api/list-incidents.json")
            .key(Some(key.expose()))
            .request()
    };
    for _ in 0..20 {
        faultline_api::handle(&state, request()).await;
    }
    println!("api handler, GET /v1/incidents?limit=20 over 1,000 incidents, one core (current-thread runtime):");
    let window = Duration::from_secs(10);
    let start = Instant::now();
    let cpu_before = cpu_time();
    let mut served = 0u32;
    let mut samples = Vec::new();
    while start.elapsed() < window {
        let t = Instant::now();
        let response = faultline_api::handle(&state, request()).await;
        samples.push(t.elapsed());
        anyhow::ensure!(response.status() == 200, "status {}", response.status());
        served += 1;
    }
    let rate = f64::from(served) / start.elapsed().as_secs_f64();
    let cpu_per_request = (cpu_time() - cpu_before) / served;
    println!(
        "  sequential      {rate:.0} requests/s   latency {}",
        summary(samples)
    );
    println!(
        "  handler CPU per request {:.2} ms (user+system of this process) → one core could serve ~{:.0} requests/s if DynamoDB answered at once",
        cpu_per_request.as_secs_f64() * 1e3,
        1.0 / cpu_per_request.as_secs_f64().max(1e-9)
    );
    for concurrency in [8usize, 32] {
        let start = Instant::now();
        let mut served = 0usize;
        while start.elapsed() < window {
            let batch = futures::future::join_all(
                (0..concurrency).map(|_| faultline_api::handle(&state, request())),
            )
            .await;
            served += batch.iter().filter(|r| r.status() == 200).count();
        }
        println!(
            "  {concurrency:>2} in flight     {:.0} requests/s",
            served as f64 / start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
