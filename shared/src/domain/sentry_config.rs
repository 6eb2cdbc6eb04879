//! Sentry configuration per project and environment: what applications fetch at start-up to
//! initialise their Sentry SDK (DSN, sample rates), and the org/project/auth token Faultline uses
//! to talk to Sentry. The auth token is sealed and never returned.

use super::{ProjectId, SentryConfigId, TenantId};
use crate::secrets::SealedSecret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// SDK options applications receive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SampleRates {
    /// Share of transactions traced, 0 to 1.
    pub traces_sample_rate: f64,
    /// Share of sessions replayed, 0 to 1.
    pub replays_session_sample_rate: f64,
    /// Share of sessions with an error replayed, 0 to 1.
    pub replays_on_error_sample_rate: f64,
}

impl Default for SampleRates {
    /// Sentry's own suggestions for production: 10 % of traces, 10 % of sessions, every error.
    fn default() -> Self {
        Self {
            traces_sample_rate: 0.1,
            replays_session_sample_rate: 0.1,
            replays_on_error_sample_rate: 1.0,
        }
    }
}

/// One project's Sentry configuration for one environment.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SentryConfig {
    /// Its id.
    pub id: SentryConfigId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its project.
    pub project_id: ProjectId,
    /// `development`, `staging`, `production` or a custom name; one configuration per
    /// environment of a project.
    pub environment: String,
    /// The client key DSN, `https://<public key>@<host>/<project id>`.
    pub dsn: String,
    /// The Sentry organisation slug.
    pub org: String,
    /// The Sentry project slug.
    pub project: String,
    /// The API auth token, sealed with the data key (never returned).
    pub auth_token: Option<SealedSecret>,
    /// The Sentry API's base URL when it is not the one the DSN implies (see [`Self::api_base`]).
    #[serde(default)]
    pub api_url: Option<String>,
    /// SDK sample rates.
    pub rates: SampleRates,
    /// Inactive configurations are not served.
    pub active: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A sync pass cut short (deadline, rate limit), resumed where it stopped by the next run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncPass {
    /// The pass asks for issues seen after this (the query must stay the same for its cursor).
    pub since: DateTime<Utc>,
    /// Sentry's cursor for the next page.
    pub cursor: String,
    /// The latest `lastSeen` the pass has read so far (the watermark once the pass completes).
    pub high: Option<DateTime<Utc>>,
}

/// Where the Sentry sync of one configuration stands; stored beside the configuration, so that
/// editing the configuration never resets it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SentrySyncState {
    /// Issues are synced up to this `lastSeen`: the next pass asks for what was seen after it
    /// (less an overlap, for events Sentry ingests late).
    #[serde(default)]
    pub watermark: Option<DateTime<Utc>>,
    /// A pass in progress.
    #[serde(default)]
    pub pass: Option<SyncPass>,
    /// Where the reconciliation of the hub's open issues stands (a cursor of the hub's list).
    #[serde(default)]
    pub reconcile_cursor: Option<String>,
    /// When the last reconciliation pass finished.
    #[serde(default)]
    pub reconciled_at: Option<DateTime<Utc>>,
    /// Sentry asked the hub to wait (429, or no requests left) until then.
    #[serde(default)]
    pub paused_until: Option<DateTime<Utc>>,
    /// The job's last outcomes.
    #[serde(default)]
    pub health: super::JobHealth,
}

impl SentryConfig {
    /// What the sealed token is bound to: this configuration of this tenant.
    pub fn token_context(&self) -> String {
        format!("sentry-config:{}:{}", self.tenant_id, self.id)
    }

    /// Where the hub calls Sentry's API: `api_url` when set; else sentry.io for a DSN of
    /// `*.ingest.sentry.io` (`https://de.sentry.io` for `*.ingest.de.sentry.io`), and the DSN's
    /// own origin for a self-hosted instance.
    pub fn api_base(&self) -> String {
        if let Some(url) = &self.api_url {
            return url.trim_end_matches('/').to_owned();
        }
        let Ok(dsn) = url::Url::parse(&self.dsn) else {
            return "https://sentry.io".into();
        };
        let host = dsn.host_str().unwrap_or_default();
        if host == "sentry.io" || host.ends_with(".sentry.io") {
            let region = host
                .split_once("ingest.")
                .map(|(_, rest)| rest)
                .unwrap_or("sentry.io");
            return format!("https://{region}");
        }
        dsn.origin().ascii_serialization()
    }
}

