//! The `notify` function against local stubs that answer as Slack and Teams do, and the
//! emulator's SES: what is sent, edited in place, held, retried and parked.

mod common;
mod email;
mod flood;
mod people;
mod slack_bot;
mod slack_webhook;
mod smtp;
mod teams;
mod windows;
