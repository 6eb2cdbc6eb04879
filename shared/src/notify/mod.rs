//! Notifiers: one per destination kind behind one call, each answering "sent" (with the message
//! to edit later, where the kind can) or a failure that says whether retrying can help.

pub mod content;
pub mod digest;
pub mod email;
pub mod slack;
pub mod smtp;
pub mod teams;

pub use content::{Notice, Shown};

use crate::domain::notification::{Destination, RemoteMessage, Target};
use crate::domain::parse_retry_after;
use crate::sinks::webhook::DeliveryResult;
use std::time::Duration;

/// A notification the provider took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// What was done (`posted`, `edited and replied in thread`, …), for the ledger.
    pub action: &'static str,
    /// The message later news edits or threads onto.
    pub remote: Option<RemoteMessage>,
    /// The provider only accepted it (Teams): it may still fail to show.
    pub accepted_only: bool,
    /// The provider's HTTP status.
    pub status_code: Option<u16>,
    /// How long the provider took.
    pub latency_ms: Option<u64>,
}

impl Delivered {
    /// How the ledger records it: `accepted` when the provider only took it, `sent` otherwise.
    pub fn status(&self) -> crate::domain::notification::NotificationStatus {
        use crate::domain::notification::NotificationStatus;
        if self.accepted_only {
            NotificationStatus::Accepted
        } else {
            NotificationStatus::Sent
        }
    }

    fn of(action: &'static str, remote: Option<RemoteMessage>) -> Self {
        Self {
            action,
            remote,
            accepted_only: false,
            status_code: None,
            latency_ms: None,
        }
    }

    fn sent(action: &'static str, result: &DeliveryResult, remote: Option<RemoteMessage>) -> Self {
        Self {
            status_code: Some(result.status_code),
            latency_ms: Some(result.latency_ms),
            ..Self::of(action, remote)
        }
    }
}

/// A notification the provider did not take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendFailure {
    /// Whether trying again can help (throttling, the provider's own errors, no answer).
    pub retryable: bool,
    /// How long the provider asked us to wait.
    pub retry_after: Option<Duration>,
    /// What went wrong, for the ledger (never a secret).
    pub reason: String,
    /// The provider's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// How long it took.
    pub latency_ms: Option<u64>,
}

impl SendFailure {
    /// A failure retrying cannot fix.
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self {
            retryable: false,
            retry_after: None,
            reason: reason.into(),
            status_code: None,
            latency_ms: None,
        }
    }

    /// A failed HTTP exchange: 408, 429 and 5xx (and no answer) are retryable, honouring
    /// `Retry-After`; any other status is permanent. `what` prefixes the provider's answer.
    pub fn from_http(result: &DeliveryResult, what: &str) -> Self {
        let status = result.status_code;
        let retryable = matches!(status, 0 | 408 | 429 | 500..=599);
        let answer = result.response_excerpt.trim();
        let reason = match (&result.failure, answer.is_empty()) {
            (Some(failure), true) => format!("{what}: {}", failure.describe()),
            (_, false) => format!(
                "{what}: HTTP {status}: {}",
                crate::text::truncated(answer, 300)
            ),
            (None, true) => format!("{what}: HTTP {status}"),
        };
        Self {
            retryable,
            retry_after: result
                .retry_after
                .as_deref()
                .and_then(|v| parse_retry_after(v, chrono::Utc::now())),
            reason,
            status_code: (status != 0).then_some(status),
            latency_ms: Some(result.latency_ms),
        }
    }
}

/// What sending needs besides the destination: clients and settings.
#[derive(Debug)]
pub struct Channels<'a> {
    /// The pooled, SSRF-guarded HTTP client.
    pub sender: &'a crate::sinks::webhook::WebhookSender,
    /// SES v2.
    pub ses: &'a aws_sdk_sesv2::Client,
    /// The Slack Web API base URL.
    pub slack_api: &'a str,
    /// The verified SES sender address, if email is configured.
    pub email_from: Option<&'a str>,
    /// Which addresses outgoing connections may reach (SMTP servers).
    pub url_policy: crate::domain::UrlPolicy,
}

/// Sends `notice` to `destination` whose credential opened to `secret` (`None` for email),
/// editing or threading onto `remote` where the kind can. `message_id` names an email.
pub async fn deliver(
    channels: &Channels<'_>,
    destination: &Destination,
    secret: Option<&str>,
    notice: &Notice,
    remote: Option<&RemoteMessage>,
    message_id: &str,
) -> Result<Delivered, SendFailure> {
    let secret =
        || secret.ok_or_else(|| SendFailure::permanent("the destination's secret is missing"));
    match &destination.target {
        Target::SlackWebhook { .. } => {
            slack::send_to_webhook(channels.sender, secret()?, notice).await
        }
        Target::SlackBot { channel, .. } => {
            let bot = slack::SlackBot {
                sender: channels.sender,
                api_base: channels.slack_api,
                token: secret()?,
            };
            bot.send(channel, notice, remote).await
        }
        Target::Teams { .. } => teams::send(channels.sender, secret()?, notice).await,
        Target::Email { to } => {
            let from = channels.email_from.ok_or_else(|| {
                SendFailure::permanent(
                    "email is not configured: set FAULTLINE_EMAIL_FROM to a verified SES identity",
                )
            })?;
            email::send(channels.ses, from, to, notice, message_id, remote).await
        }
        Target::Smtp {
            host,
            port,
            security,
            username,
            from,
            to,
            ..
        } => {
            let server = smtp::SmtpServer {
                host,
                port: *port,
                security: *security,
                login: username.as_deref().zip(secret().ok()),
            };
            let raw = email::mime(
                from,
                to,
                notice,
                message_id,
                remote.map(|r| r.channel.as_str()),
            )
            .map_err(|reason| {
                SendFailure::permanent(format!("the message could not be built: {reason}"))
            })?;
            let latency = smtp::send_raw(&server, &channels.url_policy, from, to, &raw).await?;
            let root = remote.cloned().unwrap_or(RemoteMessage {
                channel: message_id.to_owned(),
                ts: String::new(),
            });
            Ok(smtp::delivered(latency, root))
        }
        Target::User { .. } => Err(SendFailure::permanent(
            "a user destination is sent as email to the user's address (resolve it first)",
        )),
    }
}
