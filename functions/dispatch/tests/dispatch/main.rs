//! The dispatch function's tests: one binary, a module per area.

mod delivery;
mod fairness;
mod payloads;
mod status_handling;
