use crate::aws::LazyClient;
use aws_sdk_secretsmanager::Client;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// A secret's value. Neither `Debug` nor `Display` shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a value read from somewhere trusted.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(..)")
    }
}

/// Reads a Secrets Manager secret once per container and again after `refresh`, so a rotated
/// secret is picked up without a cold start and without a call per request.
#[derive(Clone)]
pub struct SecretsSource {
    client: LazyClient<Client>,
    secret_id: String,
    stage: Option<&'static str>,
    refresh: Duration,
    cached: Arc<Mutex<Option<(Instant, SecretVersion)>>>,
}

/// A secret's value and when that version was created.
#[derive(Clone, Debug)]
pub struct SecretVersion {
    /// The value.
    pub value: SecretValue,
    /// When Secrets Manager created this version (unix seconds), when it says.
    pub created_at: Option<i64>,
}

impl fmt::Debug for SecretsSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretsSource")
            .field("secret_id", &self.secret_id)
            .finish_non_exhaustive()
    }
}

impl SecretsSource {
    /// A cached reader of one secret.
    pub fn new(
        client: impl Into<LazyClient<Client>>,
        secret_id: impl Into<String>,
        refresh: Duration,
    ) -> Self {
        Self {
            client: client.into(),
            secret_id: secret_id.into(),
            stage: None,
            refresh,
            cached: Arc::new(Mutex::new(None)),
        }
    }

    /// A reader of the same secret's previous version (`AWSPREVIOUS`), kept during a rotation.
    pub fn previous(&self) -> Self {
        Self {
            stage: Some("AWSPREVIOUS"),
            cached: Arc::new(Mutex::new(None)),
            ..self.clone()
        }
    }

    /// The previous version, or `None` when the secret was never rotated.
    pub async fn get_optional(
        &self,
    ) -> Result<Option<SecretVersion>, aws_sdk_secretsmanager::Error> {
        match self.version().await {
            Ok(version) => Ok(Some(version)),
            Err(aws_sdk_secretsmanager::Error::ResourceNotFoundException(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// The current value, from cache when fresh.
    pub async fn get(&self) -> Result<SecretValue, aws_sdk_secretsmanager::Error> {
        Ok(self.version().await?.value)
    }

    /// The current value and its creation time, from cache when fresh.
    pub async fn version(&self) -> Result<SecretVersion, aws_sdk_secretsmanager::Error> {
        let mut cached = self.cached.lock().await;
        if let Some((read_at, version)) = cached.as_ref() {
            if read_at.elapsed() < self.refresh {
                return Ok(version.clone());
            }
        }
        let output = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .set_version_stage(self.stage.map(str::to_owned))
            .send()
            .await
            .map_err(aws_sdk_secretsmanager::Error::from)?;
        let version = SecretVersion {
            value: SecretValue::new(output.secret_string().unwrap_or_default()),
            created_at: output.created_date().map(|at| at.secs()),
        };
        *cached = Some((Instant::now(), version.clone()));
        Ok(version)
    }
}
