//! Where notifications go: a Slack channel, a Teams channel, mailboxes, PagerDuty, a Jira project
//! or a GitHub repository.

use super::ticket::{GithubRepository, JiraProject};
use crate::domain::{DestinationId, TenantId, UserId};
use crate::secrets::SealedSecret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A place people read: one Slack channel, one Teams channel, or a list of mailboxes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Destination {
    /// Its id (`dst_…`).
    pub id: DestinationId,
    /// Its owner.
    pub tenant_id: TenantId,
    /// What people call it, e.g. `#payments-oncall`.
    pub name: String,
    /// How it is reached; its secret sealed.
    pub target: Target,
    /// A disabled destination receives nothing.
    pub enabled: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

/// How a destination is reached.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// A Slack incoming webhook: a fixed channel, messages cannot be edited later.
    SlackWebhook {
        /// The `https://hooks.slack.com/services/…` URL (it is the credential), sealed.
        url: SealedSecret,
        /// The URL masked for people.
        masked: String,
    },
    /// A Slack app's bot token (`chat:write`) posting to one channel: one message per incident,
    /// edited in place, with later news in its thread.
    SlackBot {
        /// The `xoxb-…` token, sealed.
        token: SealedSecret,
        /// The token masked for people.
        masked: String,
        /// The channel ID (`C…`, `G…`).
        channel: String,
    },
    /// A Microsoft Teams Workflows URL ("When a Teams webhook request is received").
    Teams {
        /// The workflow URL (its `sig` parameter is the credential), sealed.
        url: SealedSecret,
        /// The URL masked for people.
        masked: String,
    },
    /// Mailboxes, sent through Amazon SES.
    Email {
        /// Recipients.
        to: Vec<String>,
    },
    /// Mailboxes, sent through the team's own SMTP server.
    Smtp {
        /// Server host name.
        host: String,
        /// Server port (587 for STARTTLS, 465 for TLS).
        port: u16,
        /// How the connection is secured.
        security: SmtpSecurity,
        /// The login name, if the server wants one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username: Option<String>,
        /// The password, sealed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<SealedSecret>,
        /// The sender address.
        from: String,
        /// Recipients.
        to: Vec<String>,
    },
    /// A person: email to their address, as their notification preferences say (least
    /// severity, quiet hours, digest only).
    User {
        /// Who.
        user_id: UserId,
    },
    /// A PagerDuty service's Events API v2 integration: one alert per incident (its `dedup_key`),
    /// acknowledged and resolved with it.
    Pagerduty {
        /// The integration's routing key, sealed.
        routing_key: SealedSecret,
        /// The key masked for people.
        masked: String,
    },
    /// A Jira project: one issue per incident, commented on, transitioned when it resolves.
    Jira(JiraProject),
    /// A GitHub repository: one issue per incident, commented on, closed when it resolves.
    Github(GithubRepository),
}

/// How an SMTP connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No TLS: only in the local stack (never outside local mode).
    None,
}

impl SmtpSecurity {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starttls => "starttls",
            Self::Tls => "tls",
            Self::None => "none",
        }
    }

    /// Parses the wire name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Starttls, Self::Tls, Self::None]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// A destination kind's wire name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationKind {
    /// [`Target::SlackWebhook`].
    SlackWebhook,
    /// [`Target::SlackBot`].
    SlackBot,
    /// [`Target::Teams`].
    Teams,
    /// [`Target::Email`].
    Email,
    /// [`Target::User`].
    User,
    /// [`Target::Smtp`].
    Smtp,
    /// [`Target::Pagerduty`].
    Pagerduty,
    /// [`Target::Jira`].
    Jira,
    /// [`Target::Github`].
    Github,
}

impl DestinationKind {
    /// Every kind, for error messages.
    pub const NAMES: &'static str =
        "slack_webhook, slack_bot, teams, email, smtp, user, pagerduty, jira, github";

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SlackWebhook => "slack_webhook",
            Self::SlackBot => "slack_bot",
            Self::Teams => "teams",
            Self::Email => "email",
            Self::User => "user",
            Self::Smtp => "smtp",
            Self::Pagerduty => "pagerduty",
            Self::Jira => "jira",
            Self::Github => "github",
        }
    }

    /// Whether destinations of this kind keep one ticket or page per incident.
    pub fn keeps_tickets(self) -> bool {
        matches!(self, Self::Pagerduty | Self::Jira | Self::Github)
    }

    /// Parses the wire name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::SlackWebhook,
            Self::SlackBot,
            Self::Teams,
            Self::Email,
            Self::Smtp,
            Self::User,
            Self::Pagerduty,
            Self::Jira,
            Self::Github,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

impl Target {
    /// Its kind.
    pub fn kind(&self) -> DestinationKind {
        match self {
            Self::SlackWebhook { .. } => DestinationKind::SlackWebhook,
            Self::SlackBot { .. } => DestinationKind::SlackBot,
            Self::Teams { .. } => DestinationKind::Teams,
            Self::Email { .. } => DestinationKind::Email,
            Self::User { .. } => DestinationKind::User,
            Self::Smtp { .. } => DestinationKind::Smtp,
            Self::Pagerduty { .. } => DestinationKind::Pagerduty,
            Self::Jira(_) => DestinationKind::Jira,
            Self::Github(_) => DestinationKind::Github,
        }
    }

    /// Whether it keeps one ticket or page per incident (PagerDuty, Jira, GitHub), in step with
    /// the incident both ways.
    pub fn keeps_tickets(&self) -> bool {
        self.kind().keeps_tickets()
    }

    /// Whether a message once sent can be changed later (only a bot's can).
    pub fn edits_in_place(&self) -> bool {
        matches!(self, Self::SlackBot { .. })
    }

