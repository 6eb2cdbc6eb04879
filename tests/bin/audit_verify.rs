//! The audit-verify figures for the trust issue: the chain verifier on 1,000,000 entries (constant
//! memory: entries are made and checked in chunks of 10,000, never all held), and
//! `GET /v1/audit/verify?full=true` through the api handler over a 2,000-entry chain on the local
//! emulator, with the per-entry cost. Prints figures; asserts only that the chains verify.
//! `cargo run --release -p faultline-e2e --bin audit-verify` (part of `make bench`).

use faultline::domain::audit::{AuditDraft, AuditEntry, ChainVerifier, GENESIS};
use faultline::domain::{Scope, Tenant, TenantId};
use faultline::services::api_keys::issue_api_key;
use faultline::store::AuditChain;
use faultline_testkit::HttpEvent;
use std::time::{Duration, Instant};

const ENTRIES: u64 = 1_000_000;
const CHUNK: u64 = 10_000;
const STORED_ENTRIES: u64 = 2_000;

fn draft(i: u64) -> AuditDraft {
    AuditDraft {
        at: chrono::Utc::now(),
        actor: "key:bench0000001".into(),
        action: "PATCH /v1/endpoints/{id}".into(),
        resource_type: "endpoints".into(),
        resource_id: Some(format!("ep_{i:026}")),
        status: 200,
        diff: serde_json::json!({"enabled": {"before": true, "after": false}}),
        request_id: format!("req-{i}"),
        source_ip: "203.0.113.10".into(),
        detail: None,
    }
}

/// Peak resident memory of this process, from `/proc/self/status` (`VmHWM`), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn verify_a_million() {
    let mut verifier = ChainVerifier::from_genesis();
    let (mut seq, mut prev) = (0u64, GENESIS.to_owned());
    let mut verifying = Duration::ZERO;
    while seq < ENTRIES {
        let chunk: Vec<AuditEntry> = (0..CHUNK)
            .map(|_| {
                seq += 1;
                let entry = draft(seq).seal(seq, &prev);
                prev.clone_from(&entry.hash);
                entry
            })
            .collect();
        let start = Instant::now();
        for entry in &chunk {
            verifier.feed(entry);
        }
        verifying += start.elapsed();
    }
    let report = verifier.finish(Some((seq, &prev)));
    assert!(report.valid && report.entries == ENTRIES, "{report:?}");
    println!(
        "chain verifier, {ENTRIES} entries: {:.2} s ({:.2} µs per entry), peak RSS of the whole run {:.0} MiB (chunks of {CHUNK})",
        verifying.as_secs_f64(),
        verifying.as_secs_f64() * 1e6 / ENTRIES as f64,
        peak_rss_mib()
    );
}

async fn verify_through_the_api() -> anyhow::Result<()> {
    let (_emulator, state) = faultline_e2e::emulated_state("audit-verify").await?;
    let tenant = Tenant {
        id: TenantId::generate(),
        name: "bench".into(),
        created_at: chrono::Utc::now(),
        settings: Default::default(),
    };
    state.store.create_tenant(&tenant).await?;
    let (key, _) = issue_api_key(&state, &tenant.id, "bench", vec![Scope::AuditRead]).await?;
    let chain = AuditChain::Tenant(tenant.id.clone());
    let seeding = Instant::now();
    for i in 1..=STORED_ENTRIES {
        state.store.append_audit(&chain, &draft(i)).await?;
    }
    println!(
        "seeded {STORED_ENTRIES} entries on the emulator in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    for (what, query) in [("full", "full=true"), ("incremental, nothing new", "")] {
        let event = HttpEvent::load("api/verify-audit.json")
            .key(Some(key.expose()))
            .query(query);
        let start = Instant::now();
        let response = faultline_api::handle(&state, event.request()).await;
        let elapsed = start.elapsed();
        let (status, report) = faultline_testkit::json_of(&response);
        anyhow::ensure!(
            status == 200 && report["valid"] == true,
            "verify failed: {report}"
        );
        let entries = report["entries"].as_u64().unwrap_or(0);
        let per_entry = match entries {
            0 => String::new(),
            n => format!(
                " ({:.1} µs per entry, paged 100 at a time)",
                elapsed.as_secs_f64() * 1e6 / n as f64
            ),
        };
        println!(
            "GET /v1/audit/verify ({what}): {:.0} ms for {entries} entries{per_entry}",
            elapsed.as_secs_f64() * 1e3
        );
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    verify_a_million();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(verify_through_the_api())
}
