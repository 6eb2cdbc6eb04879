//! The scheduled jobs' figures. `sentry-sync` against a local server answering as Sentry's API
//! (issues in pages of 100 with `Link` headers, each call in 100 ms): issues synced per second
//! on a configuration's first pass, and Sentry calls when nothing changed. `cloudwatch-scan`
//! against CloudWatch Logs on the emulator, over 10,000 lines of a realistic mix (request logs,
//! warnings, errors with variable parts, Java and Python stack traces, PostgreSQL errors with
//! their DETAIL and STATEMENT lines): log events scanned per second, and issues per 10,000
//! lines. Prints figures, asserts nothing.
//! `cargo run --release -p faultline-e2e --bin scheduled-jobs` (part of `make bench`).

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use chrono::Utc;
use faultline::clock::Clock;
use faultline::domain::log_source::DEFAULT_FILTER_PATTERN;
use faultline::domain::TenantId;
use faultline::services::{log_scan, sentry_sync};
use faultline::{AppState, Config};
use faultline_e2e::aws_usage::UsageCounter;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ISSUES: usize = 500;
const LATENCY: Duration = Duration::from_millis(100);
const LINES: usize = 10_000;

fn sentry_issue(n: usize, last_seen: chrono::DateTime<Utc>) -> Value {
    json!({
        "id": (10_000 + n).to_string(), "shortId": format!("API-{n}"),
        "title": format!("TypeError: cannot read property 'x{n}' of undefined"),
        "culprit": format!("app/handlers/h{n}.js in handle"), "level": "error",
        "status": "unresolved", "substatus": "ongoing", "count": "12", "userCount": 3,
        "firstSeen": last_seen.to_rfc3339(), "lastSeen": last_seen.to_rfc3339(),
        "permalink": format!("https://sentry.io/organizations/acme/issues/{}/", 10_000 + n),
        "project": {"id": "2", "name": "API", "slug": "api"}, "assignedTo": null,
        "platform": "javascript", "metadata": {"type": "TypeError"},
    })
}

async fn sentry_server() -> MockServer {
    let server = MockServer::start().await;
    let now = Utc::now() - chrono::Duration::minutes(2);
    let pages = ISSUES.div_ceil(100);
    for page in 0..pages {
        let issues: Vec<Value> = (page * 100..(page * 100 + 100).min(ISSUES))
            .map(|n| sentry_issue(n, now - chrono::Duration::seconds(n as i64)))
            .collect();
        let next = if page + 1 < pages {
            format!(
                "<x>; rel=\"next\"; results=\"true\"; cursor=\"0:{}:0\"",
                (page + 1) * 100
            )
        } else {
            "<x>; rel=\"next\"; results=\"false\"; cursor=\"0:0:0\"".into()
        };
        let mut mock = Mock::given(method("GET")).and(path("/api/0/projects/acme/api/issues/"));
        if page > 0 {
            mock = mock.and(query_param("cursor", format!("0:{}:0", page * 100)));
        }
        mock.respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", next.as_str())
                .set_body_json(issues)
                .set_delay(LATENCY),
        )
        .with_priority(if page > 0 { 1 } else { 2 })
        .up_to_n_times(1)
        .mount(&server)
        .await;
    }
    Mock::given(method("GET"))
        .and(path("/api/0/projects/acme/api/issues/"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    "<x>; rel=\"next\"; results=\"false\"; cursor=\"0:0:0\"",
                )
                .set_body_json(json!([]))
                .set_delay(LATENCY),
        )
        .with_priority(5)
        .mount(&server)
        .await;
    let event: Value = serde_json::from_slice(&faultline_testkit::provider_fixture(
        "sentry_api_issue_event_latest.json",
    ))
    .unwrap_or_default();
    Mock::given(method("GET"))
        .and(path_regex(
            r"^/api/0/organizations/acme/issues/[0-9]+/events/latest/$",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(event)
                .set_delay(LATENCY),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/0/organizations/acme/issues/"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([]))
                .set_delay(LATENCY),
        )
        .mount(&server)
        .await;
    server
}

