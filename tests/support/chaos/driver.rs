//! The SQS event source mapping, misbehaving: every batch is handed to its function twice at once
//! (SQS's at-least-once delivery, at its worst), some fan-outs are killed part-way, and a
//! dispatcher is killed between its send and its record. Records a function did not finish are
//! made visible again and the clock moves past the queue's visibility timeout, as it would have.

use super::receivers::KillOrder;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, Message,
    MessageSystemAttributeName,
};
use faultline::AppState;
use futures::stream::{self, StreamExt};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// Longer than any visibility timeout in the template (the time an unfinished record waits).
pub const VISIBILITY_TIMEOUT: chrono::Duration = chrono::Duration::seconds(361);

/// What the driver did to the functions.
#[derive(Clone, Debug, Default)]
pub struct Mischief {
    /// Batches handed to a function (each twice).
    pub batches: usize,
    /// Records handed over (each twice).
    pub records: usize,
    /// Fan-out invocations killed part-way.
    pub fanouts_killed: usize,
    /// Dispatchers killed after a send, before its record.
    pub dispatchers_killed: usize,
    /// Records left unfinished and delivered again.
    pub redelivered: usize,
    /// (message id, endpoint id) of every delivery task a killed dispatcher held: a send it made
    /// may have been answered with nobody left to record the answer.
    pub killed_pairs: HashSet<(String, String)>,
}

/// The running invocations that are sending a message, by message id: (batch number, handle).
type Senders = Arc<Mutex<HashMap<String, Vec<(usize, AbortHandle)>>>>;

/// Drives the events, deliveries and retries queues into the fan-out and dispatch functions.
#[derive(Debug)]
pub struct Driver {
    state: AppState,
    sqs: aws_sdk_sqs::Client,
    queues: Vec<(&'static str, String)>,
    senders: Senders,
    /// Kill one fan-out in this many (first receipts only); 0 never.
    pub kill_fanout_every: usize,
    /// Batches run at once.
    pub concurrency: usize,
    /// Totals.
    pub mischief: Mischief,
}

impl Driver {
    /// A driver for `state`'s queues; kill orders from the receivers arrive on `kills`.
    pub fn new(
        state: AppState,
        sqs: aws_sdk_sqs::Client,
        mut kills: mpsc::UnboundedReceiver<KillOrder>,
    ) -> Self {
        let config = &state.config;
        let queues = vec![
            ("faultline-fanout", config.events_queue_url.clone()),
            ("faultline-dispatch", config.deliveries_queue_url.clone()),
            ("faultline-dispatch", config.retries_queue_url.clone()),
        ];
        let senders = Senders::default();
        let running = senders.clone();
        tokio::spawn(async move {
            while let Some(order) = kills.recv().await {
                let handles = running
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&order.message_id)
                    .unwrap_or_default();
                for (_, handle) in &handles {
                    handle.abort();
                }
                // Aborting lands at the task's next await: give it that moment.
                tokio::task::yield_now().await;
                let _ = order.done.send(!handles.is_empty());
            }
        });
        Self {
            state,
            sqs,
            queues,
            senders,
            kill_fanout_every: 5,
            concurrency: 8,
            mischief: Mischief::default(),
        }
    }

    /// One round: receives what is visible on every queue (up to `max_batches` per queue), runs
    /// it, and settles the records. Returns how many records it handled.
    pub async fn round(&mut self, max_batches: usize) -> anyhow::Result<usize> {
        let mut work = Vec::new();
        for (function, queue) in &self.queues {
            for _ in 0..max_batches {
                let received = self
                    .sqs
                    .receive_message()
                    .queue_url(queue)
                    .max_number_of_messages(10)
                    .message_system_attribute_names(MessageSystemAttributeName::All)
                    .message_attribute_names("All")
                    .send()
                    .await?;
                let messages = received.messages.unwrap_or_default();
                if messages.is_empty() {
                    break;
                }
                work.push((*function, queue.clone(), messages));
            }
        }
        let records: usize = work.iter().map(|(_, _, m)| m.len()).sum();
        if records == 0 {
            return Ok(0);
        }
        let first_batch = self.mischief.batches;
        self.mischief.batches += work.len();
        self.mischief.records += records;
        let every = self.kill_fanout_every;
        let runs = work
            .into_iter()
            .enumerate()
            .map(|(i, (function, queue, messages))| {
                let kill = every > 0
                    && function == "faultline-fanout"
                    && (first_batch + i).is_multiple_of(every)
                    && messages.iter().all(|m| receive_count(m) == 1);
                self.run_twice(first_batch + i, function, queue, messages, kill)
            });
        let outcomes: Vec<BatchOutcome> = stream::iter(runs)
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        let mut unfinished = 0;
        for outcome in outcomes {
            let outcome = outcome?;
            unfinished += outcome.unfinished;
            self.mischief.fanouts_killed += usize::from(outcome.fanout_killed);
            self.mischief.dispatchers_killed += outcome.dispatchers_killed;
            self.mischief.killed_pairs.extend(outcome.killed_pairs);
        }
        if unfinished > 0 {
            // Nothing runs between rounds: the unfinished records' visibility timeout passes.
            self.mischief.redelivered += unfinished;
            self.state.clock.advance(VISIBILITY_TIMEOUT);
        }
        Ok(records)
    }

