//! What a destination request says about where it goes, checked per kind, its secret sealed.

use faultline::domain::notification::destination::{
    check_email_address, check_provider_url, check_slack_channel, mask_token, mask_url,
    SmtpSecurity,
};
use faultline::domain::notification::{DestinationKind, Target};
use faultline::http::ApiError;
use faultline::notify::email::MAX_RECIPIENTS;
use faultline::secrets::SecretCipher;
use faultline::AppState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A new destination: `kind` says which of the other fields it needs.
#[derive(Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDestination {
    /// What people call it.
    pub(super) name: String,
    /// `slack_webhook`, `slack_bot`, `teams`, `email`, `smtp`, `user`, `pagerduty`, `jira` or
    /// `github`.
    pub(super) kind: String,
    /// `slack_webhook`: the incoming webhook URL; `teams`: the Workflows URL. Stored sealed.
    #[serde(default)]
    url: Option<String>,
    /// `slack_bot`: the bot token (`xoxb-…`, scope `chat:write`); `jira`: the API token (Cloud)
    /// or personal access token (Data Center); `github`: a token with *Issues: read and write*.
    /// Stored sealed.
    #[serde(default)]
    pub(super) token: Option<String>,
    /// `slack_bot`: the channel ID (`C…`); invite the app to the channel.
    #[serde(default)]
    channel: Option<String>,
    /// `email`, `smtp`: 1 to 50 recipients.
    #[serde(default)]
    to: Option<Vec<String>>,
    /// `user`: the user (`usr_…`) told by email, as their notification preferences say.
    #[serde(default)]
    user_id: Option<String>,
    /// `smtp`: the server's host name.
    #[serde(default)]
    host: Option<String>,
    /// `smtp`: its port (default 587 with `starttls`, 465 with `tls`).
    #[serde(default)]
    port: Option<u16>,
    /// `smtp`: `starttls` (default), `tls`, or `none` (the local stack only).
    #[serde(default)]
    security: Option<String>,
    /// `smtp`: the login name.
    #[serde(default)]
    username: Option<String>,
    /// `smtp`: the password (with `username`). Stored sealed.
    #[serde(default)]
    password: Option<String>,
    /// `smtp`: the sender address.
    #[serde(default)]
    from: Option<String>,
    /// `pagerduty`: the Events API v2 integration's routing key. Stored sealed.
    #[serde(default)]
    pub(super) routing_key: Option<String>,
    /// `jira`: the site, e.g. `https://acme.atlassian.net`.
    #[serde(default)]
    pub(super) site_url: Option<String>,
    /// `jira`: `cloud` (default; REST v3, email + API token) or `data_center` (REST v2, a
    /// personal access token).
    #[serde(default)]
    pub(super) deployment: Option<String>,
    /// `jira` Cloud: the account's email the API token belongs to.
    #[serde(default)]
    pub(super) email: Option<String>,
    /// `jira`: the project key, e.g. `OPS`.
    #[serde(default)]
    pub(super) project_key: Option<String>,
    /// `jira`: the issue type's name, e.g. `Bug`.
    #[serde(default)]
    pub(super) issue_type: Option<String>,
    /// `jira`: a component to file under.
    #[serde(default)]
    pub(super) component: Option<String>,
    /// `jira`, `github`: labels every issue gets (the incident's own label is added).
    #[serde(default)]
    pub(super) labels: Option<Vec<String>>,
    /// `jira`: the priority name per severity, e.g. `{"critical": "Highest"}`.
    #[serde(default)]
    pub(super) priorities: Option<BTreeMap<String, String>>,
    /// `jira`: the transition that closes an issue on resolve (default `Done`).
    #[serde(default)]
    pub(super) resolve_transition: Option<String>,
    /// `jira`: the transition that reopens it on regression (default `Reopen`).
    #[serde(default)]
    pub(super) reopen_transition: Option<String>,
    /// `jira`: on regression, `reopen` (default) the issue or open a `new_issue` linked to it.
    #[serde(default)]
    pub(super) on_regression: Option<String>,
    /// `github`: `owner/name`.
    #[serde(default)]
    pub(super) repository: Option<String>,
    /// `github`: logins assigned to every issue.
    #[serde(default)]
    pub(super) assignees: Option<Vec<String>>,
    /// `github`: the API for GitHub Enterprise Server (`https://<host>/api/v3`); default
    /// `https://api.github.com`.
    #[serde(default)]
    pub(super) api_url: Option<String>,
    #[serde(default = "enabled_by_default")]
    pub(super) enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// A change: only the fields given change; the kind cannot.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDestination {
    pub(super) name: Option<String>,
    /// A new URL (`slack_webhook`, `teams`).
    url: Option<String>,
    /// A new token (`slack_bot`, `jira`, `github`).
    token: Option<String>,
    /// A new channel ID (`slack_bot`).
    channel: Option<String>,
    /// New recipients (`email`, `smtp`).
    to: Option<Vec<String>>,
    /// `smtp`: a new host, port, security, login, password or sender.
    host: Option<String>,
    port: Option<u16>,
    security: Option<String>,
    username: Option<String>,
    password: Option<String>,
    from: Option<String>,
    /// `pagerduty`: a new routing key.
    routing_key: Option<String>,
    /// `jira`: new settings (as when created).
    site_url: Option<String>,
    deployment: Option<String>,
    email: Option<String>,
    project_key: Option<String>,
    issue_type: Option<String>,
    component: Option<String>,
    /// `jira`, `github`: new labels.
    labels: Option<Vec<String>>,
    priorities: Option<BTreeMap<String, String>>,
    resolve_transition: Option<String>,
    reopen_transition: Option<String>,
    on_regression: Option<String>,
    /// `github`: new settings (as when created).
    repository: Option<String>,
    assignees: Option<Vec<String>>,
    api_url: Option<String>,
    pub(super) enabled: Option<bool>,
}