/// One line of the mix, or several events for one record (a PostgreSQL error and its lines).
fn mixed_record(rng: &mut impl Rng, n: usize) -> Vec<String> {
    let id = format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        rng.random::<u32>(),
        rng.random::<u16>(),
        rng.random_range(0..0xfff),
        rng.random_range(0..0xfff),
        rng.random::<u64>() & 0xffff_ffff_ffff
    );
    let roll = rng.random_range(0..100);
    let k = rng.random_range(0..8usize);
    let pid = 20_000 + n;
    let rds = format!(
        "2026-11-30 12:00:01 UTC:10.0.1.{}(5{n:04}):app@shop:[{pid}]:",
        n % 200
    );
    match roll {
        0..=69 => vec![format!("INFO request {id} GET /api/orders/{n} 200 {} ms", rng.random_range(3..400))],
        70..=79 => vec![format!("WARN slow query took {} ms on orders", rng.random_range(500..9000))],
        80..=91 => vec![[
            format!("ERROR payment {n} declined: card expired (request {id})"),
            format!("ERROR could not reach inventory at 10.0.{}.{}:8080 after {} retries", n % 4, n % 250, k),
            format!("ERROR order {n} has no customer"),
            format!("ERROR timeout after {} ms calling \"pricing\"", rng.random_range(1000..30000)),
            format!("ERROR user {n} not found in '/srv/cache/users/{n}.json'"),
            format!("ERROR queue orders-{k} full ({} messages)", rng.random_range(1000..9999)),
            format!("ERROR invalid token for tenant ten_{n:026}"),
            format!("ERROR rate limit exceeded for key sk_{n:x}"),
        ][k].clone()],
        92..=94 => vec![[
            format!("java.lang.NullPointerException: order {n} has no customer\n\tat com.acme.Orders.total(Orders.java:{})\n\tat com.acme.Checkout.run(Checkout.java:42)\n\tat com.acme.Http.handle(Http.java:7)", 100 + k),
            format!("java.lang.IllegalStateException: stock {n} negative\n\tat com.acme.Stock.take(Stock.java:12)\n\tat com.acme.Checkout.run(Checkout.java:57)"),
            format!("Exception in thread \"worker-{k}\" java.util.concurrent.TimeoutException: {n} ms\n\tat com.acme.Pool.get(Pool.java:88)"),
        ][k % 3].clone()],
        95..=97 => vec![[
            format!("Traceback (most recent call last):\n  File \"/var/task/app.py\", line {}, in handler\n    rate = litres / seconds\nZeroDivisionError: division by zero", 10 + k),
            format!("Traceback (most recent call last):\n  File \"/var/task/cart.py\", line 7, in add\n    item = items[sku]\nKeyError: 'sku-{n}'"),
        ][k % 2].clone()],
        _ if k % 2 == 0 => vec![
            format!("{rds}ERROR:  deadlock detected"),
            format!("{rds}DETAIL:  Process {pid} waits for ShareLock on transaction {}; blocked by process {}.", 9000 + n, pid + 1),
            format!("{rds}STATEMENT:  UPDATE orders SET state = 'paid' WHERE id = {n}"),
        ],
        _ => vec![
            format!("{rds}ERROR:  duplicate key value violates unique constraint \"users_email_key\""),
            format!("{rds}DETAIL:  Key (email)=(user{n}@example.com) already exists."),
            format!("{rds}STATEMENT:  INSERT INTO users (email) VALUES ('user{n}@example.com')"),
        ],
    }
}

async fn sentry_figures(
    state: &AppState,
    usage: &UsageCounter,
    tenant: &TenantId,
) -> anyhow::Result<()> {
    let server = sentry_server().await;
    let config = faultline_testkit::store_sentry_config(
        state,
        tenant,
        &server.uri(),
        ("acme", "api"),
        "sntrys_bench",
    )
    .await;
    usage.take();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    let started = Instant::now();
    let first = sentry_sync::sync_config(state, &config, deadline).await?;
    let elapsed = started.elapsed();
    let aws = usage.take();
    println!(
        "sentry-sync: a local Sentry API answering each call in {} ms",
        LATENCY.as_millis()
    );
    println!(
        "  first pass: {} issues in {:.1} s = {:.1} issues/s ({} Sentry calls: {} pages, {} latest events, {} reconciliation; {} AWS calls)",
        first.issues_read,
        elapsed.as_secs_f64(),
        f64::from(first.issues_read) / elapsed.as_secs_f64(),
        first.sentry_calls,
        ISSUES.div_ceil(100),
        first.events_fetched,
        first.sentry_calls - ISSUES.div_ceil(100) as u32 - first.events_fetched,
        aws.total_calls(),
    );
    // The reconciliation that pass started reads the hub's open issues back, a page of 100
    // (4 calls of 25 ids) per run, every 15 minutes.
    let (mut runs, mut calls) = (0, 0);
    while state
        .store
        .sentry_sync_state(&config)
        .await?
        .reconcile_cursor
        .is_some()
    {
        let run = sentry_sync::sync_config(state, &config, deadline).await?;
        runs += 1;
        calls += run.sentry_calls;
    }
    usage.take();
    println!(
        "  the rest of the reconciliation of {ISSUES} open issues: {runs} more runs, {calls} Sentry calls (1 pass + {} by id)",
        calls - runs
    );
    let quiet = sentry_sync::sync_config(state, &config, deadline).await?;
    let aws = usage.take();
    println!(
        "  nothing changed (between reconciliations): {} Sentry call(s), {} issues changed, {} AWS calls",
        quiet.sentry_calls,
        quiet.created + quiet.updated + quiet.resolved + quiet.assigned,
        aws.total_calls(),
    );
    Ok(())
}

