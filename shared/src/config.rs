//! Configuration, read once per container from the environment the template sets.

use crate::domain::RetrySchedule;
use std::collections::BTreeMap;

/// Everything a function needs to know about its surroundings.
#[derive(Clone, Debug)]
pub struct Config {
    /// The DynamoDB table.
    pub table: String,
    /// The S3 bucket for raw inbound payloads.
    pub archive_bucket: String,
    /// The SQS queue of domain events.
    pub events_queue_url: String,
    /// The SQS queue of first delivery attempts.
    pub deliveries_queue_url: String,
    /// The SQS queue of retries (attempt 2 onwards), consumed with capped concurrency so a
    /// tenant's failing deliveries never hold up anyone's first attempts.
    pub retries_queue_url: String,
    /// The dead-letter queues of the events and deliveries queues (for inspection and redrive).
    pub dead_letter_queues: Vec<DeadLetterQueue>,
    /// Secrets Manager id of the data key (sealing stored secrets).
    pub data_key_secret: String,
    /// Secrets Manager id of the platform admin key.
    pub admin_key_secret: String,
    /// Secrets Manager id of the access-token signing key.
    pub token_key_secret: String,
    /// How long an access token works (`FAULTLINE_TOKEN_LIFETIME_MINUTES`, default 60, at most 1,440).
    pub token_lifetime: chrono::Duration,
    /// Retry delays for outgoing webhooks (a tenant may set its own).
    pub retry_schedule: RetrySchedule,
    /// The largest outgoing webhook body, in bytes (`FAULTLINE_MAX_PAYLOAD_BYTES`, default
    /// 256 KiB); larger messages are recorded and exhausted, never sent truncated.
    pub max_payload_bytes: usize,
    /// How far before an incident's first occurrence merged changes are suspects.
    pub suspect_window: chrono::Duration,
    /// An endpoint failing continuously for this long is disabled.
    pub disable_failing_after: chrono::Duration,
    /// The local stack: http and loopback endpoints allowed.
    pub local_mode: bool,
    /// Private subnets webhooks may reach anyway (`FAULTLINE_ALLOWED_SUBNETS`, comma-separated).
    pub allowed_subnets: Vec<ipnet::IpNet>,
    /// An AWS endpoint override (the local emulator), from `AWS_ENDPOINT_URL`.
    pub aws_endpoint_url: Option<String>,
    /// The SQS queue of notification tasks (`FAULTLINE_NOTIFY_QUEUE_URL`; `fanout` fills it,
    /// `notify` drains it).
    pub notify_queue_url: Option<String>,
    /// Its dead-letter queue (`FAULTLINE_NOTIFY_DLQ_URL`): notifications out of attempts.
    pub notify_dead_letter_url: Option<String>,
    /// The verified SES identity email is sent from (`FAULTLINE_EMAIL_FROM`); email
    /// destinations fail plainly without it.
    pub email_from: Option<String>,
    /// Slack's Web API (`FAULTLINE_SLACK_API_URL`, default `https://slack.com/api`).
    pub slack_api_url: String,
    /// PagerDuty's Events API (`FAULTLINE_PAGERDUTY_EVENTS_URL`, default
    /// `https://events.pagerduty.com`; `https://events.eu.pagerduty.com` for an EU account).
    pub pagerduty_events_url: String,
    /// The S3 bucket exports are written to (`FAULTLINE_EXPORTS_BUCKET`).
    pub exports_bucket: Option<String>,
    /// The SQS queue of export tasks (`FAULTLINE_EXPORT_QUEUE_URL`; the API fills it, `export`
    /// drains it).
    pub export_queue_url: Option<String>,
    /// How long a download link works (`FAULTLINE_EXPORT_LINK_MINUTES`, default 60, at most
    /// 10,080 — a week, S3's ceiling; a link signed with a role's temporary credentials stops
    /// working when they expire, whichever comes first).
    pub export_link_lifetime: std::time::Duration,
    /// Where the hub's API is reached from outside (`FAULTLINE_PUBLIC_URL`), for links in
    /// notifications; none when unset.
    pub public_url: Option<String>,
}

