//! Deploying the template into the emulator through the CloudFormation API.

use crate::template::{Template, TemplateError};
use aws_sdk_cloudformation::types::{Capability, StackStatus};
use rand::distr::{Alphanumeric, SampleString};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// Deploying failed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// CloudFormation or Secrets Manager refused.
    #[error("{0}")]
    Aws(String),
    /// The stack did not reach CREATE_COMPLETE.
    #[error("stack {name} ended in {status}: {reason}")]
    Failed {
        /// The stack.
        name: String,
        /// Its final status.
        status: String,
        /// CloudFormation's reason.
        reason: String,
    },
    /// The template cannot be hosted locally.
    #[error(transparent)]
    Template(#[from] TemplateError),
}

/// A deployed stack: physical ids by logical id, and the functions' resolved environment.
#[derive(Clone, Debug)]
pub struct Deployment {
    /// The emulator's endpoint.
    pub endpoint: String,
    /// The stack's name.
    pub stack_name: String,
    /// Physical id (table name, queue URL, bucket name, secret ARN) by logical id.
    pub physical_ids: HashMap<String, String>,
    /// `Globals.Function.Environment.Variables`, resolved.
    pub environment: BTreeMap<String, String>,
}

fn aws<E: std::fmt::Display>(err: E) -> DeployError {
    DeployError::Aws(err.to_string())
}

/// Creates the stack `stack_name` from `template` and waits for it; then creates the secrets moto's
/// CloudFormation skips (with random values, as `GenerateSecretString` would).
pub async fn deploy(
    endpoint: &str,
    template: &Template,
    stack_name: &str,
) -> Result<Deployment, DeployError> {
    let sdk = crate::sdk_config(endpoint).await;
    let cloudformation = aws_sdk_cloudformation::Client::new(&sdk);
    cloudformation
        .create_stack()
        .stack_name(stack_name)
        .template_body(&template.body)
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityAutoExpand)
        .send()
        .await
        .map_err(|e| aws(aws_sdk_cloudformation::Error::from(e)))?;

    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let stacks = cloudformation
            .describe_stacks()
            .stack_name(stack_name)
            .send()
            .await
            .map_err(|e| aws(aws_sdk_cloudformation::Error::from(e)))?;
        let stack = stacks
            .stacks()
            .first()
            .ok_or_else(|| aws("stack vanished"))?;
        match stack.stack_status() {
            Some(StackStatus::CreateComplete) => break,
            Some(StackStatus::CreateInProgress) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => {
                return Err(DeployError::Failed {
                    name: stack_name.to_owned(),
                    status: format!("{other:?}"),
                    reason: stack.stack_status_reason().unwrap_or_default().to_owned(),
                })
            }
        }
    }

    let resources = cloudformation
        .describe_stack_resources()
        .stack_name(stack_name)
        .send()
        .await
        .map_err(|e| aws(aws_sdk_cloudformation::Error::from(e)))?;
    let mut physical_ids: HashMap<String, String> = resources
        .stack_resources()
        .iter()
        .filter_map(|r| {
            Some((
                r.logical_resource_id()?.to_owned(),
                r.physical_resource_id()?.to_owned(),
            ))
        })
        .collect();

    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    for logical_id in &template.secrets {
        if physical_ids.contains_key(logical_id) {
            continue;
        }
        let created = secrets
            .create_secret()
            .name(format!("{stack_name}-{logical_id}"))
            .secret_string(Alphanumeric.sample_string(&mut rand::rng(), 64))
            .send()
            .await
            .map_err(|e| aws(aws_sdk_secretsmanager::Error::from(e)))?;
        physical_ids.insert(
            logical_id.clone(),
            created.arn().unwrap_or_default().to_owned(),
        );
    }

    let environment = template.resolve_environment(&physical_ids)?;
    Ok(Deployment {
        endpoint: endpoint.to_owned(),
        stack_name: stack_name.to_owned(),
        physical_ids,
        environment,
    })
}
