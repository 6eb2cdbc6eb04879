//! Outbound destinations. Each sink turns a message into the request its destination expects.

pub mod ssrf;
pub mod webhook;