/// A dead-letter queue and the queue its messages came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetterQueue {
    /// `events` or `deliveries`.
    pub name: &'static str,
    /// The dead-letter queue.
    pub url: String,
    /// Where a redriven message goes back to.
    pub source_url: String,
    /// Where a redriven delivery retry (attempt 2 onwards) goes back to instead, for the
    /// deliveries queue whose retries have a lane of their own.
    pub retry_source_url: Option<String>,
}

/// A required setting is missing or malformed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not set.
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    /// Set but wrong.
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid {
        /// Which variable.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl Config {
    /// The endpoint URL and address policy.
    pub fn url_policy(&self) -> crate::domain::UrlPolicy {
        crate::domain::UrlPolicy {
            local_mode: self.local_mode,
            allowed_subnets: self.allowed_subnets.clone(),
        }
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads from a map (the local stack resolves the template's variables into one).
    pub fn from_map(vars: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| vars.get(name).cloned())
    }

    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required = |name: &'static str| {
            get(name)
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        let retry_schedule = match get("FAULTLINE_RETRY_SCHEDULE").filter(|v| !v.is_empty()) {
            Some(text) => RetrySchedule::parse(&text).map_err(|reason| ConfigError::Invalid {
                name: "FAULTLINE_RETRY_SCHEDULE",
                reason,
            })?,
            None => RetrySchedule::default(),
        };
        let whole_number = |name: &'static str, default: u32| -> Result<u32, ConfigError> {
            match get(name).filter(|v| !v.is_empty()) {
                None => Ok(default),
                Some(text) => text
                    .trim()
                    .parse::<u32>()
                    .map_err(|_| ConfigError::Invalid {
                        name,
                        reason: format!("`{text}` is not a whole number"),
                    }),
            }
        };
        let hours = |name, default| {
            whole_number(name, default).map(|h| chrono::Duration::hours(i64::from(h)))
        };
        let suspect_window = hours("FAULTLINE_SUSPECT_WINDOW_HOURS", 24)?;
        let disable_failing_after = hours("FAULTLINE_DISABLE_FAILING_AFTER_HOURS", 5 * 24)?;
        let token_minutes = whole_number("FAULTLINE_TOKEN_LIFETIME_MINUTES", 60)?;
        if !(1..=crate::auth::jwt::MAX_TOKEN_LIFETIME_SECS / 60).contains(&i64::from(token_minutes))
        {
            return Err(ConfigError::Invalid {
                name: "FAULTLINE_TOKEN_LIFETIME_MINUTES",
                reason: format!("{token_minutes} is outside 1 to 1440 minutes (24 hours)"),
            });
        }
        let token_lifetime = chrono::Duration::minutes(i64::from(token_minutes));
        let max_payload_bytes = whole_number("FAULTLINE_MAX_PAYLOAD_BYTES", 256 * 1024)? as usize;
        let allowed_subnets = get("FAULTLINE_ALLOWED_SUBNETS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|cidr| {
                cidr.parse::<ipnet::IpNet>()
                    .map_err(|_| ConfigError::Invalid {
                        name: "FAULTLINE_ALLOWED_SUBNETS",
                        reason: format!("`{cidr}` is not a CIDR subnet"),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let local_mode = matches!(
            get("FAULTLINE_LOCAL_MODE").as_deref(),
            Some("1" | "true" | "yes")
        );
        let optional = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let link_minutes = whole_number("FAULTLINE_EXPORT_LINK_MINUTES", 60)?;
        if !(1..=10_080).contains(&link_minutes) {
            return Err(ConfigError::Invalid {
                name: "FAULTLINE_EXPORT_LINK_MINUTES",
                reason: "must be 1 to 10080 (a week, the longest S3 signs for)".into(),
            });
        }
        let notify_queue_url = optional("FAULTLINE_NOTIFY_QUEUE_URL");
        let events_queue_url = required("FAULTLINE_EVENTS_QUEUE_URL")?;
        let deliveries_queue_url = required("FAULTLINE_DELIVERIES_QUEUE_URL")?;
        let retries_queue_url = required("FAULTLINE_RETRIES_QUEUE_URL")?;
        let dead_letter_queues = [
            (
                "events",
                "FAULTLINE_EVENTS_DLQ_URL",
                &events_queue_url,
                None,
            ),
            (
                "deliveries",
                "FAULTLINE_DELIVERIES_DLQ_URL",
                &deliveries_queue_url,
                Some(&retries_queue_url),
            ),
            (
                "notifications",
                "FAULTLINE_NOTIFY_DLQ_URL",
                &notify_queue_url.clone().unwrap_or_default(),
                None,
            ),
            (
                "exports",
                "FAULTLINE_EXPORT_DLQ_URL",
                &optional("FAULTLINE_EXPORT_QUEUE_URL").unwrap_or_default(),
                None,
            ),
        ]
        .into_iter()
        .filter_map(|(name, var, source, retries)| {
            get(var)
                .filter(|v| !v.is_empty())
                .map(|url| DeadLetterQueue {
                    name,
                    url,
                    source_url: source.clone(),
                    retry_source_url: retries.cloned(),
                })
        })
        .collect();
        Ok(Self {
            dead_letter_queues,
            table: required("FAULTLINE_TABLE")?,
            archive_bucket: required("FAULTLINE_ARCHIVE_BUCKET")?,
            events_queue_url,
            deliveries_queue_url,
            retries_queue_url,
            data_key_secret: required("FAULTLINE_DATA_KEY_SECRET")?,
            admin_key_secret: required("FAULTLINE_ADMIN_KEY_SECRET")?,
            token_key_secret: required("FAULTLINE_TOKEN_KEY_SECRET")?,
            token_lifetime,
            retry_schedule,
            max_payload_bytes,
            suspect_window,
            disable_failing_after,
            local_mode,
            allowed_subnets,
            aws_endpoint_url: get("AWS_ENDPOINT_URL").filter(|v| !v.is_empty()),
            notify_dead_letter_url: optional("FAULTLINE_NOTIFY_DLQ_URL"),
            notify_queue_url,
            email_from: optional("FAULTLINE_EMAIL_FROM"),
            slack_api_url: optional("FAULTLINE_SLACK_API_URL")
                .unwrap_or_else(|| "https://slack.com/api".into()),
            pagerduty_events_url: optional("FAULTLINE_PAGERDUTY_EVENTS_URL")
                .unwrap_or_else(|| "https://events.pagerduty.com".into()),
            public_url: optional("FAULTLINE_PUBLIC_URL"),
            exports_bucket: optional("FAULTLINE_EXPORTS_BUCKET"),
            export_queue_url: optional("FAULTLINE_EXPORT_QUEUE_URL"),
            export_link_lifetime: std::time::Duration::from_secs(u64::from(link_minutes) * 60),
        })
    }
}

/// The variables a configuration cannot do without, each set to `x` (unit tests).
#[cfg(test)]
pub(crate) fn required_vars() -> BTreeMap<String, String> {
    [
        "FAULTLINE_EVENTS_QUEUE_URL",
        "FAULTLINE_DELIVERIES_QUEUE_URL",
        "FAULTLINE_RETRIES_QUEUE_URL",
        "FAULTLINE_TABLE",
        "FAULTLINE_ARCHIVE_BUCKET",
        "FAULTLINE_DATA_KEY_SECRET",
        "FAULTLINE_ADMIN_KEY_SECRET",
        "FAULTLINE_TOKEN_KEY_SECRET",
    ]
    .into_iter()
    .map(|name| (name.to_owned(), "x".to_owned()))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &str, value: &str) -> Result<Config, ConfigError> {
        let mut vars = required_vars();
        vars.insert(name.to_owned(), value.to_owned());
        Config::from_map(&vars)
    }

    #[test]
    fn token_lifetime_defaults_to_an_hour_and_has_a_24_hour_ceiling() {
        let default = with("UNRELATED", "").expect("valid");
        assert_eq!(default.token_lifetime, chrono::Duration::minutes(60));
        let longest = with("FAULTLINE_TOKEN_LIFETIME_MINUTES", "1440").expect("valid");
        assert_eq!(longest.token_lifetime, chrono::Duration::hours(24));
        for refused in ["1441", "0", "10080"] {
            let err = with("FAULTLINE_TOKEN_LIFETIME_MINUTES", refused).expect_err(refused);
            assert!(err.to_string().contains("24 hours"), "{err}");
        }
    }
}
