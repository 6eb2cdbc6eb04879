//! In-memory throughput of issue 15's hot paths: the deadlock parser over the corpus, each
//! export writer over 10,000 incident rows, and the summary report's tallies over 100,000
//! incidents (what a report costs beyond reading the table).
//! `cargo bench -p faultline-shared --bench analysis` (part of `make bench`).

use chrono::{Duration, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use faultline::deadlocks::find;
use faultline::domain::{
    Fingerprint, Incident, IncidentId, IntegrationId, Severity, Signal, Source, TenantId,
};
use faultline::exports::{select, writer, Cell, FileOptions, Format, Resource};
use faultline::reports::SummaryBuilder;
use faultline::views::IncidentView;
use std::hint::black_box;

const CORPUS: &[(&str, &str)] = &[
    (
        "postgres server log",
        include_str!("../src/deadlocks/corpus/pg_server_log.txt"),
    ),
    (
        "postgres rds, 3 processes",
        include_str!("../src/deadlocks/corpus/pg_rds_three_processes.txt"),
    ),
    (
        "mysql 8.0",
        include_str!("../src/deadlocks/corpus/mysql80.txt"),
    ),
    (
        "mariadb",
        include_str!("../src/deadlocks/corpus/mariadb.txt"),
    ),
];

fn incidents(n: usize) -> Vec<Incident> {
    let now = Utc::now();
    let tenant = TenantId::generate();
    (0..n)
        .map(|i| {
            let opened = now - Duration::minutes((n - i) as i64);
            let mut signal = Signal::new(
                Source::Generic,
                Fingerprint::from_key("generic", &format!("bench-{}", i % 500)),
                format!("checkout errors above threshold #{i}"),
                opened,
            );
            signal.severity = [Severity::Critical, Severity::High, Severity::Low][i % 3];
            let mut incident = Incident::open(
                IncidentId::generate(),
                tenant.clone(),
                IntegrationId::generate(),
                None,
                &signal,
                opened,
            );
            incident.service = Some(["checkout", "search"][i % 2].into());
            if i % 2 == 0 {
                incident.acknowledged_at = Some(opened + Duration::minutes(3));
                incident.resolved_at = Some(opened + Duration::minutes(40));
            }
            incident
        })
        .collect()
}

fn analysis(c: &mut Criterion) {
    let mut group = c.benchmark_group("deadlock parser");
    for (name, text) in CORPUS {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| find(black_box(text)).expect("a report"))
        });
    }
    group.finish();

    let columns = select(Resource::Incidents, &[]).expect("default columns");
    let rows: Vec<Vec<Cell>> = incidents(10_000)
        .iter()
        .map(|i| {
            let view = serde_json::to_value(IncidentView::from(i)).expect("view");
            columns.iter().map(|c| Cell::read(&view, c)).collect()
        })
        .collect();
    let mut group = c.benchmark_group("export writer, 10,000 rows");
    group.throughput(Throughput::Elements(rows.len() as u64));
    group.sample_size(10);
    for format in [
        Format::Csv,
        Format::Json,
        Format::Ndjson,
        Format::Xlsx,
        Format::Pdf,
    ] {
        group.bench_function(format.extension(), |b| {
            b.iter(|| {
                let mut out = Vec::new();
                let mut w =
                    writer(format, &columns, &FileOptions::default(), &mut out).expect("writer");
                for chunk in rows.chunks(1000) {
                    w.rows(chunk, &mut out).expect("rows");
                    out.clear();
                }
                w.finish(&mut out).expect("finished")
            })
        });
    }
    group.finish();

    let many = incidents(100_000);
    let mut group = c.benchmark_group("summary report tallies");
    group.throughput(Throughput::Elements(many.len() as u64));
    group.sample_size(10);
    group.bench_function("100,000 incidents", |b| {
        b.iter_batched(
            || SummaryBuilder::new(Vec::new(), Duration::hours(2)),
            |mut builder| {
                for incident in &many {
                    builder.add(incident);
                }
                builder.finish()
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, analysis);
criterion_main!(benches);
