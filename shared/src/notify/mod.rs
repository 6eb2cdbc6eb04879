//! Notifiers: one per destination kind behind one call, each answering "sent" (with the message
//! to edit later, where the kind can) or a failure that says whether retrying can help.

pub mod content;
pub mod digest;
pub mod email;
pub mod github;
pub mod jira;
pub mod pagerduty;
pub mod slack;
pub mod smtp;
pub mod teams;
pub mod tickets;

pub use content::{Notice, Shown};

use crate::domain::notification::{Destination, RemoteMessage, Target, Ticket, TicketStep};
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
    /// The ticket or page that stands for the incident (PagerDuty, Jira, GitHub).
    pub ticket: Option<Ticket>,
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

    /// A notification that needed no provider call (what was done says why).
    pub fn of(action: &'static str, remote: Option<RemoteMessage>) -> Self {
        Self {
            action,
            remote,
            ticket: None,
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
    /// PagerDuty's Events API base URL.
    pub pagerduty_events: &'a str,
}

/// What a message continues: the thread or message it edits, the ticket it keeps in step.
#[derive(Clone, Copy, Debug, Default)]
pub struct Continuing<'a> {
    /// The message to edit or thread onto (Slack bot, email).
    pub remote: Option<&'a RemoteMessage>,
    /// The ticket or page (PagerDuty, Jira, GitHub) and the step it needs.
    pub ticket: Option<&'a Ticket>,
    /// What a ticket destination needs (`Open` when nothing was sent yet).
    pub step: Option<TicketStep>,
    /// An earlier attempt may have created a ticket it did not record: look before creating.
    pub recover: bool,
}

/// Sends `notice` to `destination` whose credential opened to `secret` (`None` for email),
/// continuing what `continuing` names where the kind can. `message_id` names an email.
pub async fn deliver(
    channels: &Channels<'_>,
    destination: &Destination,
    secret: Option<&str>,
    notice: &Notice,
    continuing: Continuing<'_>,
    message_id: &str,
) -> Result<Delivered, SendFailure> {
    let remote = continuing.remote;
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
        Target::Pagerduty { .. } | Target::Jira(_) | Target::Github(_) => {
            let incident_id = crate::domain::IncidentId::parse(&notice.incident.id)
                .ok_or_else(|| SendFailure::permanent("a ticket needs an incident"))?;
            let job = tickets::TicketJob {
                notice,
                incident_id: &incident_id,
                step: continuing.step.unwrap_or(TicketStep::Open),
                ticket: continuing.ticket,
                recover: continuing.recover,
            };
            send_ticket(channels, destination, secret()?, &job).await
        }
    }
}

/// Tests a ticket destination without opening a ticket: Jira and GitHub check the token reaches
/// the project or repository; PagerDuty triggers and at once resolves a plainly-marked alert.
pub async fn test_ticket_destination(
    channels: &Channels<'_>,
    destination: &Destination,
    secret: &str,
    notice: &Notice,
) -> Result<Delivered, SendFailure> {
    match &destination.target {
        Target::Pagerduty { .. } => {
            let id = destination.id.as_str();
            pagerduty::send_test(
                channels.sender,
                channels.pagerduty_events,
                secret,
                notice,
                id,
            )
            .await
        }
        Target::Jira(project) => {
            jira::JiraClient::new(channels.sender, project, secret)
                .check()
                .await
        }
        Target::Github(repository) => {
            github::GithubClient::new(channels.sender, repository, secret)
                .check()
                .await
        }
        _ => Err(SendFailure::permanent("not a ticket destination")),
    }
}

/// Keeps the ticket or page of a PagerDuty, Jira or GitHub destination in step. When an earlier
/// attempt may have created a ticket it never recorded, the ticket is looked for first (by its
/// identity label and marker) and, when found, adopted and brought up to date.
async fn send_ticket(
    channels: &Channels<'_>,
    destination: &Destination,
    secret: &str,
    job: &tickets::TicketJob<'_>,
) -> Result<Delivered, SendFailure> {
    let mut job = *job;
    let recovered;
    if job.ticket.is_none() && job.recover {
        recovered = match &destination.target {
            Target::Jira(project) => {
                jira::JiraClient::new(channels.sender, project, secret)
                    .find(&job, None)
                    .await?
            }
            Target::Github(repository) => {
                github::GithubClient::new(channels.sender, repository, secret)
                    .find(&job)
                    .await?
            }
            // The `dedup_key` makes PagerDuty's events idempotent: nothing to look for.
            _ => None,
        };
        let incident = &job.notice.incident;
        if let Some(found) = &recovered {
            // It was opened showing the incident open: bring it from there.
            job.ticket = Some(found);
            job.step = TicketStep::between(
                Some((crate::domain::IncidentStatus::Open, incident.severity)),
                incident.status,
                incident.severity,
            );
            if job.step == TicketStep::Nothing {
                return Ok(tickets::found_again(found.clone()));
            }
        } else if job.step == TicketStep::Resolve
            && !matches!(destination.target, Target::Pagerduty { .. })
        {
            return Ok(Delivered::of(
                "nothing to close: no ticket was opened for the incident",
                None,
            ));
        } else if job.step != TicketStep::Resolve {
            job.step = TicketStep::Open;
        }
        job.recover = false;
    }
    match &destination.target {
        Target::Pagerduty { .. } => {
            pagerduty::send(channels.sender, channels.pagerduty_events, secret, &job).await
        }
        Target::Jira(project) => {
            jira::JiraClient::new(channels.sender, project, secret)
                .send(&job)
                .await
        }
        Target::Github(repository) => {
            github::GithubClient::new(channels.sender, repository, secret)
                .send(&job)
                .await
        }
        _ => Err(SendFailure::permanent("not a ticket destination")),
    }
}
