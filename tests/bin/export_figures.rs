//! Export figures: 100,000 incidents (EXPORT_ROWS) exported in each format through the same
//! `run_export` the `export` function runs, against the emulator: rows per second, file size,
//! and the process's peak resident memory while it ran (VmHWM, reset before each export through
//! /proc/self/clear_refs, so it includes the runtime and SDK clients the function also carries).
//! Then the summary report over the same incidents (`incident_summary`, as
//! `GET /v1/reports/summary` computes it). EXPORT_FORMATS (e.g. `csv,pdf`, or `none`) picks
//! the formats. Prints figures, asserts nothing.
//! `cargo run --release -p faultline-e2e --bin export-figures` (part of `make bench`).

use chrono::{Duration as Minutes, Utc};
use faultline::domain::TenantId;
use faultline::exports::{Format, Resource};
use faultline::queue::ExportTask;
use faultline::services::exports::{request_export, run_export, NewExport, RunOutcome};
use faultline::services::reports::{incident_summary, ReportRange};
use std::time::Instant;

const CHUNK: usize = 2_000;

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn reset_peak() {
    // "5" resets the peak resident set size (VmHWM) to the current one.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() -> anyhow::Result<()> {
    // One core for the export, as a Lambda function of this size gets.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let rows: usize = std::env::var("EXPORT_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let (_emulator, state) = faultline_e2e::emulated_state("export-figures").await?;
    let tenant = TenantId::generate();
    let started = Instant::now();
    let now = Utc::now();
    for chunk in 0..rows.div_ceil(CHUNK) {
        let size = CHUNK.min(rows - chunk * CHUNK);
        let until = now - Minutes::minutes(i64::try_from(rows - chunk * CHUNK - size).unwrap_or(0));
        let incidents = faultline_testkit::synthetic_incidents(&tenant, size, until, |_, _| {});
        state.store.import_incidents(&incidents).await?;
    }
    println!(
        "export figures: {rows} incidents seeded in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:<7} {:>8} {:>9} {:>10} {:>11} {:>14}",
        "format", "rows", "seconds", "rows/s", "size (MB)", "peak RSS (MiB)"
    );
    let chosen = std::env::var("EXPORT_FORMATS").unwrap_or_default();
    for format in [
        Format::Csv,
        Format::Json,
        Format::Ndjson,
        Format::Xlsx,
        Format::Pdf,
    ] {
        if !chosen.is_empty() && !chosen.split(',').any(|f| f == format.extension()) {
            continue;
        }
        let new = NewExport {
            resource: Resource::Incidents,
            format,
            filters: Default::default(),
            columns: Vec::new(),
            bom: false,
            title: None,
            requested_by: "bench".into(),
            schedule_id: None,
        };
        let job = request_export(&state, &tenant, new)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let task = ExportTask {
            tenant_id: tenant.clone(),
            export_id: job.id.clone(),
        };
        reset_peak();
        let began = Instant::now();
        let outcome = run_export(&state, &task).await?;
        let seconds = began.elapsed().as_secs_f64();
        let peak_mib = status_kib("VmHWM:") as f64 / 1024.0;
        let RunOutcome::Written { rows, bytes } = outcome else {
            println!("{:<7} failed: {outcome:?}", format.extension());
            continue;
        };
        println!(
            "{:<7} {:>8} {:>9.1} {:>10.0} {:>11.1} {:>14.1}",
            format.extension(),
            rows,
            seconds,
            rows as f64 / seconds,
            bytes as f64 / 1e6,
            peak_mib
        );
    }
    let range = ReportRange {
        since: now - Minutes::days(365),
        until: now,
        project_id: None,
        service: None,
        source: None,
    };
    reset_peak();
    let began = Instant::now();
    let (summary, truncated) = incident_summary(&state, &tenant, &range, Minutes::hours(2)).await?;
    println!(
        "summary report over {} incidents: {:.1} s (truncated: {truncated}), peak RSS {:.1} MiB",
        summary.incidents,
        began.elapsed().as_secs_f64(),
        status_kib("VmHWM:") as f64 / 1024.0
    );
    Ok(())
}
