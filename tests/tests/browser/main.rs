//! The console in a real browser: the golden paths of `tests/browser` (pytest + Playwright driving
//! Debian's Chromium by its executable path) against the whole hub, started here on the AWS
//! emulator with its SQS pollers, so a test ping is delivered and an export is written for real.
//! Screenshots of every page visited land in `target/console-screenshots/`.

use faultline_e2e::Hub;
use faultline_testkit::workspace_root;
use std::path::PathBuf;

fn python() -> PathBuf {
    std::env::var_os("FAULTLINE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"))
}

fn chromium() -> PathBuf {
    let path = PathBuf::from(
        std::env::var_os("FAULTLINE_CHROMIUM").unwrap_or_else(|| "/usr/bin/chromium".into()),
    );
    assert!(
        path.exists(),
        "{} is missing: `make system-tools` installs Debian's chromium",
        path.display()
    );
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_golden_paths_pass_in_chromium() {
    let hub = Hub::start("1,2").await;
    let root = workspace_root();
    let mut command = std::process::Command::new(python());
    command
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/browser",
        ])
        .current_dir(&root)
        .env("FAULTLINE_BASE_URL", &hub.hub.base_url)
        .env("FAULTLINE_ADMIN_KEY", &hub.hub.admin_key)
        .env("FAULTLINE_CHROMIUM", chromium())
        .env(
            "FAULTLINE_SCREENSHOTS",
            root.join("target/console-screenshots"),
        );
    let status = tokio::task::spawn_blocking(move || command.status())
        .await
        .expect("the browser tests ran")
        .expect("pytest starts");
    assert!(
        status.success(),
        "the console's browser tests failed (see above)"
    );
}