/// The fields a request gives (not null), besides its name, kind and state.
fn given_fields(request: &impl Serialize) -> serde_json::Map<String, serde_json::Value> {
    let mut fields = match serde_json::to_value(request) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    fields.retain(|name, value| {
        !value.is_null() && !matches!(name.as_str(), "name" | "kind" | "enabled")
    });
    fields
}

impl UpdateDestination {
    /// Whether it changes where the destination goes (not only its name or state).
    pub(super) fn changes_target(&self) -> bool {
        !given_fields(self).is_empty()
    }
}

/// The request that would create `target` as it stands (`secret` opened), with `change` on top:
/// an update is checked exactly as a creation is.
pub(super) fn merged(
    name: &str,
    target: &Target,
    secret: Option<String>,
    change: &UpdateDestination,
) -> Result<CreateDestination, ApiError> {
    let mut body = CreateDestination {
        name: name.to_owned(),
        kind: target.kind().as_str().to_owned(),
        ..CreateDestination::default()
    };
    match target {
        Target::SlackWebhook { .. } | Target::Teams { .. } => body.url = secret,
        Target::SlackBot { channel, .. } => {
            body.token = secret;
            body.channel = Some(channel.clone());
        }
        Target::Email { to } => body.to = Some(to.clone()),
        Target::User { user_id } => body.user_id = Some(user_id.to_string()),
        Target::Smtp {
            host,
            port,
            security,
            username,
            from,
            to,
            ..
        } => {
            body.host = Some(host.clone());
            body.port = Some(*port);
            body.security = Some(security.as_str().to_owned());
            body.username = username.clone();
            body.password = secret;
            body.from = Some(from.clone());
            body.to = Some(to.clone());
        }
        Target::Pagerduty { .. } | Target::Jira(_) | Target::Github(_) => {
            super::destination_tickets::as_request(target, secret, &mut body);
        }
    }
    let mut value = serde_json::to_value(&body).unwrap_or_default();
    for (field, new) in given_fields(change) {
        value[field] = new;
    }
    serde_json::from_value(value).map_err(|e| ApiError::validation("body", e.to_string()))
}

pub(super) fn checked_url(state: &AppState, field: &str, url: &str) -> Result<String, ApiError> {
    state
        .config
        .url_policy()
        .check(url)
        .map(|checked| checked.as_str().to_owned())
        .map_err(|reason| ApiError::validation(field, format!("`{field}` {reason}")))
}

fn checked_provider_url(
    state: &AppState,
    kind: DestinationKind,
    url: &str,
) -> Result<String, ApiError> {
    let checked = state
        .config
        .url_policy()
        .check(url)
        .map_err(|reason| ApiError::validation("url", format!("`url` {reason}")))?;
    if !state.config.local_mode {
        check_provider_url(kind, checked.as_str()).map_err(|e| ApiError::validation("url", e))?;
    }
    Ok(checked.as_str().to_owned())
}

pub(super) fn checked_recipients(to: &[String]) -> Result<Vec<String>, ApiError> {
    if to.is_empty() || to.len() > MAX_RECIPIENTS {
        return Err(ApiError::validation(
            "to",
            format!("`to` must list 1 to {MAX_RECIPIENTS} addresses"),
        ));
    }
    for address in to {
        check_email_address(address).map_err(|e| ApiError::validation("to", e))?;
    }
    Ok(to.to_vec())
}

fn checked_token(token: &str) -> Result<&str, ApiError> {
    if token.starts_with("xoxb-") && token.len() <= 255 && !token.chars().any(char::is_whitespace) {
        Ok(token)
    } else {
        Err(ApiError::validation(
            "token",
            "`token` must be a Slack bot token (`xoxb-…`)",
        ))
    }
}

