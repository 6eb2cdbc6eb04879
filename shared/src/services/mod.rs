//! The business flows, composed from the store, queues and sinks. Handlers call these.

pub mod api_keys;
pub mod code_context;
pub mod deadlocks;
pub mod delivery;
pub mod deploys;
pub mod digest;
pub mod exports;
pub mod fanout;
pub mod inbound;
pub mod incidents;
pub mod ingest;
pub mod jobs;
pub mod ledger;
pub mod log_scan;
pub mod messages;
pub mod notify;
pub mod oauth;
pub mod outbox;
pub mod reports;
pub mod sentry_sync;
pub mod slack_commands;
mod suspects;
pub mod ticket_sync;
pub mod tokens;

use crate::queue::QueueError;
use crate::store::StoreError;

/// A flow failed; the SQS handlers report the record for redelivery.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// DynamoDB.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// SQS.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// S3.
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
    /// Secrets Manager, or a sealed secret that did not open.
    #[error("secrets: {0}")]
    Secrets(String),
    /// A queue message that is not what this function reads.
    #[error("malformed queue message: {0}")]
    Malformed(String),
    /// An export file could not be written or linked.
    #[error("export: {0}")]
    Export(String),
    /// Another worker holds this piece of work; try again later.
    #[error("busy: {0}")]
    Busy(String),
}
