//! Cold start of every function, measured from outside as Lambda reports Init Duration: from exec
//! to the function's first poll of the Runtime API (`GET /2018-06-01/runtime/invocation/next`),
//! against a local Runtime API stub and the emulator (so a function that reads a secret at start
//! pays a real round trip). Release binaries; the median of 15 runs, interleaved so drift on the
//! machine touches every function alike; next to the floor, a hello-world `lambda_runtime`
//! binary. Prints figures and binary sizes; asserts nothing.
//!
//! `make bench` builds the binaries first (`cargo build --release --bins -p …`), then runs
//! `cargo run --release -p faultline-e2e --bin cold-start`.

use faultline_emulator::{deploy, free_port, Emulator, Template};
use faultline_testkit::runtime_api::{first_poll, lambda_environment};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// The floor, then every function binary the template names, once each (a binary that serves
/// a queue and a schedule is measured once).
fn binaries() -> Vec<&'static str> {
    use faultline_local::functions::{HTTP_FUNCTIONS, SCHEDULED_FUNCTIONS, SQS_FUNCTIONS};
    let mut binaries = vec!["hello-lambda"];
    for name in HTTP_FUNCTIONS
        .iter()
        .chain(SQS_FUNCTIONS)
        .chain(SCHEDULED_FUNCTIONS)
    {
        if !binaries.contains(name) {
            binaries.push(*name);
        }
    }
    binaries
}

const RUNS: usize = 15;

/// Starts `binary` against the Runtime API stub on `listener` and waits for its first poll.
async fn init_duration(
    binary: &Path,
    listener: &TcpListener,
    environment: &BTreeMap<String, String>,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .env_clear()
        .envs(environment)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let poll = first_poll(listener, Duration::from_secs(10)).await;
    let took = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    match poll {
        Some(_) => Ok(took),
        None => anyhow::bail!("{} never polled the Runtime API", binary.display()),
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn release_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("target/release"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let emulator = Emulator::start(free_port()?)?;
    let template = std::fs::read_to_string(faultline_emulator::default_template_path())?;
    let deployment = deploy(&emulator.endpoint(), &Template::parse(&template)?, "cold").await?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let mut environment = lambda_environment(&deployment);
    environment.insert(
        "AWS_LAMBDA_RUNTIME_API".into(),
        listener.local_addr()?.to_string(),
    );
    let dir = release_dir();
    let mut samples: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    for _ in 0..RUNS {
        for name in binaries() {
            let took = init_duration(&dir.join(name), &listener, &environment).await?;
            samples.entry(name).or_default().push(took);
        }
    }
    let floor = median(samples["hello-lambda"].clone());
    println!(
        "Cold start (exec → first Runtime API poll), release, median of {RUNS} interleaved runs:"
    );
    println!(
        "  {:<28} {:>9} {:>9} {:>8} {:>12}",
        "binary", "init", "max", "× floor", "size"
    );
    for name in binaries() {
        let runs = &samples[name];
        let took = median(runs.clone());
        let max = runs.iter().max().copied().unwrap_or_default();
        let size = std::fs::metadata(dir.join(name))
            .map(|m| m.len())
            .unwrap_or_default();
        println!(
            "  {name:<28} {:>6.1} ms {:>6.1} ms {:>7.2}× {:>9.1} MB",
            took.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            took.as_secs_f64() / floor.as_secs_f64(),
            size as f64 / 1e6,
        );
    }
    drop(emulator);
    Ok(())
}
