//! The auth function's tests: one binary, a module per area.

mod api_keys;
mod oauth;
mod tokens;

use faultline_testkit::{HttpEvent, TestStack};
use serde_json::Value;

/// Calls the function with a sample event, as API Gateway would: status and JSON body.
pub async fn call(stack: &TestStack, event: &HttpEvent) -> (u16, Value) {
    stack.call(faultline_auth::handle, event).await
}
