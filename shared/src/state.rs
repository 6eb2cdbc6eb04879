//! What a function builds once per container and passes by reference to every invocation.

use crate::archive::RawArchive;
use crate::auth::jwt::TokenKeys;
use crate::auth::Authenticator;
use crate::aws::{AwsClients, LazyClient};
use crate::cache::TtlCache;
use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::domain::notification::Destination;
use crate::domain::{DestinationId, Integration, IntegrationId};
use crate::exports::ExportBucket;
use crate::queue::{DeadLetters, DeliveryQueue, EventPublisher, ExportQueue, NotifyQueue};
use crate::secrets::{SecretCipher, SecretsSource};
use crate::sinks::webhook::WebhookSender;
use crate::store::Store;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A key secret a function uses, checked when it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySecret {
    /// The data key (seals stored secrets).
    Data,
    /// The token signing key (signs and verifies access tokens).
    Token,
}

/// Shared per-container state: configuration, clients and caches. A handle: cloning it (the
/// router hands every route and middleware its own clone) copies one reference, and its parts
/// are read through it ([`StateParts`]). Changing a part through one handle changes that handle's
/// own copy (copy on write), as when every clone held its own state.
#[derive(Clone, Debug)]
pub struct AppState(Arc<StateParts>);

/// What an [`AppState`] holds.
#[derive(Clone, Debug)]
pub struct StateParts {
    /// Settings.
    pub config: Config,
    /// The DynamoDB repositories.
    pub store: Store,
    /// Publishes domain events.
    pub events: EventPublisher,
    /// Enqueues delivery tasks.
    pub deliveries: DeliveryQueue,
    /// The dead-letter queues, per tenant.
    pub dead_letters: DeadLetters,
    /// Enqueues notification tasks.
    pub notifications: NotifyQueue,
    /// SES v2, for email notifications.
    pub ses: LazyClient<aws_sdk_sesv2::Client>,
    /// The queue of export tasks.
    pub exports: ExportQueue,
    /// The bucket export files are written to.
    pub export_bucket: ExportBucket,
    /// CloudWatch Logs, for the log scan.
    pub logs: LazyClient<aws_sdk_cloudwatchlogs::Client>,
    /// STS, for log sources read through a role in another account.
    pub sts: LazyClient<aws_sdk_sts::Client>,
    /// Archives raw inbound requests.
    pub archive: RawArchive,
    /// Checks API keys and access tokens.
    pub authenticator: Authenticator,
    /// Signs access tokens (the same keys, and cache, the authenticator verifies with).
    pub tokens: TokenKeys,
    /// Sends outgoing webhooks (one connection pool per container), built on first use so a
    /// function that never sends builds no HTTP client.
    sender: Arc<OnceLock<WebhookSender>>,
    /// Where "now" comes from.
    pub clock: Clock,
    /// Integrations read by the webhook functions, trusted for [`Self::INTEGRATION_REFRESH`].
    pub integrations: TtlCache<IntegrationId, Integration>,
    /// Destinations read by `notify`, trusted for [`Self::DESTINATION_REFRESH`].
    pub destinations: TtlCache<DestinationId, Destination>,
    data_key: SecretsSource,
}

impl Deref for AppState {
    type Target = StateParts;

    fn deref(&self) -> &StateParts {
        &self.0
    }
}

impl DerefMut for AppState {
    /// This handle's parts, copied first when other handles share them.
    fn deref_mut(&mut self) -> &mut StateParts {
        Arc::make_mut(&mut self.0)
    }
}

impl AppState {
    /// How long a secret read from Secrets Manager is trusted before it is read again.
    pub const SECRET_REFRESH: Duration = Duration::from_secs(300);

    /// How long a webhook function keeps an integration it read. Integrations do not change once
    /// created (an update route would have to make its change reach warm containers), so this
    /// bounds memory, not staleness.
    pub const INTEGRATION_REFRESH: Duration = Duration::from_secs(30);

    /// How long `notify` keeps a destination it read: a change (disabled, deleted, a new URL)
    /// reaches warm containers within this.
    pub const DESTINATION_REFRESH: Duration = Duration::from_secs(15);

