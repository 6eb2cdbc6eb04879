//! Inbound providers: each source verifies its own signature scheme and normalises its payloads
//! into [`crate::domain::Signal`]s.

pub mod generic;
