//! Support for the end-to-end tests and the latency probe: the whole hub started in-process on the
//! AWS emulator, driven over HTTP like any client.

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