    /// The sealed credential and its masked form, if the kind has one.
    pub fn secret(&self) -> Option<(&SealedSecret, &str)> {
        match self {
            Self::SlackWebhook { url, masked } | Self::Teams { url, masked } => Some((url, masked)),
            Self::SlackBot { token, masked, .. } => Some((token, masked)),
            Self::Pagerduty {
                routing_key,
                masked,
            } => Some((routing_key, masked)),
            Self::Jira(project) => Some((&project.token, &project.masked)),
            Self::Github(repository) => Some((&repository.token, &repository.masked)),
            Self::Smtp {
                password: Some(password),
                ..
            } => Some((password, "****")),
            Self::Email { .. } | Self::User { .. } | Self::Smtp { .. } => None,
        }
    }
}

impl Destination {
    /// The sealing context of destination `id`'s credential.
    pub fn secret_context_for(tenant_id: &TenantId, id: &DestinationId) -> String {
        format!("destination/{tenant_id}/{id}")
    }

    /// The sealing context of this destination's credential.
    pub fn secret_context(&self) -> String {
        Self::secret_context_for(&self.tenant_id, &self.id)
    }
}

/// A URL masked for people: scheme and host, then `/****`.
pub fn mask_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => format!(
            "{}://{}/****",
            parsed.scheme(),
            parsed.host_str().unwrap_or_default()
        ),
        Err(_) => "****".into(),
    }
}

/// A token masked for people: its first five characters (`xoxb-`), then `****`.
pub fn mask_token(token: &str) -> String {
    format!("{}****", token.chars().take(5).collect::<String>())
}

/// Hosts Slack's incoming webhooks live on.
const SLACK_HOSTS: &[&str] = &["hooks.slack.com", "hooks.slack-gov.com"];
/// Host suffixes of Teams Workflows URLs (Logic Apps and Power Platform).
const TEAMS_HOST_SUFFIXES: &[&str] = &[".logic.azure.com", ".powerplatform.com"];

/// Checks that a Slack webhook or Teams workflow URL is one of the provider's (https, on its
/// hosts): a credential pasted for one provider is never sent anywhere else. The local stack
/// skips this, for its stubs.
pub fn check_provider_url(kind: DestinationKind, url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("`url` is not a URL: {e}"))?;
    let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    let (expected, wanted) = match kind {
        DestinationKind::SlackWebhook => (
            SLACK_HOSTS.contains(&host.as_str()),
            "an https://hooks.slack.com/services/… incoming webhook URL",
        ),
        _ => (
            TEAMS_HOST_SUFFIXES
                .iter()
                .any(|suffix| host.ends_with(suffix)),
            "a Teams Workflows URL (https://….logic.azure.com/… or https://….powerplatform.com/…)",
        ),
    };
    if parsed.scheme() == "https" && expected {
        Ok(())
    } else {
        Err(format!("`url` must be {wanted}"))
    }
}

/// Checks an email address the way SES will: one `@`, a dotted domain, no spaces or angle
/// brackets (a display name is not accepted here), at most 254 characters.
pub fn check_email_address(address: &str) -> Result<(), String> {
    let valid = address.len() <= 254
        && !address
            .chars()
            .any(|c| c.is_whitespace() || "<>,;\"".contains(c))
        && matches!(address.split_once('@'), Some((local, domain))
            if !local.is_empty() && !domain.contains('@') && domain.contains('.')
                && !domain.starts_with('.') && !domain.ends_with('.'));
    if valid {
        Ok(())
    } else {
        Err(format!("`{address}` is not an email address"))
    }
}

/// Checks a Slack channel ID: `C`, `G` or `D` then 8 to 12 upper-case letters and digits. A
/// channel *name* is refused, because `chat.update` needs the ID and names change.
pub fn check_slack_channel(channel: &str) -> Result<(), String> {
    let mut chars = channel.chars();
    let valid = matches!(chars.next(), Some('C' | 'G' | 'D'))
        && (8..=12).contains(&chars.clone().count())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{channel}` is not a Slack channel ID (e.g. `C0123456789`; a name like `#alerts` \
             cannot be edited in place: copy the ID from the channel's details)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_tokens_are_masked_to_what_identifies_them() {
        assert_eq!(
            mask_url("https://hooks.slack.com/services/T000/B000/XXXX"),
            "https://hooks.slack.com/****"
        );
        assert_eq!(mask_token("xoxb-1234-abcd"), "xoxb-****");
    }

    #[test]
    fn provider_urls_must_be_the_providers() {
        let slack = DestinationKind::SlackWebhook;
        assert!(check_provider_url(slack, "https://hooks.slack.com/services/T0/B0/X").is_ok());
        assert!(check_provider_url(slack, "http://hooks.slack.com/services/T0/B0/X").is_err());
        assert!(check_provider_url(slack, "https://hooks.slack.com.evil.example/x").is_err());
        let teams = DestinationKind::Teams;
        assert!(check_provider_url(
            teams,
            "https://prod-12.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke"
        )
        .is_ok());
        assert!(check_provider_url(teams, "https://example.com/workflows").is_err());
    }

    #[test]
    fn email_addresses_are_checked() {
        assert!(check_email_address("oncall@example.com").is_ok());
        for bad in [
            "oncall",
            "a@b",
            "a b@example.com",
            "<a@example.com>",
            "@example.com",
            "a@.com",
        ] {
            assert!(check_email_address(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slack_channels_must_be_ids() {
        assert!(check_slack_channel("C0123456789").is_ok());
        for bad in ["#alerts", "alerts", "C01", "c0123456789"] {
            assert!(check_slack_channel(bad).is_err(), "{bad}");
        }
    }
}
