//! AWS SDK clients, built once per container from one shared configuration.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use std::sync::{Arc, OnceLock};

/// The SDK's HTTPS client (hyper, rustls on aws-lc), built on its first request rather than when
/// the clients are built. The SDK's default client loads the system's root certificates while
/// the clients are built — a few hundred files under `/etc/ssl/certs` on Debian — which put
/// milliseconds into every cold start, before the function could poll for its first request,
/// even in functions that make no AWS call until later.
#[derive(Clone, Debug, Default)]
struct HttpsOnFirstUse {
    client: Arc<OnceLock<SharedHttpClient>>,
}

impl HttpClient for HttpsOnFirstUse {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.client
            .get_or_init(|| {
                aws_smithy_http_client::Builder::new()
                    .tls_provider(tls::Provider::Rustls(
                        tls::rustls_provider::CryptoMode::AwsLc,
                    ))
                    .build_https()
            })
            .http_connector(settings, components)
    }
}

/// Every AWS client a function may use. Building them does no I/O; they share one connection pool
/// per service and are cheap to clone.
#[derive(Clone, Debug)]
pub struct AwsClients {
    /// DynamoDB.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// SQS.
    pub sqs: aws_sdk_sqs::Client,
    /// S3 (path-style when an endpoint override is set, as the local emulator needs).
    pub s3: aws_sdk_s3::Client,
    /// Secrets Manager.
    pub secrets: aws_sdk_secretsmanager::Client,
    /// SES v2 (email notifications).
    pub ses: aws_sdk_sesv2::Client,
    /// CloudWatch Logs (the log scan).
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// STS (the log scan assumes a source's role in another account).
    pub sts: aws_sdk_sts::Client,
}

impl AwsClients {
    /// Loads the standard AWS configuration (region, credentials, `AWS_ENDPOINT_URL`), with
    /// `endpoint_url` overriding the endpoint when given.
    pub async fn load(endpoint_url: Option<&str>) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(SharedHttpClient::new(HttpsOnFirstUse::default()));
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let sdk = loader.load().await;
        Self::from_sdk_config(&sdk, endpoint_url.is_some())
    }

    /// Clients for a local AWS emulator: its endpoint, a fixed region and test credentials.
    pub async fn for_emulator(endpoint_url: &str) -> Self {
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(endpoint_url)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "faultline-local",
            ))
            .load()
            .await;
        Self::from_sdk_config(&sdk, true)
    }

    /// Clients from an already loaded configuration.
    pub fn from_sdk_config(sdk: &SdkConfig, path_style_s3: bool) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(path_style_s3)
            .build();
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            secrets: aws_sdk_secretsmanager::Client::new(sdk),
            ses: aws_sdk_sesv2::Client::new(sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(sdk),
            sts: aws_sdk_sts::Client::new(sdk),
        }
    }
}
