//! The local AWS: starts moto server (the emulator that speaks the real DynamoDB, SQS, S3, Secrets
//! Manager, CloudWatch Logs and CloudFormation APIs), deploys `template.yaml` into it through
//! CloudFormation, and fills the few gaps moto leaves, so local resources are exactly the
//! template's.

mod deploy;
mod process;
pub mod streams;
mod template;

pub use deploy::{deploy, DeployError, Deployment};
pub use process::{free_port, shared_emulator, Emulator, EmulatorError};
pub use template::{FunctionSpec, Template, TemplateError, Trigger};

/// The region everything local lives in.
pub const REGION: &str = "us-east-1";

/// `template.yaml` at the workspace root.
pub fn default_template_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml")
}

/// An AWS configuration pointing at the emulator with its test credentials.
pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(REGION))
        .credentials_provider(aws_sdk_cloudformation::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "faultline-emulator",
        ))
        .load()
        .await
}
