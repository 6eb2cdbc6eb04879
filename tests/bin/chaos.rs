//! `make chaos`: 10,000 events (`CHAOS_EVENTS` to change it) through the webhook, fan-out and
//! dispatch functions while SQS hands every batch over twice, fan-outs and dispatchers are killed
//! part-way, and receivers answer 5xx, 429 with `Retry-After`, hang past the timeout or reset the
//! connection mid-body. Prints the counts; exits 1 when the invariant does not hold.

use faultline_e2e::chaos::{run, ChaosPlan};
use std::time::Duration;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let events = std::env::var("CHAOS_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let report = run(ChaosPlan {
        events,
        deadline: Duration::from_secs(1800),
        progress: true,
    })
    .await?;
    println!("{report}");
    if !report.holds() {
        std::process::exit(1);
    }
    Ok(())
}
