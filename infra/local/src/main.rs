//! `make dev`: the whole hub on this machine.
//!
//! Environment: `FAULTLINE_PORT` (HTTP API, default 3000), `FAULTLINE_AWS_PORT` (the emulator,
//! default 4566), `FAULTLINE_BOOTSTRAP_API_KEY` (platform admin key; random when unset),
//! `FAULTLINE_RETRY_SCHEDULE` (comma-separated seconds replacing the delivery retry schedule).

use anyhow::Context;
use faultline_emulator::Emulator;
use faultline_local::{start, HubOptions};
use std::time::Instant;
use tokio::signal::unix::{signal, SignalKind};

fn port(name: &str, default: u16) -> anyhow::Result<u16> {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .with_context(|| format!("{name}={text} is not a port")),
        Err(_) => Ok(default),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    faultline::telemetry::init();
    let aws_port = port("FAULTLINE_AWS_PORT", 4566)?;
    let http_port = port("FAULTLINE_PORT", 3000)?;
    let mut emulator = Emulator::start(aws_port)?;
    let options = HubOptions {
        port: http_port,
        aws_endpoint: emulator.endpoint(),
        template_path: std::env::current_dir()?.join("template.yaml"),
        stack_name: "faultline-local".into(),
        admin_key: std::env::var("FAULTLINE_BOOTSTRAP_API_KEY")
            .ok()
            .filter(|k| !k.is_empty()),
        retry_schedule: std::env::var("FAULTLINE_RETRY_SCHEDULE")
            .ok()
            .filter(|s| !s.is_empty()),
    };
    let hub = start(options).await?;
    println!();
    println!(
        "Faultline is running (ready in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    println!("  base URL:            {}", hub.base_url);
    println!("  platform admin key:  {}", hub.admin_key);
    println!(
        "  AWS emulator:        {} (stack faultline-local, pid {})",
        emulator.endpoint(),
        emulator.pid()
    );
    println!();
    println!("  curl {}/health", hub.base_url);
    println!(
        "  curl -X POST {}/v1/tenants -H 'Authorization: Bearer {}' -d '{{\"name\":\"acme\"}}'",
        hub.base_url, hub.admin_key
    );
    println!();
    println!("Ctrl-C stops everything it started.");

    let mut terminate = signal(SignalKind::terminate())?;
    let mut watch = tokio::time::interval(std::time::Duration::from_millis(500));
    let died = loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break None,
            _ = terminate.recv() => break None,
            _ = watch.tick() => {
                if let Some(status) = emulator.exit_status() {
                    break Some(status);
                }
            }
        }
    };
    drop(hub);
    match died {
        None => {
            println!("stopping…");
            drop(emulator);
            Ok(())
        }
        // Never a hub answering 500 forever: without its emulator nothing can be stored.
        Some(status) => {
            eprintln!(
                "the AWS emulator (moto, pid {}) stopped ({status}); the hub cannot work without it \
                 and has stopped too. Run `make dev` again.",
                emulator.pid()
            );
            std::process::exit(1)
        }
    }
}