    /// Hands `messages` to `function` twice at once; deletes the records both runs finished and
    /// makes the rest visible again.
    async fn run_twice(
        &self,
        batch: usize,
        function: &'static str,
        queue: String,
        messages: Vec<Message>,
        kill_fanout: bool,
    ) -> anyhow::Result<RunReport> {
        let event = faultline_local::pollers::sqs_event(&messages, &queue)?;
        let tasks: Vec<(String, String)> = messages
            .iter()
            .filter_map(|m| {
                let body: serde_json::Value = serde_json::from_str(m.body()?).ok()?;
                Some((
                    body["message_id"].as_str()?.to_owned(),
                    body["endpoint_id"].as_str()?.to_owned(),
                ))
            })
            .collect();
        let message_ids: Vec<String> = tasks.iter().map(|(m, _)| m.clone()).collect();
        let copies: Vec<_> = (0..2)
            .map(|_| {
                let (state, event) = (self.state.clone(), event.clone());
                tokio::spawn(async move {
                    faultline_local::functions::invoke_sqs(&state, function, event).await
                })
            })
            .collect();
        {
            let mut senders = self.senders.lock().unwrap_or_else(|p| p.into_inner());
            for id in &message_ids {
                senders
                    .entry(id.clone())
                    .or_default()
                    .extend(copies.iter().map(|c| (batch, c.abort_handle())));
            }
        }
        if kill_fanout {
            tokio::time::sleep(Duration::from_millis(rand::random_range(2..30))).await;
            copies.iter().for_each(|c| c.abort());
        }
        let mut failed: HashSet<String> = HashSet::new();
        let mut killed = 0;
        for copy in copies {
            match copy.await {
                Ok(Some(response)) => failed.extend(
                    response
                        .batch_item_failures
                        .into_iter()
                        .map(|f| f.item_identifier),
                ),
                _ => {
                    killed += 1;
                    failed.extend(messages.iter().filter_map(|m| m.message_id.clone()));
                }
            }
        }
        {
            let mut senders = self.senders.lock().unwrap_or_else(|p| p.into_inner());
            for id in &message_ids {
                if let Some(handles) = senders.get_mut(id) {
                    handles.retain(|(of, _)| *of != batch);
                }
            }
        }
        // As the event source mapping settles a batch: the finished records deleted in one
        // request, the rest made visible again in another.
        let (mut done, mut again) = (Vec::new(), Vec::new());
        for (i, message) in messages.iter().enumerate() {
            let (id, receipt) = (i.to_string(), message.receipt_handle().unwrap_or_default());
            if failed.contains(message.message_id().unwrap_or_default()) {
                again.push(
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(id)
                        .receipt_handle(receipt)
                        .visibility_timeout(0)
                        .build()?,
                );
            } else {
                done.push(
                    DeleteMessageBatchRequestEntry::builder()
                        .id(id)
                        .receipt_handle(receipt)
                        .build()?,
                );
            }
        }
        if !again.is_empty() {
            self.sqs
                .change_message_visibility_batch()
                .queue_url(&queue)
                .set_entries(Some(again))
                .send()
                .await?;
        }
        if !done.is_empty() {
            self.sqs
                .delete_message_batch()
                .queue_url(&queue)
                .set_entries(Some(done))
                .send()
                .await?;
        }
        let fanout_killed = kill_fanout && killed > 0;
        Ok(RunReport {
            killed_pairs: if killed > 0 { tasks } else { Vec::new() },
            unfinished: failed.len(),
            fanout_killed,
            dispatchers_killed: if function == "faultline-dispatch" && killed > 0 {
                1
            } else {
                0
            },
        })
    }
}

type BatchOutcome = anyhow::Result<RunReport>;

/// What became of one batch.
#[derive(Debug)]
struct RunReport {
    killed_pairs: Vec<(String, String)>,
    unfinished: usize,
    fanout_killed: bool,
    dispatchers_killed: usize,
}

fn receive_count(message: &Message) -> u32 {
    message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}
