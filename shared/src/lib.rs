//! The library every Faultline function links: domain model, storage, queues, signing and the
//! API Gateway glue. Handlers in `functions/` stay thin; the rules live here, testable without Lambda.

pub mod archive;
pub mod auth;
pub mod aws;
pub mod cache;
pub mod clock;
pub mod config;
pub mod deadlocks;
pub mod domain;
pub mod exports;
#[cfg(test)]
mod fixtures;
pub mod http;
pub mod logs;
pub mod metrics;
pub mod notify;
pub mod queue;
pub mod reports;
pub mod secrets;
pub mod services;
pub mod signing;
pub mod sinks;
pub mod sources;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod text;
pub mod views;

pub use config::Config;
pub use state::{AppState, KeySecret};
