//! Integrations: one per inbound sender, each with its own webhook URL and optional secret.

use super::{IntegrationId, TenantId};
use crate::secrets::SealedSecret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kind of sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Any JSON sender, in Faultline's generic alert format.
    Generic,
    /// GitHub repository or App webhooks.
    Github,
    /// Jira Cloud admin webhooks (issues the hub opened, kept in step).
    Jira,
    /// PagerDuty webhooks v3.
    Pagerduty,
    /// Sentry integration-platform webhooks.
    Sentry,
    /// Slack Events API and slash commands.
    Slack,
    /// CloudWatch Logs, scanned by the hub (no webhook: log sources, not integrations).
    Cloudwatch,
}

impl Source {
    /// Every source that sends webhooks (what an integration can be).
    pub const ALL: [Self; 6] = [
        Self::Generic,
        Self::Github,
        Self::Jira,
        Self::Pagerduty,
        Self::Sentry,
        Self::Slack,
    ];

    /// Parses the lowercase name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The lowercase name used in URLs and payloads.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::Github => "github",
            Self::Jira => "jira",
            Self::Pagerduty => "pagerduty",
            Self::Sentry => "sentry",
            Self::Slack => "slack",
            Self::Cloudwatch => "cloudwatch",
        }
    }
}

/// An inbound integration. Its id is in its webhook URL; its secret, when set, is stored sealed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Integration {
    /// Its id (part of the webhook URL).
    pub id: IntegrationId,
    /// Its owner.
    pub tenant_id: TenantId,
    /// The kind of sender.
    pub source: Source,
    /// Display name.
    pub name: String,
    /// The project its incidents and changes belong to, if any.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Source options (Slack channels and patterns, Sentry legacy unsigned payloads).
    #[serde(default)]
    pub config: serde_json::Map<String, Value>,
    /// The signing secret, sealed.
    pub secret: Option<SealedSecret>,
    /// A generic integration created without a secret on purpose (`"unsigned": true`): it
    /// accepts anyone's requests. Without a secret and without this, it accepts nothing.
    #[serde(default)]
    pub unsigned: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl Integration {
    /// The sealing context of this integration's secret (binds the ciphertext to this record).
    pub fn secret_context(&self) -> String {
        format!("integration/{}/{}", self.tenant_id, self.id)
    }
}