    /// Builds the state from the process environment (what `main` does in Lambda), with no I/O:
    /// the function polls for its first request at once (Lambda's Init Duration stays at the
    /// runtime's floor) while the key secrets it `uses` are read alongside (their cache is warm
    /// for the first request). A key secret that cannot be read, or is too short to be a key,
    /// stops the process with a message naming the secret: Lambda reports the exit and starts
    /// afresh on the next request. Nothing is ever sealed or signed with such a key meanwhile,
    /// since every use of a key checks it. A function reads only the key secrets it uses (its
    /// role may read no others). Must run inside a Tokio runtime.
    pub async fn from_env(uses: &[KeySecret]) -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let clients = AwsClients::load(config.aws_endpoint_url.as_deref()).await;
        let state = Self::new(config, &clients, Clock::system());
        state.check_keys_alongside(uses);
        Ok(state)
    }

    /// Reads the key secrets the function `uses` on a background task; when one is refused,
    /// logs why and exits the process (status 1).
    fn check_keys_alongside(&self, uses: &[KeySecret]) {
        if uses.is_empty() {
            return;
        }
        let state = self.clone();
        let uses = uses.to_vec();
        tokio::spawn(async move {
            // The runtime's first poll goes out first (a refused key is still reported within
            // moments): on a busy host the secret read could otherwise finish, and stop the
            // process, before the function ever asked for work.
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            if let Err(err) = state.check_these_keys(&uses).await {
                tracing::error!(error = %err, "refusing to run with this key secret");
                std::process::exit(1);
            }
        });
    }

    /// Reads the data key and the token signing key once, refusing material that is not a key.
    pub async fn check_keys(&self) -> Result<(), ConfigError> {
        self.check_these_keys(&[KeySecret::Data, KeySecret::Token])
            .await
    }

    async fn check_these_keys(&self, uses: &[KeySecret]) -> Result<(), ConfigError> {
        let refused = |name: &'static str, secret: &str, err: crate::secrets::KeyError| {
            ConfigError::Invalid {
                name,
                reason: format!("secret `{secret}`: {err}"),
            }
        };
        if uses.contains(&KeySecret::Data) {
            self.cipher().await.map_err(|e| {
                refused("FAULTLINE_DATA_KEY_SECRET", &self.config.data_key_secret, e)
            })?;
        }
        if uses.contains(&KeySecret::Token) {
            self.tokens.signing_key().await.map_err(|e| {
                refused(
                    "FAULTLINE_TOKEN_KEY_SECRET",
                    &self.config.token_key_secret,
                    e,
                )
            })?;
        }
        Ok(())
    }

    /// Builds the state from explicit parts (the local stack and tests).
    pub fn new(config: Config, clients: &AwsClients, clock: Clock) -> Self {
        let secret =
            |id: &str| SecretsSource::new(clients.secrets.clone(), id, Self::SECRET_REFRESH);
        let store = Store::new(clients.dynamodb.clone(), &config.table);
        let rotation_grace =
            config.token_lifetime.to_std().unwrap_or_default() + Self::SECRET_REFRESH;
        let tokens = TokenKeys::new(secret(&config.token_key_secret), rotation_grace);
        Self(Arc::new(StateParts {
            events: EventPublisher::new(clients.sqs.clone(), &config.events_queue_url),
            deliveries: DeliveryQueue::new(
                clients.sqs.clone(),
                &config.deliveries_queue_url,
                &config.retries_queue_url,
            ),
            dead_letters: DeadLetters::new(clients.sqs.clone(), config.dead_letter_queues.clone()),
            notifications: NotifyQueue::new(
                clients.sqs.clone(),
                config.notify_queue_url.clone(),
                config.notify_dead_letter_url.clone(),
            ),
            exports: ExportQueue::new(clients.sqs.clone(), config.export_queue_url.clone()),
            export_bucket: ExportBucket::new(clients.s3.clone(), config.exports_bucket.clone()),
            ses: clients.ses.clone(),
            logs: clients.logs.clone(),
            sts: clients.sts.clone(),
            archive: RawArchive::new(clients.s3.clone(), &config.archive_bucket),
            authenticator: Authenticator::new(
                store.clone(),
                secret(&config.admin_key_secret),
                tokens.clone(),
                clock.clone(),
            ),
            tokens,
            sender: Arc::new(OnceLock::new()),
            integrations: TtlCache::new(Self::INTEGRATION_REFRESH, 10_000),
            destinations: TtlCache::new(Self::DESTINATION_REFRESH, 10_000),
            data_key: secret(&config.data_key_secret),
            store,
            config,
            clock,
        }))
    }

    /// The webhook sender, built on first use.
    pub fn sender(&self) -> &WebhookSender {
        self.sender
            .get_or_init(|| WebhookSender::new(self.config.url_policy()))
    }

    /// This state with another sender (tests of the timeout path use a short timeout).
    pub fn with_sender(mut self, sender: WebhookSender) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(sender);
        self.sender = Arc::new(cell);
        self
    }

    /// The cipher for stored secrets, under the current data key.
    pub async fn cipher(&self) -> Result<SecretCipher, crate::secrets::KeyError> {
        let material = self.data_key.get().await?;
        SecretCipher::from_key_material(material.expose().as_bytes())
    }
}
