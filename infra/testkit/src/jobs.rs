//! What the scheduled jobs' tests and benches set up: a Sentry configuration whose API is a
//! local server, a log source, and a CloudWatch Logs client in another account.

use faultline::aws::AwsClients;
use faultline::domain::sentry_config::SampleRates;
use faultline::domain::{
    LogSource, LogSourceId, ProjectId, SentryConfig, SentryConfigId, TenantId,
};
use faultline::AppState;

/// Stores an active Sentry configuration of `tenant` for `org/project` in production, its API at
/// `api_url` and `token` sealed.
pub async fn store_sentry_config(
    state: &AppState,
    tenant: &TenantId,
    api_url: &str,
    (org, project): (&str, &str),
    token: &str,
) -> SentryConfig {
    let now = state.clock.now();
    let mut config = SentryConfig {
        id: SentryConfigId::generate(),
        tenant_id: tenant.clone(),
        project_id: ProjectId::generate(),
        environment: "production".into(),
        dsn: "https://a1b2c3d4e5f60718@o1.ingest.sentry.io/5".into(),
        org: org.into(),
        project: project.into(),
        auth_token: None,
        api_url: Some(api_url.into()),
        rates: SampleRates::default(),
        active: true,
        created_at: now,
        updated_at: now,
    };
    let cipher = state.cipher().await.expect("data key");
    config.auth_token = Some(cipher.seal(token, &config.token_context()));
    state
        .store
        .create_sentry_config(&config)
        .await
        .expect("stored");
    config
}

/// Stores an enabled log source of `tenant` reading `group` with `pattern`, in production.
pub async fn store_log_source(
    state: &AppState,
    tenant: &TenantId,
    group: &str,
    pattern: &str,
) -> LogSource {
    let now = state.clock.now();
    let source = LogSource {
        id: LogSourceId::generate(),
        tenant_id: tenant.clone(),
        name: "checkout".into(),
        log_group: group.into(),
        role_arn: None,
        external_id: None,
        filter_pattern: pattern.into(),
        project_id: None,
        service: None,
        environment: Some("production".into()),
        enabled: true,
        created_at: now,
        updated_at: now,
    };
    state
        .store
        .create_log_source(&source)
        .await
        .expect("stored");
    source
}

/// A CloudWatch Logs client acting in another account of the emulator, through `role_arn`
/// (the emulator keeps each account's resources apart, as AWS does): what a test writes a
/// cross-account log source's group with.
pub async fn logs_through_role(
    clients: &AwsClients,
    role_arn: &str,
) -> aws_sdk_cloudwatchlogs::Client {
    let assumed = clients
        .sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("faultline-test")
        .send()
        .await
        .expect("role assumed");
    let credentials = assumed.credentials.expect("credentials");
    let provider = aws_sdk_cloudwatchlogs::config::Credentials::new(
        credentials.access_key_id,
        credentials.secret_access_key,
        Some(credentials.session_token),
        None,
        "faultline-test-role",
    );
    aws_sdk_cloudwatchlogs::Client::from_conf(
        clients
            .logs
            .config()
            .to_builder()
            .credentials_provider(provider)
            .build(),
    )
}
