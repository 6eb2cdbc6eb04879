//! The short form of `make chaos`: nothing lost, nothing doubled, with every kind of trouble at
//! once (see `tests/support/chaos`).

use faultline_e2e::chaos::{run, ChaosPlan};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_pair_is_delivered_or_exhausted_once_through_redeliveries_kills_and_bad_receivers() {
    let report = run(ChaosPlan {
        events: 20,
        deadline: Duration::from_secs(300),
        progress: false,
    })
    .await
    .expect("the run completes");
    println!("{report}");
    assert!(report.holds(), "{report}");
    assert_eq!(report.pairs, 20 * 7);
    // The run did make trouble of every kind.
    let m = &report.mischief;
    assert!(m.fanouts_killed > 0, "{report}");
    assert!(m.dispatchers_killed > 0, "{report}");
    assert!(m.redelivered > 0, "{report}");
    assert!(
        report
            .answers
            .get("200 cut by a reset")
            .copied()
            .unwrap_or(0)
            > 0,
        "{report}"
    );
    assert_eq!(report.exhausted, 20, "the always-failing endpoint's pairs");
}
