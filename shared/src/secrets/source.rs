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
    client: Client,
    secret_id: String,
    stage: Option<&'static str>,
    refresh: Duration,
    cached: Arc<Mutex<Option<(Instant, SecretValue)>>>,
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
    pub fn new(client: Client, secret_id: impl Into<String>, refresh: Duration) -> Self {
        Self {
            client,
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
    pub async fn get_optional(&self) -> Result<Option<SecretValue>, aws_sdk_secretsmanager::Error> {
        match self.get().await {
            Ok(value) => Ok(Some(value)),
            Err(aws_sdk_secretsmanager::Error::ResourceNotFoundException(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// The current value, from cache when fresh.
    pub async fn get(&self) -> Result<SecretValue, aws_sdk_secretsmanager::Error> {
        let mut cached = self.cached.lock().await;
        if let Some((read_at, value)) = cached.as_ref() {
            if read_at.elapsed() < self.refresh {
                return Ok(value.clone());
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
        let value = SecretValue::new(output.secret_string().unwrap_or_default());
        *cached = Some((Instant::now(), value.clone()));
        Ok(value)
    }
}
