//! Chaos through the hub's pipeline: signed webhooks into the generic webhook function, then the
//! fan-out and dispatch functions driven by a misbehaving SQS (see [`driver`]) towards receivers
//! that misbehave (see [`receivers`]). At the end the ledger and what the receivers saw are
//! compared: every (event, subscribed endpoint) pair delivered or visibly exhausted, none lost,
//! and no pair answered 2xx twice unless the receiver's first answer was itself lost.
//!
//! `make chaos` runs 10,000 events (`cargo run --release -p faultline-e2e --bin chaos`); a short
//! form runs in `make test` (`tests/tests/e2e/chaos.rs`).

pub mod driver;
pub mod receivers;

use driver::{Driver, Mischief};
use faultline::clock::Clock;
use faultline::domain::{DeliveryStatus, EventType, TenantId};
use faultline::signing::hmac_sha256::hmac_sha256;
use faultline::sinks::webhook::WebhookSender;
use faultline::store::PageRequest;
use faultline_testkit::{HttpEvent, TestStack};
use futures::stream::{self, StreamExt};
use receivers::{Answer, Behaviour, Receivers};
use serde_json::json;
use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

/// How big a run is.
#[derive(Clone, Copy, Debug)]
pub struct ChaosPlan {
    /// Alerts sent (each opens an incident: one `incident.created` event).
    pub events: usize,
    /// How long the pipeline may take to settle after the last webhook.
    pub deadline: Duration,
    /// Print a line on stderr per wave of webhooks and per look at the ledger, so a long run
    /// shows where it is.
    pub progress: bool,
}

/// What a run found.
#[derive(Clone, Debug, Default)]
pub struct ChaosReport {
    /// Webhooks sent, and accepted (202).
    pub sent: usize,
    /// Accepted webhooks.
    pub accepted: usize,
    /// The webhook function's answers, by status.
    pub webhook_statuses: std::collections::BTreeMap<u16, usize>,
    /// Messages in the ledger.
    pub messages: usize,
    /// (event, subscribed endpoint) pairs expected: accepted × endpoints.
    pub pairs: usize,
    /// Pairs the ledger shows delivered.
    pub delivered: usize,
    /// Pairs the ledger shows exhausted.
    pub exhausted: usize,
    /// Pairs missing or not settled when the deadline passed.
    pub lost: usize,
    /// Pairs the ledger calls delivered that no receiver answered 2xx.
    pub delivered_unseen: usize,
    /// Pairs answered 2xx more than once where an earlier 2xx was lost: cut by a reset, or sent by
    /// a dispatcher killed before it recorded the answer.
    pub doubled_after_lost_answer: usize,
    /// Pairs answered 2xx more than once with no lost answer to explain it.
    pub doubled_unexplained: usize,
    /// Pairs of the always-failing endpoint not exhausted.
    pub down_not_exhausted: usize,
    /// Pairs by endpoint behaviour and ledger status.
    pub by_behaviour: std::collections::BTreeMap<String, usize>,
    /// Requests the receivers answered, by what they answered.
    pub answers: HashMap<&'static str, usize>,
    /// What the driver did.
    pub mischief: Mischief,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl ChaosReport {
    /// The invariant: nothing lost, nothing doubled without a lost answer.
    pub fn holds(&self) -> bool {
        self.accepted == self.sent
            && self.messages == self.accepted
            && self.lost == 0
            && self.delivered + self.exhausted == self.pairs
            && self.delivered_unseen == 0
            && self.doubled_unexplained == 0
            && self.down_not_exhausted == 0
    }
}

impl fmt::Display for ChaosReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.mischief;
        writeln!(
            f,
            "chaos: {} webhooks sent, {} accepted, {} messages in the ledger",
            self.sent, self.accepted, self.messages
        )?;
        writeln!(
            f,
            "  webhook answers by status: {:?}",
            self.webhook_statuses
        )?;
        writeln!(f, "  pairs (event × subscribed endpoint): {}", self.pairs)?;
        writeln!(
            f,
            "  delivered {}, exhausted {}, lost {}",
            self.delivered, self.exhausted, self.lost
        )?;
        writeln!(
            f,
            "  delivered but never answered 2xx: {}",
            self.delivered_unseen
        )?;
        writeln!(
            f,
            "  two 2xx answers: {} after a lost answer, {} unexplained",
            self.doubled_after_lost_answer, self.doubled_unexplained
        )?;
        writeln!(
            f,
            "  always-failing endpoint's pairs not exhausted: {}",
            self.down_not_exhausted
        )?;
        writeln!(f, "  pairs by endpoint and status: {:?}", self.by_behaviour)?;
        let mut answers: Vec<_> = self.answers.iter().collect();
        answers.sort();
        writeln!(f, "  receiver answers: {answers:?}")?;
        writeln!(
            f,
            "  SQS: {} batches ({} records), each handed over twice at once; {} records redelivered; {} fan-outs killed part-way; {} dispatchers killed between send and record",
            m.batches, m.records, m.redelivered, m.fanouts_killed, m.dispatchers_killed
        )?;
        write!(
            f,
            "  invariant {} in {:.1} s",
            if self.holds() { "HOLDS" } else { "BROKEN" },
            self.elapsed.as_secs_f64()
        )
    }
}

