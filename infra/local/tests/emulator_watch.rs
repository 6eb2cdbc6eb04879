//! `make dev` watches its emulator: when moto dies, the hub says so and exits non-zero instead of
//! answering 500 forever.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    faultline_emulator::free_port().expect("a free port")
}

#[test]
fn when_the_emulator_dies_the_hub_says_so_and_exits_non_zero() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut hub = Command::new(env!("CARGO_BIN_EXE_faultline-local"))
        .current_dir(&root)
        .env("FAULTLINE_PORT", free_port().to_string())
        .env("FAULTLINE_AWS_PORT", free_port().to_string())
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("make dev's binary starts");
    let stdout = BufReader::new(hub.stdout.take().expect("stdout"));
    let mut pid = None;
    for line in stdout.lines().map_while(Result::ok) {
        if let Some(rest) = line.split("pid ").nth(1) {
            pid = rest.trim_end_matches(')').parse::<i32>().ok();
        }
        if line.starts_with("Ctrl-C") {
            break;
        }
    }
    let pid = pid.expect("the banner names the emulator's pid");

    // The emulator is killed from outside (as the kernel's OOM killer would).
    let killed = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());

    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = hub.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the hub kept running without its emulator"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut said = String::new();
    std::io::Read::read_to_string(&mut hub.stderr.take().expect("stderr"), &mut said)
        .expect("stderr");
    assert_eq!(status.code(), Some(1), "{said}");
    assert!(said.contains("the AWS emulator (moto"), "{said}");
    assert!(said.contains("Run `make dev` again"), "{said}");
}
