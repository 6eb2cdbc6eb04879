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

/// An SDK client built on its first use. Building a client is not free: each service's crate
/// parses its endpoint rules (the partitions document, a regular expression per partition) the
/// first time one of its clients is built, and every client assembles its runtime plugins. A
/// function uses two or three of the seven services, so the others are never built, and the ones
/// it uses are built on its first request rather than before its first poll of the Runtime API.
/// Cheap to clone (the clones share the one client); dereferences to the SDK's client.
#[derive(Clone)]
pub struct LazyClient<C> {
    client: Arc<OnceLock<C>>,
    build: Arc<dyn Fn() -> C + Send + Sync>,
}

impl<C> LazyClient<C> {
    /// A client `build` makes when it is first used.
    pub fn new(build: impl Fn() -> C + Send + Sync + 'static) -> Self {
        Self {
            client: Arc::new(OnceLock::new()),
            build: Arc::new(build),
        }
    }

    /// Whether the client has been built (it is on first use).
    pub fn is_built(&self) -> bool {
        self.client.get().is_some()
    }
}

impl<C: Clone + Send + Sync + 'static> From<C> for LazyClient<C> {
    /// A client already built (tests that intercept a client's calls).
    fn from(client: C) -> Self {
        let built = client.clone();
        Self {
            client: Arc::new(OnceLock::from(client)),
            build: Arc::new(move || built.clone()),
        }
    }
}

impl<C> std::ops::Deref for LazyClient<C> {
    type Target = C;

    fn deref(&self) -> &C {
        self.client.get_or_init(|| (self.build)())
    }
}

impl<C> std::fmt::Debug for LazyClient<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyClient")
            .field("built", &self.is_built())
            .finish()
    }
}

/// Every AWS client a function may use, each built on its first use. Building them does no
/// I/O and little work; the clients share one connection pool per service and are cheap to clone.
#[derive(Clone, Debug)]
pub struct AwsClients {
    /// DynamoDB.
    pub dynamodb: LazyClient<aws_sdk_dynamodb::Client>,
    /// SQS.
    pub sqs: LazyClient<aws_sdk_sqs::Client>,
    /// S3 (path-style when an endpoint override is set, as the local emulator needs).
    pub s3: LazyClient<aws_sdk_s3::Client>,
    /// Secrets Manager.
    pub secrets: LazyClient<aws_sdk_secretsmanager::Client>,
    /// SES v2 (email notifications).
    pub ses: LazyClient<aws_sdk_sesv2::Client>,
    /// CloudWatch Logs (the log scan).
    pub logs: LazyClient<aws_sdk_cloudwatchlogs::Client>,
    /// STS (the log scan assumes a source's role in another account).
    pub sts: LazyClient<aws_sdk_sts::Client>,
}

/// Whether the environment holds a non-empty value for `name`.
fn is_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|value| !value.is_empty())
}

impl AwsClients {
    /// Loads the standard AWS configuration (region, credentials, `AWS_ENDPOINT_URL`), with
    /// `endpoint_url` overriding the endpoint when given.
    ///
    /// Lambda hands a function its region and its role's credentials in environment variables,
    /// which the SDK's default chains read first. When they are there, the loader is given those
    /// providers by name, so it does not build the rest of each chain — an STS client for web
    /// identity, IMDS clients for the region and credentials — that would never be asked. Where
    /// they are not (a developer's profile, a container role), the default chains run as before.
    pub async fn load(endpoint_url: Option<&str>) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(SharedHttpClient::new(HttpsOnFirstUse::default()));
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if is_set("AWS_REGION") || is_set("AWS_DEFAULT_REGION") {
            loader =
                loader.region(aws_config::environment::EnvironmentVariableRegionProvider::new());
        }
        if is_set("AWS_ACCESS_KEY_ID") && is_set("AWS_SECRET_ACCESS_KEY") {
            loader = loader.credentials_provider(
                aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
            );
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

    /// Clients from an already loaded configuration, each built on its first use.
    pub fn from_sdk_config(sdk: &SdkConfig, path_style_s3: bool) -> Self {
        let sdk = Arc::new(sdk.clone());
        Self {
            dynamodb: lazy(&sdk, aws_sdk_dynamodb::Client::new),
            sqs: lazy(&sdk, aws_sdk_sqs::Client::new),
            s3: lazy(&sdk, move |sdk| {
                aws_sdk_s3::Client::from_conf(
                    aws_sdk_s3::config::Builder::from(sdk)
                        .force_path_style(path_style_s3)
                        .build(),
                )
            }),
            secrets: lazy(&sdk, aws_sdk_secretsmanager::Client::new),
            ses: lazy(&sdk, aws_sdk_sesv2::Client::new),
            logs: lazy(&sdk, aws_sdk_cloudwatchlogs::Client::new),
            sts: lazy(&sdk, aws_sdk_sts::Client::new),
        }
    }
}

/// A client of the service `build` makes from `sdk`, built on its first use.
fn lazy<C: 'static>(
    sdk: &Arc<SdkConfig>,
    build: impl Fn(&SdkConfig) -> C + Send + Sync + 'static,
) -> LazyClient<C> {
    let sdk = Arc::clone(sdk);
    LazyClient::new(move || build(&sdk))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_lazy_client_is_built_once_on_first_use_and_shared_by_its_clones() {
        let builds = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&builds);
        let client = LazyClient::new(move || counted.fetch_add(1, Ordering::SeqCst) + 100);
        let clone = client.clone();
        assert!(!client.is_built());
        assert_eq!(
            builds.load(Ordering::SeqCst),
            0,
            "built before its first use"
        );

        assert_eq!(*clone, 100);
        assert_eq!(*client, 100, "a clone sees the one client");
        assert!(client.is_built());
        assert_eq!(builds.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn loading_the_clients_builds_none_of_them() {
        let clients = AwsClients::for_emulator("http://127.0.0.1:9").await;
        let built = [
            clients.dynamodb.is_built(),
            clients.sqs.is_built(),
            clients.s3.is_built(),
            clients.secrets.is_built(),
            clients.ses.is_built(),
            clients.logs.is_built(),
            clients.sts.is_built(),
        ];
        assert_eq!(built, [false; 7]);

        let region = clients.dynamodb.config().region().map(|r| r.to_string());
        assert_eq!(region.as_deref(), Some("us-east-1"));
        assert!(clients.dynamodb.is_built());
        assert!(!clients.sqs.is_built(), "only the client used is built");
    }
}