const SECRET: &str = "a-long-shared-secret-1234";
/// The sender's timeout in the run; a hanging receiver hangs longer.
const SEND_TIMEOUT: Duration = Duration::from_secs(1);
/// Webhooks sent between two turns of the pipeline.
const WAVE: usize = 200;

/// Runs the plan on a fresh stack of the process's emulator.
pub async fn run(plan: ChaosPlan) -> anyhow::Result<ChaosReport> {
    let started = Instant::now();
    let clock = Clock::fixed(chrono::Utc::now());
    let stack = TestStack::deploy_with("1,1,1", clock.clone()).await;
    let ticking = clock.clone();
    let ticker = tokio::spawn(async move {
        let mut last = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let now = Instant::now();
            ticking.advance(chrono::Duration::from_std(now - last).unwrap_or_default());
            last = now;
        }
    });
    let (tenant, _) = stack.tenant().await;
    stack
        .set_tenant_settings(&tenant, |s| {
            s.inbound_rate_limit_per_minute = Some(1_000_000);
            s.tenant_inbound_rate_limit_per_minute = Some(1_000_000);
        })
        .await;
    let (kill_orders, kills) = tokio::sync::mpsc::unbounded_channel();
    let receivers = Receivers::start(kill_orders, SEND_TIMEOUT * 3).await?;
    let mut endpoints = HashMap::new();
    for behaviour in Behaviour::ALL {
        let (endpoint, _) = stack
            .endpoint(
                &tenant,
                &receivers.url(behaviour),
                vec![EventType::IncidentCreated],
                true,
            )
            .await;
        endpoints.insert(endpoint.id.to_string(), behaviour);
    }
    let integration = stack.generic_integration(&tenant, Some(SECRET)).await;
    let state = stack.state.clone().with_sender(WebhookSender::with_timeout(
        stack.state.config.url_policy(),
        SEND_TIMEOUT,
    ));

    let mut report = ChaosReport {
        sent: plan.events,
        ..Default::default()
    };
    let mut driver = Driver::new(state.clone(), (*stack.clients.sqs).clone(), kills);
    let progress = |line: String| {
        if plan.progress {
            eprintln!("chaos {:>7.1} s  {line}", started.elapsed().as_secs_f64());
        }
    };
    // Webhooks in waves, the pipeline running between them.
    for wave in (0..plan.events).collect::<Vec<_>>().chunks(WAVE) {
        let statuses: Vec<u16> = stream::iter(wave.iter().copied())
            .map(|n| {
                let state = state.clone();
                let integration = integration.id.to_string();
                async move { send_alert(&state, &integration, n).await }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        for status in statuses {
            *report.webhook_statuses.entry(status).or_default() += 1;
        }
        report.accepted = report.webhook_statuses.get(&202).copied().unwrap_or(0);
        stack.relay_outbox().await;
        let handled = driver.round(5).await?;
        progress(format!(
            "{} webhooks sent ({} accepted); {handled} queued records handled after this wave",
            wave.last().map_or(0, |n| n + 1),
            report.accepted
        ));
    }
    let settle_by = Instant::now() + plan.deadline;
    let mut quiet_rounds = 0u32;
    let (mut rounds, mut last_line) = (0usize, Instant::now());
    while Instant::now() < settle_by {
        stack.relay_outbox().await;
        let round_started = Instant::now();
        let handled = driver.round(20).await?;
        rounds += 1;
        if last_line.elapsed() >= Duration::from_secs(10) {
            last_line = Instant::now();
            progress(format!(
                "settling: round {rounds} handled {handled} records in {} ms; {} records, {} redelivered so far",
                round_started.elapsed().as_millis(),
                driver.mischief.records,
                driver.mischief.redelivered
            ));
        }
        if handled > 0 {
            quiet_rounds = 0;
            continue;
        }
        quiet_rounds += 1;
        // Retries wait out their SQS delay: look at the ledger only once the queues go quiet.
        if quiet_rounds.is_multiple_of(5) {
            let unsettled = unsettled(&stack, &tenant, endpoints.len()).await?;
            progress(format!(
                "settling: {unsettled} pairs not yet delivered or exhausted; {} queued records handled so far",
                driver.mischief.records
            ));
            if unsettled == 0 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    ticker.abort();
    report.mischief = driver.mischief.clone();
    account(&stack, &tenant, &endpoints, &receivers, &mut report).await?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Sends alert `n` (a fingerprint of its own) to the generic webhook function; its HTTP status.
async fn send_alert(state: &faultline::AppState, integration: &str, n: usize) -> u16 {
    let body = serde_json::to_vec(&json!({
        "title": format!("chaos alert {n}"),
        "fingerprint": format!("chaos-{n}"),
        "severity": "high",
    }))
    .unwrap_or_default();
    let signature = hex::encode(hmac_sha256(SECRET.as_bytes(), &body));
    let event = HttpEvent::load("webhook-generic/receive.json")
        .path_param("integration_id", integration)
        .body_bytes(&body)
        .header("x-signature-256", &format!("sha256={signature}"))
        .header("idempotency-key", &format!("chaos-{n}"));
    faultline_webhook_generic::handle(state, event.request())
        .await
        .status()
        .as_u16()
}

/// Every delivery of every message of `tenant`: (message id, endpoint id, status, attempts).
async fn ledger(
    stack: &TestStack,
    tenant: &TenantId,
) -> anyhow::Result<(usize, Vec<(String, String, DeliveryStatus)>)> {
    let store = &stack.harness.store;
    let mut messages = Vec::new();
    let mut page = PageRequest {
        limit: Some(100),
        cursor: None,
    };
    loop {
        let listed = store.list_messages(tenant, &page).await?;
        messages.extend(listed.items.into_iter().map(|m| m.id));
        match listed.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    let mut deliveries = Vec::new();
    for message in &messages {
        for record in store.list_deliveries(tenant, message).await? {
            deliveries.push((
                record.message_id.to_string(),
                record.endpoint_id.to_string(),
                record.status,
            ));
        }
    }
    Ok((messages.len(), deliveries))
}

/// Pairs not (yet) delivered or exhausted: missing from the ledger, or still pending.
async fn unsettled(
    stack: &TestStack,
    tenant: &TenantId,
    endpoints: usize,
) -> anyhow::Result<usize> {
    let (messages, deliveries) = ledger(stack, tenant).await?;
    let settled = deliveries
        .iter()
        .filter(|(_, _, status)| {
            matches!(
                status,
                DeliveryStatus::Succeeded | DeliveryStatus::Exhausted
            )
        })
        .count();
    Ok((messages * endpoints).saturating_sub(settled))
}

async fn account(
    stack: &TestStack,
    tenant: &TenantId,
    endpoints: &HashMap<String, Behaviour>,
    receivers: &Receivers,
    report: &mut ChaosReport,
) -> anyhow::Result<()> {
    let (messages, deliveries) = ledger(stack, tenant).await?;
    report.messages = messages;
    report.pairs = report.accepted * endpoints.len();
    let log = receivers
        .log
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    for answers in log.values() {
        for answer in answers {
            let name = match answer {
                Answer::Ok => "200",
                Answer::OkCut => "200 cut by a reset",
                Answer::OkToAKilledSender => "200 to a killed dispatcher",
                Answer::Failed => "failure or no answer",
            };
            *report.answers.entry(name).or_default() += 1;
        }
    }
    for (message, endpoint, status) in &deliveries {
        let Some(behaviour) = endpoints.get(endpoint) else {
            continue;
        };
        let answers = log
            .get(&(message.clone(), *behaviour))
            .cloned()
            .unwrap_or_default();
        let oks = answers.iter().filter(|a| a.is_2xx()).count();
        *report
            .by_behaviour
            .entry(format!("{behaviour:?} {}", status.as_str()))
            .or_default() += 1;
        match status {
            DeliveryStatus::Succeeded => {
                report.delivered += 1;
                if oks == 0 {
                    report.delivered_unseen += 1;
                }
            }
            DeliveryStatus::Exhausted => report.exhausted += 1,
            _ => report.lost += 1,
        }
        if *behaviour == Behaviour::Down && *status != DeliveryStatus::Exhausted {
            report.down_not_exhausted += 1;
        }
        if oks > 1 {
            let lost_answer = answers
                .iter()
                .any(|a| matches!(a, Answer::OkCut | Answer::OkToAKilledSender))
                || report
                    .mischief
                    .killed_pairs
                    .contains(&(message.clone(), endpoint.clone()));
            if lost_answer {
                report.doubled_after_lost_answer += 1;
            } else {
                report.doubled_unexplained += 1;
            }
        }
    }
    report.lost += report.pairs.saturating_sub(deliveries.len());
    Ok(())
}
