//! SQS: publishing domain events, enqueuing delivery tasks, and the SQS-handler batch plumbing.

mod batch;
mod dead_letters;
mod deliveries;
mod events;
mod exports;
mod notifications;
mod send;

pub use batch::{batch_or_schedule, process_batch, DecodedBatch, QueueError};
pub use dead_letters::DeadLetters;
pub use deliveries::DeliveryQueue;
pub use events::EventPublisher;
pub use exports::{ExportQueue, ExportTask};
pub use notifications::{NotifyQueue, NotifyTask};
