//! AWS SDK clients, built once per container from one shared configuration.

use aws_config::{BehaviorVersion, SdkConfig};

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
}

impl AwsClients {
    /// Loads the standard AWS configuration (region, credentials, `AWS_ENDPOINT_URL`), with
    /// `endpoint_url` overriding the endpoint when given.
    pub async fn load(endpoint_url: Option<&str>) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
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
        }
    }
}
