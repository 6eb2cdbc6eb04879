//! The api function's tests: one binary, a module per area, each against its own stack on the emulator.

mod analysis;
mod audit;
mod auth_matrix;
mod basics;
mod code_context;
mod endpoints;
mod exports;
mod incidents;
mod integration_deliveries;
mod ledger_filters;
mod log_sources;
mod notification_schedules;
mod notifications;
mod projects;
mod roles;
mod sentry;
mod sentry_sync;
mod startup;
mod tenants;
mod tickets;
mod token_lifecycle;
mod users;

use faultline_testkit::{HttpEvent, TestStack};
use serde_json::Value;

/// Calls the function with a sample event, as API Gateway would: status and JSON body.
pub async fn call(stack: &TestStack, event: &HttpEvent) -> (u16, Value) {
    stack.call(faultline_api::handle, event).await
}
