//! Per provider, on its real payload: the CPU work a webhook handler does (verify the signature
//! over the exact bytes, parse, interpret into signals) next to the bare cost of HMAC + JSON parse
//! of the same bytes. AWS I/O is excluded (it is waiting, not CPU). `make bench` prints these.

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use faultline::domain::{Integration, IntegrationId, Source, TenantId};
use faultline::signing::hmac_sha256::hmac_sha256;
use faultline::sources::{source_for, Headers, SignedRequest};
use std::hint::black_box;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../tests/fixtures/providers/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

struct Case {
    name: &'static str,
    source: Source,
    secret: &'static str,
    body: Vec<u8>,
    headers: Headers,
    now: i64,
}

fn headers(pairs: &[(&'static str, String)]) -> Headers {
    pairs
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}

fn cases() -> Vec<Case> {
    let hex = |secret: &str, body: &[u8]| hex::encode(hmac_sha256(secret.as_bytes(), body));
    let github = fixture("github_pull_request_merged.json");
    let pagerduty = fixture("pagerduty_incident_triggered.json");
    let sentry = fixture("sentry_event_alert_triggered.json");
    let slack = fixture("slack_event_callback_app_mention.json");
    let generic = br#"{"title":"Disk almost full on db-1","severity":"high","fingerprint":"disk-db-1","service":"postgres","host":"db-1"}"#.to_vec();
    let slack_base = [b"v0:1531420618:".as_slice(), &slack].concat();
    vec![
        Case {
            name: "github pull_request merged (29 KB)",
            source: Source::Github,
            secret: "It's a Secret to Everybody",
            headers: headers(&[
                ("x-github-event", "pull_request".into()),
                (
                    "x-hub-signature-256",
                    format!("sha256={}", hex("It's a Secret to Everybody", &github)),
                ),
            ]),
            body: github,
            now: 1_795_255_200,
        },
        Case {
            name: "pagerduty incident.triggered (1.4 KB)",
            source: Source::Pagerduty,
            secret: "HvPtlQNKMPpHSSqJpCdndXfo7HnGXa1pnH6w5axpxLFn9aRBNBGh4e8/HlonK5mz",
            headers: headers(&[(
                "x-pagerduty-signature",
                "v1=3e3032b45bbe1801c13f182b0e0a7f4f3f530225cef07e3e90cbc57874d01c49".into(),
            )]),
            body: pagerduty,
            now: 1_795_255_200,
        },
        Case {
            name: "sentry event_alert triggered (7 KB)",
            source: Source::Sentry,
            secret: "test-client-secret",
            headers: headers(&[
                ("sentry-hook-resource", "event_alert".into()),
                ("sentry-hook-timestamp", "1795255200".into()),
                ("sentry-hook-signature", hex("test-client-secret", &sentry)),
            ]),
            body: sentry,
            now: 1_795_255_200,
        },
        Case {
            name: "slack event_callback (0.6 KB)",
            source: Source::Slack,
            secret: "8f742231b10e8888abcd99yyyzzz85a5",
            headers: headers(&[
                ("content-type", "application/json".into()),
                ("x-slack-request-timestamp", "1531420618".into()),
                (
                    "x-slack-signature",
                    format!(
                        "v0={}",
                        hex("8f742231b10e8888abcd99yyyzzz85a5", &slack_base)
                    ),
                ),
            ]),
            body: slack,
            now: 1_531_420_618,
        },
        Case {
            name: "generic alert (0.1 KB)",
            source: Source::Generic,
            secret: "a-long-shared-secret-1234",
            headers: headers(&[(
                "x-signature-256",
                format!("sha256={}", hex("a-long-shared-secret-1234", &generic)),
            )]),
            body: generic,
            now: 1_795_255_200,
        },
    ]
}

fn sources(c: &mut Criterion) {
    for case in cases() {
        let integration = Integration {
            id: IntegrationId::generate(),
            tenant_id: TenantId::generate(),
            source: case.source,
            name: "bench".into(),
            project_id: None,
            config: serde_json::json!({"patterns": ["river"]})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            secret: None,
            unsigned: true,
            created_at: Utc::now(),
        };
        let now = Utc.timestamp_opt(case.now, 0).single().expect("time");
        let source = source_for(case.source).expect("a webhook source");
        let mut group = c.benchmark_group(case.name);
        group.throughput(Throughput::Bytes(case.body.len() as u64));
        group.bench_function("hmac + json parse only", |b| {
            b.iter(|| {
                black_box(hmac_sha256(case.secret.as_bytes(), black_box(&case.body)));
                serde_json::from_slice::<serde_json::Value>(black_box(&case.body)).expect("JSON")
            })
        });
        group.bench_function("handler work: verify + interpret", |b| {
            b.iter(|| {
                let request = SignedRequest {
                    headers: &case.headers,
                    body: black_box(&case.body),
                    now,
                    integration: &integration,
                };
                source
                    .verify(&request, Some(case.secret))
                    .expect("verifies");
                source.interpret(&request).expect("interprets")
            })
        });
        group.finish();
    }
}

criterion_group!(benches, sources);
criterion_main!(benches);
