//! Test support shared by every test crate: a freshly deployed stack per test on the shared AWS
//! emulator (real DynamoDB, SQS, S3 and Secrets Manager APIs, never a fake), tenants with keys,
//! and the sample events from `events/`.

use aws_smithy_runtime_api::client::interceptors::Intercept;
use faultline::auth::ApiKey;
use faultline::aws::{AwsClients, LazyClient};
use faultline::clock::Clock;
use faultline::domain::Scope;
use faultline::domain::{
    Endpoint, EndpointId, EventType, Integration, IntegrationId, Source, Tenant, TenantId,
};
use faultline::services::api_keys::issue_api_key;
use faultline::signing::WebhookSecret;
use faultline::{AppState, Config};
use faultline_emulator::streams::TableStream;
use faultline_emulator::{deploy, shared_emulator, Deployment, Template};
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use std::path::{Path, PathBuf};

pub mod calls;
mod documentation;
mod events;
pub mod faults;
pub mod iam;
mod inspect;
mod jobs;
pub mod runtime_api;
mod seed;
mod tickets;

pub use calls::CallCount;
pub use documentation::conforms_to_documentation;
pub use events::{json_of, load_event, sqs_event, HttpEvent};
pub use faults::{incompressible, FailingWrites};
pub use jobs::{logs_through_role, store_log_source, store_sentry_config};
pub use seed::synthetic_incidents;
pub use tickets::ticket_target;

/// A stack deployed for one test.
#[derive(Debug)]
pub struct TestStack {
    /// The functions' state, in local mode, on the emulator. Its clients record what they do for
    /// the IAM contract (see [`iam`]): hand it to the handler under test.
    pub state: AppState,
    /// The same state on clients that record nothing: what the test's own setup uses (tenants,
    /// keys, integrations), so the function is held only to what its handlers do.
    pub harness: AppState,
    /// Raw AWS clients, to look at what the functions wrote.
    pub clients: AwsClients,
    /// Physical ids and environment.
    pub deployment: Deployment,
    /// The clients behind `state` (recording, when the IAM contract is being recorded).
    function_clients: AwsClients,
    /// The table's stream, read as far as the outbox relay was handed it (see `relay_outbox`).
    outbox: tokio::sync::Mutex<Option<TableStream>>,
}

