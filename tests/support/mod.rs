//! Support for the end-to-end tests and the latency probe: the whole hub started in-process on the
//! AWS emulator, driven over HTTP like any client.

pub mod aws_usage;
pub mod chaos;
pub mod deliveries;

use faultline_local::{start, HubOptions, RunningHub};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A running hub and an HTTP client for it.
#[derive(Debug)]
pub struct Hub {
    /// The hub.
    pub hub: RunningHub,
    /// A client with keep-alive.
    pub http: reqwest::Client,
}

/// A tenant's credentials, created through the API.
#[derive(Debug, Clone)]
pub struct TenantKey(pub String);

impl Hub {
    /// Starts the hub on `aws_endpoint` with a retry schedule.
    pub async fn start_on(aws_endpoint: &str, retry_schedule: &str) -> anyhow::Result<Self> {
        let mut options = HubOptions::for_test(aws_endpoint);
        options.retry_schedule = Some(retry_schedule.to_owned());
        Ok(Self {
            hub: start(options).await?,
            http: reqwest::Client::new(),
        })
    }

    /// Starts the hub on the test binary's shared emulator.
    pub async fn start(retry_schedule: &str) -> Self {
        Self::start_on(faultline_emulator::shared_emulator(), retry_schedule)
            .await
            .expect("the hub starts")
    }

    /// An absolute URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.hub.base_url)
    }

    /// Sends a request and returns status and JSON body (`Null` when empty).
    pub async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.expect("the hub answers");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("a body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, body)
    }

    /// GET with a key.
    pub async fn get(&self, path: &str, key: &TenantKey) -> (u16, Value) {
        self.send(self.http.get(self.url(path)).bearer_auth(&key.0))
            .await
    }

    /// POST JSON with a key.
    pub async fn post(&self, path: &str, key: &TenantKey, body: &Value) -> (u16, Value) {
        self.send(
            self.http
                .post(self.url(path))
                .bearer_auth(&key.0)
                .json(body),
        )
        .await
    }

    /// A new tenant through `POST /v1/tenants` with the platform admin key.
    pub async fn tenant(&self) -> TenantKey {
        let (status, body) = self
            .send(
                self.http
                    .post(self.url("/v1/tenants"))
                    .bearer_auth(&self.hub.admin_key)
                    .json(&json!({"name": "acme"})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        TenantKey(body["api_key"]["key"].as_str().expect("key").to_owned())
    }
}

impl Hub {
    /// A generic integration's webhook path (`/v1/hooks/generic/int_…`).
    pub async fn generic_hook(&self, key: &TenantKey) -> String {
        let (status, integration) = self
            .post(
                "/v1/integrations",
                key,
                &json!({"source": "generic", "name": "test", "unsigned": true}),
            )
            .await;
        assert_eq!(status, 201, "{integration}");
        integration["webhook_path"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// An endpoint at `url` subscribed to `event_types`; its JSON (with the secret, shown once).
    pub async fn endpoint(&self, key: &TenantKey, url: &str, event_types: &[&str]) -> Value {
        let (status, endpoint) = self
            .post(
                "/v1/endpoints",
                key,
                &json!({"url": url, "event_types": event_types}),
            )
            .await;
        assert_eq!(status, 201, "{endpoint}");
        endpoint
    }

    /// Posts a generic alert to `hook`.
    pub async fn alert(&self, hook: &str, body: &Value) -> (u16, Value) {
        self.send(self.http.post(self.url(hook)).json(body)).await
    }
}

/// A receiver that answers `status` to the first `failures` requests and 200 after.
pub async fn receiver(failures: u64, status: u16) -> wiremock::MockServer {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    if failures > 0 {
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status))
            .up_to_n_times(failures)
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

/// Polls `check` until it returns `Some`, for at most `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One verification for the `standardwebhooks` library: a delivery, a secret, and whether the
/// library should accept it.
#[derive(Debug, Clone)]
pub struct StandardWebhooksCheck(pub Value);

impl StandardWebhooksCheck {
    /// A check of a received request against `secret`.
    pub fn of(request: &wiremock::Request, secret: &str, valid: bool) -> Self {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        Self(json!({
            "secret": secret,
            "headers": {
                "webhook-id": header("webhook-id"),
                "webhook-timestamp": header("webhook-timestamp"),
                "webhook-signature": header("webhook-signature"),
            },
            "body": String::from_utf8_lossy(&request.body),
            "expect": if valid { "valid" } else { "invalid" },
        }))
    }
}

/// Runs the checks through the PyPI `standardwebhooks` library (`tests/verify_standard_webhooks.py`)
/// and panics with its report if any outcome differs.
pub fn verify_with_standardwebhooks(checks: &[StandardWebhooksCheck]) {
    use std::io::Write;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = std::env::var("FAULTLINE_PYTHON").unwrap_or_else(|_| {
        let venv = root.join(".venv/bin/python");
        if venv.exists() {
            venv.display().to_string()
        } else {
            "python3".into()
        }
    });
    let input =
        json!({"checks": checks.iter().map(|c| c.0.clone()).collect::<Vec<_>>()}).to_string();
    let output = std::process::Command::new(&python)
        .arg(root.join("tests/verify_standard_webhooks.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())?;
            child.wait_with_output()
        })
        .expect("python runs (make test installs it)");
    assert!(
        output.status.success(),
        "standardwebhooks disagreed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Sleeps to the start of the next wall-clock second (a destination gets one message a second:
/// a bench's next batch starts in a fresh one).
pub async fn next_wall_second() {
    let left = 1_000 - i64::from(chrono::Utc::now().timestamp_subsec_millis()) + 5;
    tokio::time::sleep(Duration::from_millis(left.max(0) as u64)).await;
}

/// A fresh emulator with the template deployed as `stack_name`, and the environment the
/// template gives the functions (in local mode when `local_mode`: http and loopback allowed).
/// The emulator stops when dropped.
pub async fn emulated_environment(
    stack_name: &str,
    local_mode: bool,
) -> anyhow::Result<(
    faultline_emulator::Emulator,
    std::collections::BTreeMap<String, String>,
)> {
    use faultline_emulator::{deploy, free_port, Emulator, Template};
    let emulator = Emulator::start(free_port()?)?;
    let body = std::fs::read_to_string(faultline_emulator::default_template_path())?;
    let deployment = deploy(&emulator.endpoint(), &Template::parse(&body)?, stack_name).await?;
    let mut environment = deployment.environment;
    if local_mode {
        environment.insert("FAULTLINE_LOCAL_MODE".into(), "1".into());
    }
    Ok((emulator, environment))
}

/// A fresh emulator with the template deployed as `stack_name`, and the state a function would
/// build over it (system clock). The emulator stops when dropped.
pub async fn emulated_state(
    stack_name: &str,
) -> anyhow::Result<(faultline_emulator::Emulator, faultline::AppState)> {
    let (emulator, environment) = emulated_environment(stack_name, false).await?;
    let config = faultline::Config::from_map(&environment)?;
    let clients = faultline::aws::AwsClients::for_emulator(&emulator.endpoint()).await;
    let state = faultline::AppState::new(config, &clients, faultline::clock::Clock::system());
    Ok((emulator, state))
}