/// Checks a DSN: `https://<public key>@<host>[:port][/path]/<numeric project id>`, no secret key
/// (the legacy `key:secret@` form), no query.
pub fn check_dsn(dsn: &str) -> Result<(), String> {
    let url = url::Url::parse(dsn).map_err(|_| "is not a URL".to_owned())?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err("must be an https URL".into());
    }
    let key = url.username();
    if key.len() < 8 || !key.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("must carry the project's public key (hex) before `@`".into());
    }
    if url.password().is_some() {
        return Err("must not carry a secret key (the legacy `key:secret@` form)".into());
    }
    if url.host_str().is_none_or(str::is_empty) || url.query().is_some() {
        return Err("must name a host and no query".into());
    }
    let project = url
        .path()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    if project.is_empty() || !project.chars().all(|c| c.is_ascii_digit()) {
        return Err("must end with the numeric Sentry project id".into());
    }
    Ok(())
}

/// The DSN with its public key shortened to 4 characters: `https://a1b2****@o1.ingest.sentry.io/5`.
pub fn mask_dsn(dsn: &str) -> String {
    match url::Url::parse(dsn) {
        Ok(url) if !url.username().is_empty() => {
            let key = url.username();
            let shown: String = key.chars().take(4).collect();
            dsn.replacen(key, &format!("{shown}****"), 1)
        }
        _ => "****".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsns_are_checked_and_masked() {
        let dsn = "https://a1b2c3d4e5f60718@o123.ingest.sentry.io/4505";
        assert_eq!(check_dsn(dsn), Ok(()));
        assert_eq!(
            check_dsn("https://a1b2c3d4e5f60718@sentry.example.com:8443/sentry/42/"),
            Ok(())
        );
        for bad in [
            "not a url",
            "ftp://a1b2c3d4e5f60718@o1.ingest.sentry.io/1",
            "https://o1.ingest.sentry.io/1",
            "https://a1b2c3d4e5f60718:secret99@o1.ingest.sentry.io/1",
            "https://a1b2c3d4e5f60718@o1.ingest.sentry.io/project",
            "https://a1b2c3d4e5f60718@o1.ingest.sentry.io/1?x=y",
        ] {
            assert!(check_dsn(bad).is_err(), "{bad}");
        }
        assert_eq!(mask_dsn(dsn), "https://a1b2****@o123.ingest.sentry.io/4505");
    }

    #[test]
    fn the_api_base_follows_the_dsn_unless_set() {
        let config = |dsn: &str, api_url: Option<&str>| SentryConfig {
            id: SentryConfigId::generate(),
            tenant_id: TenantId::generate(),
            project_id: ProjectId::generate(),
            environment: "production".into(),
            dsn: dsn.into(),
            org: "acme".into(),
            project: "api".into(),
            auth_token: None,
            api_url: api_url.map(str::to_owned),
            rates: SampleRates::default(),
            active: true,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let base = |dsn, api| config(dsn, api).api_base();
        assert_eq!(
            base("https://k@o1.ingest.sentry.io/5", None),
            "https://sentry.io"
        );
        assert_eq!(
            base("https://k@o1.ingest.us.sentry.io/5", None),
            "https://us.sentry.io"
        );
        assert_eq!(
            base("https://k@o1.ingest.de.sentry.io/5", None),
            "https://de.sentry.io"
        );
        assert_eq!(
            base("https://k@sentry.acme.internal:9000/3", None),
            "https://sentry.acme.internal:9000"
        );
        assert_eq!(
            base(
                "https://k@o1.ingest.sentry.io/5",
                Some("https://s.acme.dev/")
            ),
            "https://s.acme.dev"
        );
    }
}
