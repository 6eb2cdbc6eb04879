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
use serde::Deserialize;

/// A new destination: `kind` says which of the other fields it needs.
#[derive(Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDestination {
    /// What people call it.
    pub(super) name: String,
    /// `slack_webhook`, `slack_bot`, `teams`, `email`, `smtp` or `user`.
    pub(super) kind: String,
    /// `slack_webhook`: the incoming webhook URL; `teams`: the Workflows URL. Stored sealed.
    #[serde(default)]
    url: Option<String>,
    /// `slack_bot`: the bot token (`xoxb-…`, scope `chat:write`). Stored sealed.
    #[serde(default)]
    token: Option<String>,
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
    #[serde(default = "enabled_by_default")]
    pub(super) enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// A change: only the fields given change; the kind cannot.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDestination {
    pub(super) name: Option<String>,
    /// A new URL (`slack_webhook`, `teams`).
    url: Option<String>,
    /// A new token (`slack_bot`).
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
    pub(super) enabled: Option<bool>,
}

impl UpdateDestination {
    /// Whether it changes where the destination goes (not only its name or state).
    pub(super) fn changes_target(&self) -> bool {
        self.url.is_some()
            || self.token.is_some()
            || self.channel.is_some()
            || self.to.is_some()
            || self.host.is_some()
            || self.port.is_some()
            || self.security.is_some()
            || self.username.is_some()
            || self.password.is_some()
            || self.from.is_some()
    }
}

/// The request that would create `target` as it stands (`secret` opened), with `change` on top:
/// an update is checked exactly as a creation is.
pub(super) fn merged(
    name: &str,
    target: &Target,
    secret: Option<String>,
    change: &UpdateDestination,
) -> CreateDestination {
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
    }
    let or = |new: &Option<String>, old: Option<String>| new.clone().or(old);
    body.url = or(&change.url, body.url);
    body.token = or(&change.token, body.token);
    body.channel = or(&change.channel, body.channel);
    body.to = change.to.clone().or(body.to);
    body.host = or(&change.host, body.host);
    body.port = change.port.or(body.port);
    body.security = or(&change.security, body.security);
    body.username = or(&change.username, body.username);
    body.password = or(&change.password, body.password);
    body.from = or(&change.from, body.from);
    body
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

fn checked_recipients(to: &[String]) -> Result<Vec<String>, ApiError> {
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

fn required<'a, T>(
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
    let given = [
        ("url", body.url.is_some()),
        ("token", body.token.is_some()),
        ("channel", body.channel.is_some()),
        ("to", body.to.is_some()),
        ("user_id", body.user_id.is_some()),
        ("host", body.host.is_some()),
        ("port", body.port.is_some()),
        ("security", body.security.is_some()),
        ("username", body.username.is_some()),
        ("password", body.password.is_some()),
        ("from", body.from.is_some()),
    ];
    for (field, present) in given {
        if present && !fields_of(kind).contains(&field) {
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
    })
}