/// `clients` with `interceptor` on every request of every service: the IAM recorder, the usage
/// counter of the benches, injected faults.
pub fn intercepted<I>(clients: &AwsClients, interceptor: &I) -> AwsClients
where
    I: Intercept + Clone + 'static,
{
    // Each service's client again, with the interceptor added to its configuration.
    macro_rules! with_interceptor {
        ($service:ident, $client:ident) => {
            LazyClient::from($service::Client::from_conf(
                clients
                    .$client
                    .config()
                    .to_builder()
                    .interceptor(interceptor.clone())
                    .build(),
            ))
        };
    }
    AwsClients {
        dynamodb: with_interceptor!(aws_sdk_dynamodb, dynamodb),
        sqs: with_interceptor!(aws_sdk_sqs, sqs),
        s3: with_interceptor!(aws_sdk_s3, s3),
        secrets: with_interceptor!(aws_sdk_secretsmanager, secrets),
        ses: with_interceptor!(aws_sdk_sesv2, ses),
        logs: with_interceptor!(aws_sdk_cloudwatchlogs, logs),
        sts: with_interceptor!(aws_sdk_sts, sts),
    }
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl TestStack {
    /// Deploys template.yaml as a new stack on the shared emulator, with `retry_schedule` and `clock`.
    pub async fn deploy_with(retry_schedule: &str, clock: Clock) -> Self {
        let endpoint = shared_emulator();
        let body =
            std::fs::read_to_string(workspace_root().join("template.yaml")).expect("template.yaml");
        let template = Template::parse(&body).expect("template parses");
        let name = format!("t-{}", ulid::Ulid::new().to_string().to_lowercase());
        let deployment = deploy(endpoint, &template, &name)
            .await
            .expect("stack deploys");
        let mut environment = deployment.environment.clone();
        environment.insert("FAULTLINE_LOCAL_MODE".into(), "1".into());
        environment.insert("FAULTLINE_RETRY_SCHEDULE".into(), retry_schedule.into());
        let mut config = Config::from_map(&environment).expect("config");
        config.aws_endpoint_url = Some(endpoint.to_owned());
        let clients = AwsClients::for_emulator(endpoint).await;
        let function_clients = match iam::UsageRecorder::for_this_process(&deployment.physical_ids)
        {
            Some(recorder) => intercepted(&clients, &recorder),
            None => clients.clone(),
        };
        let state = AppState::new(config.clone(), &function_clients, clock.clone());
        let harness = AppState::new(config, &clients, clock);
        Self {
            state,
            harness,
            clients,
            deployment,
            function_clients,
            outbox: Default::default(),
        }
    }

    /// Another container of the function under test (recorded like `state`), its configuration
    /// changed by `change`: e.g. an archive bucket that does not exist, to make a step fail.
    pub fn function_state_with(&self, change: impl FnOnce(&mut Config)) -> AppState {
        let mut config = self.state.config.clone();
        change(&mut config);
        AppState::new(config, &self.function_clients, self.state.clock.clone())
    }

    /// The function's state, with DynamoDB requests matching `faults` failing.
    pub fn function_state_failing(&self, faults: FailingWrites) -> AppState {
        self.function_state_intercepted(&faults)
    }

    /// The function's state (recorded like `state`), every request also seen by `interceptor`:
    /// e.g. a [`CallCount`].
    pub fn function_state_intercepted<I>(&self, interceptor: &I) -> AppState
    where
        I: Intercept + Clone + 'static,
    {
        AppState::new(
            self.state.config.clone(),
            &intercepted(&self.function_clients, interceptor),
            self.state.clock.clone(),
        )
    }

    /// A stack with a 1 s, 1 s, 1 s retry schedule and the system clock.
    pub async fn deploy() -> Self {
        Self::deploy_with("1,1,1", Clock::system()).await
    }

    /// Calls an HTTP function's `handle` with a sample event, as API Gateway would: status and
    /// JSON body.
    pub async fn call<'a, F, Fut>(&'a self, handle: F, event: &HttpEvent) -> (u16, Value)
    where
        F: FnOnce(&'a AppState, Request) -> Fut,
        Fut: std::future::Future<Output = Response<Body>>,
    {
        json_of(&handle(&self.state, event.request()).await)
    }

    /// A new tenant and its admin key (holding every scope).
    pub async fn tenant(&self) -> (TenantId, ApiKey) {
        let tenant = Tenant {
            id: TenantId::generate(),
            name: "test tenant".into(),
            created_at: self.harness.clock.now(),
            settings: Default::default(),
        };
        self.harness
            .store
            .create_tenant(&tenant)
            .await
            .expect("tenant stored");
        let (key, _) = issue_api_key(&self.harness, &tenant.id, "admin", Scope::ALL.to_vec())
            .await
            .expect("key issued");
        (tenant.id, key)
    }

    /// Changes `tenant`'s settings in place (as `PATCH /v1/tenants/{id}` would, without its
    /// checks).
    pub async fn set_tenant_settings(
        &self,
        tenant: &TenantId,
        change: impl FnOnce(&mut faultline::domain::TenantSettings),
    ) {
        let mut stored = self
            .state
            .store
            .get_tenant(tenant)
            .await
            .expect("tenant read")
            .expect("tenant exists");
        change(&mut stored.settings);
        self.harness
            .store
            .save_tenant(&stored)
            .await
            .expect("tenant saved");
    }

    /// A stored endpoint of `tenant` at `url` and its signing secret.
    pub async fn endpoint(
        &self,
        tenant: &TenantId,
        url: &str,
        event_types: Vec<EventType>,
        enabled: bool,
    ) -> (Endpoint, WebhookSecret) {
        let secret = WebhookSecret::generate();
        let id = EndpointId::generate();
        let cipher = self.harness.cipher().await.expect("data key");
        let now = self.harness.clock.now();
        let endpoint = Endpoint {
            secret: cipher.seal(secret.expose(), &Endpoint::secret_context_for(tenant, &id)),
            id,
            tenant_id: tenant.clone(),
            url: url.to_owned(),
            description: String::new(),
            event_types,
            enabled,
            headers: Default::default(),
            rate_limit: None,
            created_at: now,
            updated_at: now,
            failing_since: None,
            disabled_reason: None,
            previous_secrets: vec![],
        };
        self.harness
            .store
            .create_endpoint(&endpoint)
            .await
            .expect("endpoint stored");
        (endpoint, secret)
    }

    /// A stored integration of `tenant` for `source`, with `secret` sealed when given and the
    /// given source `config`.
    pub async fn integration(
        &self,
        tenant: &TenantId,
        source: Source,
        secret: Option<&str>,
        config: Value,
    ) -> Integration {
        store_integration(&self.harness, tenant, source, secret, config).await
    }

    /// An incident (or issue) of `tenant` stored directly, with its opening timeline line.
    pub async fn stored_incident(
        &self,
        tenant: &TenantId,
        title: &str,
        severity: faultline::domain::Severity,
        kind: faultline::domain::SignalKind,
    ) -> faultline::domain::Incident {
        use faultline::domain::{Fingerprint, Incident, IncidentId, Signal, TimelineEntry};
        let now = self.harness.clock.now();
        let mut signal = Signal::new(
            Source::Generic,
            Fingerprint::from_key("generic", &ulid::Ulid::new().to_string()),
            title.into(),
            now,
        );
        signal.severity = severity;
        signal.kind = kind;
        let incident = Incident::open(
            IncidentId::generate(),
            tenant.clone(),
            IntegrationId::generate(),
            None,
            &signal,
            now,
        );
        let timeline = [TimelineEntry::for_signal(
            &signal,
            "opened",
            "opened".into(),
            "new fingerprint",
            now,
        )];
        let write = faultline::store::IncidentWrite {
            incident: &incident,
            timeline: &timeline,
            events: &[],
            receipt: None,
            error_event: None,
        };
        self.harness
            .store
            .create_incident(write, None)
            .await
            .expect("incident stored");
        incident
    }

    /// The tenant's incidents (and issues), newest first, in their public JSON form.
    pub async fn incidents(&self, tenant: &TenantId) -> Vec<Value> {
        let page = self
            .state
            .store
            .list_incidents(tenant, &faultline::store::PageRequest::default())
            .await
            .expect("list incidents");
        page.items
            .iter()
            .map(|i| faultline::views::event_data(&faultline::views::IncidentView::from(i)))
            .collect()
    }

    /// A stored generic integration of `tenant`, with `secret` sealed when given.
    pub async fn generic_integration(
        &self,
        tenant: &TenantId,
        secret: Option<&str>,
    ) -> Integration {
        self.integration(tenant, Source::Generic, secret, Value::Null)
            .await
    }

    /// Installs `key` as the platform admin key.
    pub async fn set_admin_key(&self, key: &str) {
        self.clients
            .secrets
            .put_secret_value()
            .secret_id(&self.harness.config.admin_key_secret)
            .secret_string(key)
            .send()
            .await
            .expect("admin key installed");
    }
}

/// Stores an integration of `tenant` for `source`, sealing `secret` when given.
pub async fn store_integration(
    state: &AppState,
    tenant: &TenantId,
    source: Source,
    secret: Option<&str>,
    config: Value,
) -> Integration {
    let cipher = state.cipher().await.expect("data key");
    let mut integration = Integration {
        id: IntegrationId::generate(),
        tenant_id: tenant.clone(),
        source,
        name: format!("test {}", source.as_str()),
        project_id: None,
        config: config.as_object().cloned().unwrap_or_default(),
        secret: None,
        unsigned: secret.is_none(),
        created_at: state.clock.now(),
    };
    integration.secret = secret.map(|s| cipher.seal(s, &integration.secret_context()));
    state
        .store
        .create_integration(&integration)
        .await
        .expect("integration stored");
    integration
}

/// The exact bytes of a provider fixture in `tests/fixtures/providers/`.
pub fn provider_fixture(name: &str) -> Vec<u8> {
    let file = workspace_root().join("tests/fixtures/providers").join(name);
    std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}
