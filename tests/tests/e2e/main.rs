//! End-to-end tests through the local stack: one binary, a module per journey.

mod audited_changes;
mod chaos;
mod gateway;
mod generic_alert_to_webhook;
mod ledger;
mod local_pollers;
mod notifications;
mod providers_end_to_end;
mod rotation;
mod template_contract;