pub(super) fn required<'a, T>(
    value: &'a Option<T>,
    field: &str,
    kind: DestinationKind,
) -> Result<&'a T, ApiError> {
    value.as_ref().ok_or_else(|| {
        ApiError::validation(
            field,
            format!(
                "`{field}` is required for a `{}` destination",
                kind.as_str()
            ),
        )
    })
}

/// The fields a kind takes.
fn fields_of(kind: DestinationKind) -> &'static [&'static str] {
    match kind {
        DestinationKind::SlackWebhook | DestinationKind::Teams => &["url"],
        DestinationKind::SlackBot => &["token", "channel"],
        DestinationKind::Email => &["to"],
        DestinationKind::User => &["user_id"],
        DestinationKind::Smtp => &[
            "host", "port", "security", "username", "password", "from", "to",
        ],
        DestinationKind::Pagerduty | DestinationKind::Jira | DestinationKind::Github => {
            super::destination_tickets::fields_of(kind)
        }
    }
}

fn checked_smtp(
    state: &AppState,
    cipher: &SecretCipher,
    context: &str,
    body: &CreateDestination,
) -> Result<Target, ApiError> {
    let kind = DestinationKind::Smtp;
    let host = required(&body.host, "host", kind)?
        .trim()
        .to_ascii_lowercase();
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if !host_ok {
        return Err(ApiError::validation(
            "host",
            format!("`{host}` is not a host name"),
        ));
    }
    let security = match body.security.as_deref() {
        None => SmtpSecurity::Starttls,
        Some(name) => SmtpSecurity::parse(name).ok_or_else(|| {
            ApiError::validation("security", "`security` must be `starttls`, `tls` or `none`")
        })?,
    };
    if security == SmtpSecurity::None && !state.config.local_mode {
        return Err(ApiError::validation(
            "security",
            "`security: none` sends mail and passwords in the clear: only the local stack allows it",
        ));
    }
    let port = body.port.unwrap_or(if security == SmtpSecurity::Tls {
        465
    } else {
        587
    });
    if port == 0 {
        return Err(ApiError::validation("port", "`port` must be 1 to 65535"));
    }
    if body.password.is_some() && body.username.is_none() {
        return Err(ApiError::validation(
            "username",
            "`password` needs a `username`",
        ));
    }
    let from = required(&body.from, "from", kind)?;
    check_email_address(from).map_err(|e| ApiError::validation("from", e))?;
    Ok(Target::Smtp {
        host,
        port,
        security,
        username: body.username.clone(),
        password: body.password.as_deref().map(|p| cipher.seal(p, context)),
        from: from.clone(),
        to: checked_recipients(required(&body.to, "to", kind)?)?,
    })
}

/// The target `body` describes, its secret sealed under `context`.
pub(super) fn target_of(
    state: &AppState,
    cipher: &SecretCipher,
    context: &str,
    kind: DestinationKind,
    body: &CreateDestination,
) -> Result<Target, ApiError> {
    for field in given_fields(body).keys() {
        if !fields_of(kind).contains(&field.as_str()) {
            return Err(ApiError::validation(
                field,
                format!(
                    "`{field}` does not apply to a `{}` destination",
                    kind.as_str()
                ),
            ));
        }
    }
    Ok(match kind {
        DestinationKind::SlackWebhook | DestinationKind::Teams => {
            let url = checked_provider_url(state, kind, required(&body.url, "url", kind)?)?;
            let (url, masked) = (cipher.seal(&url, context), mask_url(&url));
            if kind == DestinationKind::Teams {
                Target::Teams { url, masked }
            } else {
                Target::SlackWebhook { url, masked }
            }
        }
        DestinationKind::SlackBot => {
            let token = checked_token(required(&body.token, "token", kind)?)?;
            let channel = required(&body.channel, "channel", kind)?;
            check_slack_channel(channel).map_err(|e| ApiError::validation("channel", e))?;
            Target::SlackBot {
                token: cipher.seal(token, context),
                masked: mask_token(token),
                channel: channel.clone(),
            }
        }
        DestinationKind::Email => Target::Email {
            to: checked_recipients(required(&body.to, "to", kind)?)?,
        },
        DestinationKind::Smtp => checked_smtp(state, cipher, context, body)?,
        DestinationKind::User => {
            let raw = required(&body.user_id, "user_id", kind)?;
            let user_id = faultline::domain::UserId::parse(raw).ok_or_else(|| {
                ApiError::validation("user_id", format!("`{raw}` is not a user id"))
            })?;
            Target::User { user_id }
        }
        DestinationKind::Pagerduty | DestinationKind::Jira | DestinationKind::Github => {
            super::destination_tickets::ticket_target(state, cipher, context, kind, body)?
        }
    })
}