async fn log_figures(
    state: &AppState,
    usage: &UsageCounter,
    tenant: &TenantId,
) -> anyhow::Result<()> {
    let group = "/aws/lambda/checkout";
    let logs = &state.logs;
    logs.create_log_group().log_group_name(group).send().await?;
    // Seeded, so every run measures the same 10,000 lines.
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_207);
    let streams = 5;
    let mut per_stream: Vec<Vec<String>> = vec![Vec::new(); streams];
    let mut n = 0;
    let mut written = 0;
    while written < LINES {
        let record = mixed_record(&mut rng, n);
        written += record.len();
        per_stream[n % streams].extend(record);
        n += 1;
    }
    let start = Utc::now().timestamp_millis() - 280_000;
    for (s, lines) in per_stream.iter().enumerate() {
        let stream = format!("2026/11/30/[$LATEST]{s:032x}");
        logs.create_log_stream()
            .log_group_name(group)
            .log_stream_name(&stream)
            .send()
            .await?;
        for chunk in lines.chunks(1_000).enumerate() {
            let (c, chunk) = chunk;
            let events: Vec<InputLogEvent> = chunk
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    InputLogEvent::builder()
                        .timestamp(start + ((c * 1_000 + i) as i64) * 100)
                        .message(m)
                        .build()
                })
                .collect::<Result<_, _>>()?;
            logs.put_log_events()
                .log_group_name(group)
                .log_stream_name(&stream)
                .set_log_events(Some(events))
                .send()
                .await?;
        }
    }
    let source =
        faultline_testkit::store_log_source(state, tenant, group, DEFAULT_FILTER_PATTERN).await;
    usage.take();
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    let report = log_scan::scan_source(state, &source, deadline).await?;
    let elapsed = started.elapsed();
    let aws = usage.take();
    println!(
        "cloudwatch-scan: {written} log lines ({n} records) over {streams} streams on the emulator"
    );
    println!(
        "  scanned {} events in {:.1} s = {:.0} events/s ({} FilterLogEvents calls, paced at ≤ 4/s; {} AWS calls in all)",
        report.events_read,
        elapsed.as_secs_f64(),
        report.events_read as f64 / elapsed.as_secs_f64(),
        report.calls,
        aws.total_calls(),
    );
    println!(
        "  {} records matched `{DEFAULT_FILTER_PATTERN}` → {} issues = {:.1} issues per 10,000 lines",
        report.records_matched,
        report.issues_created,
        f64::from(report.issues_created) * 10_000.0 / written as f64,
    );
    let issues = state
        .store
        .list_incidents(
            tenant,
            &faultline::store::PageRequest {
                limit: Some(100),
                cursor: None,
            },
        )
        .await?;
    let mut groups: Vec<(u64, String)> = issues
        .items
        .iter()
        .filter(|i| i.source == faultline::domain::Source::Cloudwatch)
        .map(|i| (i.occurrences, i.title.chars().take(90).collect()))
        .collect();
    groups.sort_by(|a, b| b.cmp(a));
    for (occurrences, title) in groups {
        println!("    {occurrences:>5} × {title}");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (emulator, environment) = faultline_e2e::emulated_environment("jobs-bench", true).await?;
    let config = Config::from_map(&environment)?;
    let usage = UsageCounter::default();
    let state = AppState::new(
        config,
        &usage.clients(&emulator.endpoint()).await,
        Clock::system(),
    );
    let tenant = TenantId::generate();
    sentry_figures(&state, &usage, &tenant).await?;
    log_figures(&state, &usage, &tenant).await?;
    Ok(())
}
