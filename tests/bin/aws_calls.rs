//! Counts the AWS API calls each webhook function makes per accepted webhook, by operation, with an
//! SDK interceptor on real clients against the emulator (warm container: secrets already cached).
//! Prints figures; asserts nothing. `cargo run -p faultline-e2e --bin aws-calls` (part of `make bench`).

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use faultline::aws::AwsClients;
use faultline::clock::Clock;
use faultline::domain::{Source, Tenant, TenantId};
use faultline::signing::hmac_sha256::hmac_sha256;
use faultline::{AppState, Config};
use faultline_emulator::{deploy, free_port, Emulator, Template};
use faultline_testkit::{provider_fixture, store_integration, HttpEvent};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Counts operations by `Service.Operation`.
#[derive(Debug, Clone, Default)]
struct CallCounter(Arc<Mutex<BTreeMap<String, usize>>>);

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let (Some(metadata), Ok(mut counts)) = (cfg.load::<Metadata>(), self.0.lock()) {
            *counts
                .entry(format!("{}.{}", metadata.service(), metadata.name()))
                .or_default() += 1;
        }
        Ok(())
    }
}

impl CallCounter {
    fn take(&self) -> BTreeMap<String, usize> {
        self.0
            .lock()
            .map(|mut counts| std::mem::take(&mut *counts))
            .unwrap_or_default()
    }
}

async fn counted_clients(endpoint: &str, counter: &CallCounter) -> AwsClients {
    let sdk = faultline_emulator::sdk_config(endpoint).await;
    AwsClients {
        dynamodb: aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk)
                .interceptor(counter.clone())
                .build(),
        ),
        sqs: aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&sdk)
                .interceptor(counter.clone())
                .build(),
        ),
        s3: aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .interceptor(counter.clone())
                .build(),
        ),
        secrets: aws_sdk_secretsmanager::Client::from_conf(
            aws_sdk_secretsmanager::config::Builder::from(&sdk)
                .interceptor(counter.clone())
                .build(),
        ),
    }
}

fn hex_hmac(secret: &str, body: &[u8]) -> String {
    hex::encode(hmac_sha256(secret.as_bytes(), body))
}

