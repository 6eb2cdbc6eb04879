//! The `notify` function against local stubs that answer as Slack, Teams, PagerDuty, Jira and
//! GitHub do, and the emulator's SES: what is sent, edited in place, held, retried and parked;
//! tickets kept one per incident.

mod common;
mod email;
mod flood;
mod github;
mod jira;
mod pagerduty;
mod people;
mod slack_bot;
mod slack_webhook;
mod smtp;
mod teams;
mod tickets;
mod windows;