/// A fresh, signed delivery for `source` (new upstream id `n`, so it opens a new incident/change).
fn delivery(
    source: Source,
    integration: &str,
    n: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> (&'static str, HttpEvent) {
    match source {
        Source::Generic => {
            let body = serde_json::to_vec(
                &json!({"title": format!("disk {n}"), "fingerprint": format!("disk-{n}")}),
            )
            .unwrap_or_default();
            let event = HttpEvent::load("webhook-generic/receive.json")
                .path_param("integration_id", integration)
                .body_bytes(&body)
                .header(
                    "x-signature-256",
                    &format!("sha256={}", hex_hmac("a-long-shared-secret-1234", &body)),
                )
                .header("idempotency-key", &format!("g-{n}"));
            ("faultline-webhook-generic", event)
        }
        Source::Pagerduty => {
            let mut value: Value =
                serde_json::from_slice(&provider_fixture("pagerduty_incident_triggered.json"))
                    .unwrap_or_default();
            value["event"]["data"]["id"] = json!(format!("PD{n}"));
            let body = serde_json::to_vec(&value).unwrap_or_default();
            let secret = "HvPtlQNKMPpHSSqJpCdndXfo7HnGXa1pnH6w5axpxLFn9aRBNBGh4e8/HlonK5mz";
            let event = HttpEvent::load("webhook-pagerduty/receive.json")
                .path_param("integration_id", integration)
                .body_bytes(&body)
                .header(
                    "x-pagerduty-signature",
                    &format!("v1={}", hex_hmac(secret, &body)),
                )
                .header("x-webhook-id", &format!("pd-{n}"));
            ("faultline-webhook-pagerduty", event)
        }
        Source::Sentry => {
            let mut value: Value =
                serde_json::from_slice(&provider_fixture("sentry_event_alert_triggered.json"))
                    .unwrap_or_default();
            value["data"]["event"]["issue_id"] = json!(format!("9{n}"));
            let body = serde_json::to_vec(&value).unwrap_or_default();
            let event = HttpEvent::load("webhook-sentry/receive.json")
                .path_param("integration_id", integration)
                .body_bytes(&body)
                .header("sentry-hook-resource", "event_alert")
                .header("sentry-hook-timestamp", &now.timestamp().to_string())
                .header(
                    "sentry-hook-signature",
                    &hex_hmac("test-client-secret", &body),
                )
                .header("request-id", &format!("s-{n}"));
            ("faultline-webhook-sentry", event)
        }
        Source::Slack => {
            let mut value: Value =
                serde_json::from_slice(&provider_fixture("slack_event_callback_app_mention.json"))
                    .unwrap_or_default();
            value["event_id"] = json!(format!("Ev{n}"));
            value["event"]["text"] = json!(format!("error: job {} failed", "x".repeat(n)));
            let body = serde_json::to_vec(&value).unwrap_or_default();
            let ts = now.timestamp().to_string();
            let base = [format!("v0:{ts}:").as_bytes(), &body].concat();
            let event = HttpEvent::load("webhook-slack/receive.json")
                .path_param("integration_id", integration)
                .body_bytes(&body)
                .header("content-type", "application/json")
                .header("x-slack-request-timestamp", &ts)
                .header(
                    "x-slack-signature",
                    &format!("v0={}", hex_hmac("8f742231b10e8888abcd99yyyzzz85a5", &base)),
                );
            ("faultline-webhook-slack", event)
        }
        Source::Github => {
            let mut value: Value =
                serde_json::from_slice(&provider_fixture("github_pull_request_merged.json"))
                    .unwrap_or_default();
            value["pull_request"]["number"] = json!(1000 + n);
            let body = serde_json::to_vec(&value).unwrap_or_default();
            let event = HttpEvent::load("webhook-github/receive.json")
                .path_param("integration_id", integration)
                .body_bytes(&body)
                .header(
                    "x-hub-signature-256",
                    &format!("sha256={}", hex_hmac("It's a Secret to Everybody", &body)),
                )
                .header("x-github-delivery", &format!("gh-{n}"));
            ("faultline-webhook-github", event)
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let emulator = Emulator::start(free_port()?)?;
    let body = std::fs::read_to_string(faultline_emulator::default_template_path())?;
    let deployment = deploy(&emulator.endpoint(), &Template::parse(&body)?, "aws-calls").await?;
    let mut environment = deployment.environment.clone();
    environment.insert("FAULTLINE_LOCAL_MODE".into(), "1".into());
    let config = Config::from_map(&environment)?;
    let counter = CallCounter::default();
    let clients = counted_clients(&emulator.endpoint(), &counter).await;
    let state = AppState::new(config, &clients, Clock::system());

    let tenant = Tenant {
        id: TenantId::generate(),
        name: "bench".into(),
        created_at: chrono::Utc::now(),
        settings: Default::default(),
    };
    state.store.create_tenant(&tenant).await?;
    println!(
        "AWS calls per accepted webhook, by operation (warm container; the webhook function only —"
    );
    println!("fan-out and dispatch run later in their own functions):");
    for (source, secret, config) in [
        (
            Source::Github,
            Some("It's a Secret to Everybody"),
            Value::Null,
        ),
        (
            Source::Generic,
            Some("a-long-shared-secret-1234"),
            Value::Null,
        ),
        (
            Source::Pagerduty,
            Some("HvPtlQNKMPpHSSqJpCdndXfo7HnGXa1pnH6w5axpxLFn9aRBNBGh4e8/HlonK5mz"),
            Value::Null,
        ),
        (Source::Sentry, Some("test-client-secret"), Value::Null),
        (
            Source::Slack,
            Some("8f742231b10e8888abcd99yyyzzz85a5"),
            Value::Null,
        ),
        // Again, now with the incidents opened above still open: each gets a deploy line.
        (
            Source::Github,
            Some("It's a Secret to Everybody"),
            Value::Null,
        ),
    ] {
        let integration = store_integration(&state, &tenant.id, source, secret, config).await;
        let now = chrono::Utc::now();
        // Warm-up: the first call reads the data key from Secrets Manager, then it is cached.
        let (function, warm) = delivery(source, integration.id.as_str(), 0, now);
        faultline_local::functions::invoke_http(&state, function, warm.request()).await;
        counter.take();
        let (function, event) = delivery(source, integration.id.as_str(), 1, now);
        let response =
            faultline_local::functions::invoke_http(&state, function, event.request()).await;
        let status = response.map(|r| r.status().as_u16()).unwrap_or_default();
        let counts = counter.take();
        let total: usize = counts.values().sum();
        let detail: Vec<String> = counts.iter().map(|(op, n)| format!("{op}×{n}")).collect();
        println!(
            "  {:<10} HTTP {status}  {total:>2} calls: {}",
            source.as_str(),
            detail.join(", ")
        );
    }
    dispatch_calls(&state, &tenant.id, &counter).await?;
    drop(emulator);
    Ok(())
}

/// Calls per delivery attempt: one dispatch invocation with one task, then one with a batch of 10
/// tasks (one message to 10 endpoints), against a receiver that answers 200.
async fn dispatch_calls(
    state: &AppState,
    tenant: &TenantId,
    counter: &CallCounter,
) -> anyhow::Result<()> {
    use faultline::domain::{DeliveryTask, DomainEvent, Endpoint, EndpointId, EventType, Message};
    let receiver = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let cipher = state.cipher().await?;
    let mut endpoints = Vec::new();
    for _ in 0..10 {
        let id = EndpointId::generate();
        let endpoint = Endpoint {
            secret: cipher.seal(
                faultline::signing::WebhookSecret::generate().expose(),
                &Endpoint::secret_context_for(tenant, &id),
            ),
            id,
            tenant_id: tenant.clone(),
            url: format!("{}/hook", receiver.uri()),
            description: String::new(),
            event_types: vec![],
            enabled: true,
            headers: Default::default(),
            rate_limit: None,
            previous_secrets: vec![],
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            failing_since: None,
            disabled_reason: None,
        };
        state.store.create_endpoint(&endpoint).await?;
        endpoints.push(endpoint);
    }
    println!("AWS calls per delivery attempt (dispatch function, receiver answers 200):");
    for (label, count) in [("1 task", 1usize), ("batch of 10 tasks", 10)] {
        let event = DomainEvent::new(
            tenant.clone(),
            EventType::IncidentCreated,
            json!({"id": "inc_1"}),
            chrono::Utc::now(),
        );
        let message = Message::for_event(&event, chrono::Utc::now());
        state.store.put_message_once(&message, &[]).await?;
        let bodies: Vec<String> = endpoints
            .iter()
            .take(count)
            .map(|e| {
                serde_json::to_string(&DeliveryTask {
                    tenant_id: tenant.clone(),
                    message_id: message.id.clone(),
                    endpoint_id: e.id.clone(),
                    attempt: 1,
                    not_before: chrono::Utc::now(),
                })
                .unwrap_or_default()
            })
            .collect();
        counter.take();
        faultline_dispatch::handle(
            state,
            faultline_testkit::sqs_event("dispatch/delivery-task.json", &bodies),
        )
        .await;
        let counts = counter.take();
        let total: usize = counts.values().sum();
        let detail: Vec<String> = counts.iter().map(|(op, n)| format!("{op}×{n}")).collect();
        println!(
            "  {label:<18} {total:>3} calls, {:.1} per attempt: {}",
            total as f64 / count as f64,
            detail.join(", ")
        );
    }
    Ok(())
}
