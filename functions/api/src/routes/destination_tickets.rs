//! The ticket destinations' part of a destination request (PagerDuty, Jira, GitHub): checked,
//! their tokens sealed.

use super::destination_targets::{checked_url, required, CreateDestination};
use faultline::domain::notification::destination::mask_token;
use faultline::domain::notification::ticket::{
    GithubRepository, JiraDeployment, JiraProject, Regression,
};
use faultline::domain::notification::{DestinationKind, Target};
use faultline::domain::Severity;
use faultline::http::ApiError;
use faultline::secrets::SecretCipher;
use faultline::AppState;

/// The fields a ticket kind takes.
pub(super) fn fields_of(kind: DestinationKind) -> &'static [&'static str] {
    match kind {
        DestinationKind::Pagerduty => &["routing_key"],
        DestinationKind::Jira => &[
            "site_url",
            "deployment",
            "email",
            "token",
            "project_key",
            "issue_type",
            "component",
            "labels",
            "priorities",
            "resolve_transition",
            "reopen_transition",
            "on_regression",
        ],
        _ => &["token", "repository", "labels", "assignees", "api_url"],
    }
}

/// Fills `body` with what `target` holds (its secret opened), for an update checked whole.
pub(super) fn as_request(target: &Target, secret: Option<String>, body: &mut CreateDestination) {
    match target {
        Target::Pagerduty { .. } => body.routing_key = secret,
        Target::Jira(project) => {
            body.site_url = Some(project.site_url.clone());
            body.deployment = Some(project.deployment.as_str().to_owned());
            body.email = project.email.clone();
            body.token = secret;
            body.project_key = Some(project.project_key.clone());
            body.issue_type = Some(project.issue_type.clone());
            body.component = project.component.clone();
            body.labels = Some(project.labels.clone());
            body.priorities = Some(project.priorities.clone());
            body.resolve_transition = Some(project.resolve_transition.clone());
            body.reopen_transition = Some(project.reopen_transition.clone());
            body.on_regression = Some(project.on_regression.as_str().to_owned());
        }
        Target::Github(repository) => {
            body.token = secret;
            body.repository = Some(repository.repository.clone());
            body.labels = Some(repository.labels.clone());
            body.assignees = Some(repository.assignees.clone());
            body.api_url = Some(repository.api_url.clone());
        }
        _ => {}
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(field, message)
}

/// A token: 8 to 512 printable characters without spaces.
fn checked_token<'a>(field: &str, token: &'a str) -> Result<&'a str, ApiError> {
    if (8..=512).contains(&token.len()) && token.chars().all(|c| c.is_ascii_graphic()) {
        Ok(token)
    } else {
        Err(invalid(
            field,
            format!("`{field}` must be 8 to 512 characters without spaces"),
        ))
    }
}

/// Labels: at most 20, each 1 to `max` characters without spaces or commas.
fn checked_labels(labels: &[String], max: usize) -> Result<Vec<String>, ApiError> {
    if labels.len() > 20 {
        return Err(invalid("labels", "`labels` takes at most 20 labels"));
    }
    for label in labels {
        let valid = !label.is_empty()
            && label.chars().count() <= max
            && !label.chars().any(|c| c.is_whitespace() || c == ',');
        if !valid {
            return Err(invalid(
                "labels",
                format!("`{label}` is not a label (1 to {max} characters, no spaces or commas)"),
            ));
        }
    }
    Ok(labels.to_vec())
}

/// A name Jira or GitHub shows: 1 to 255 characters, not blank.
fn checked_name(field: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 255 {
        return Err(invalid(
            field,
            format!("`{field}` must be 1 to 255 characters"),
        ));
    }
    Ok(value.to_owned())
}

/// An https base URL (http only in the local stack) without a path's trailing slash.
fn checked_base(state: &AppState, field: &str, url: &str) -> Result<String, ApiError> {
    Ok(checked_url(state, field, url)?
        .trim_end_matches('/')
        .to_owned())
}

fn pagerduty(
    cipher: &SecretCipher,
    context: &str,
    body: &CreateDestination,
) -> Result<Target, ApiError> {
    let key = required(&body.routing_key, "routing_key", DestinationKind::Pagerduty)?;
    if key.len() != 32 || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid(
            "routing_key",
            "`routing_key` must be an Events API v2 integration key (32 letters and digits)",
        ));
    }
    Ok(Target::Pagerduty {
        routing_key: cipher.seal(key, context),
        masked: format!("{}****", &key[..4]),
    })
}

fn jira(
    state: &AppState,
    cipher: &SecretCipher,
    context: &str,
    body: &CreateDestination,
) -> Result<Target, ApiError> {
    let kind = DestinationKind::Jira;
    let deployment = match body.deployment.as_deref() {
        None => JiraDeployment::Cloud,
        Some(name) => JiraDeployment::parse(name).ok_or_else(|| {
            invalid(
                "deployment",
                "`deployment` must be `cloud` or `data_center`",
            )
        })?,
    };
    let site_url = checked_base(
        state,
        "site_url",
        required(&body.site_url, "site_url", kind)?,
    )?;
    let email = match (deployment, &body.email) {
        (JiraDeployment::Cloud, None) => {
            return Err(invalid(
                "email",
                "`email` is required for Jira Cloud (the account the API token belongs to)",
            ))
        }
        (JiraDeployment::Cloud, Some(email)) => {
            faultline::domain::notification::destination::check_email_address(email)
                .map_err(|e| invalid("email", e))?;
            Some(email.clone())
        }
        (JiraDeployment::DataCenter, Some(_)) => {
            return Err(invalid(
                "email",
                "`email` does not apply to Data Center: the token is a personal access token",
            ))
        }
        (JiraDeployment::DataCenter, None) => None,
    };
    let token = checked_token("token", required(&body.token, "token", kind)?)?;
    let project_key = required(&body.project_key, "project_key", kind)?;
    let key_ok = (2..=10).contains(&project_key.len())
        && project_key.starts_with(|c: char| c.is_ascii_uppercase())
        && project_key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !key_ok {
        return Err(invalid(
            "project_key",
            format!("`{project_key}` is not a Jira project key (e.g. `OPS`)"),
        ));
    }
    let priorities = body.priorities.clone().unwrap_or_default();
    for (severity, priority) in &priorities {
        if Severity::parse(severity).is_none() {
            return Err(invalid(
                "priorities",
                format!("`{severity}` is not a severity ({})", Severity::NAMES),
            ));
        }
        checked_name("priorities", priority)?;
    }
    let on_regression = match body.on_regression.as_deref() {
        None => Regression::Reopen,
        Some(name) => Regression::parse(name).ok_or_else(|| {
            invalid(
                "on_regression",
                "`on_regression` must be `reopen` or `new_issue`",
            )
        })?,
    };
    Ok(Target::Jira(JiraProject {
        site_url,
        deployment,
        email,
        token: cipher.seal(token, context),
        masked: mask_token(token),
        project_key: project_key.clone(),
        issue_type: checked_name(
            "issue_type",
            required(&body.issue_type, "issue_type", kind)?,
        )?,
        component: body
            .component
            .as_deref()
            .map(|c| checked_name("component", c))
            .transpose()?,
        labels: checked_labels(body.labels.as_deref().unwrap_or_default(), 255)?,
        priorities,
        resolve_transition: checked_name(
            "resolve_transition",
            body.resolve_transition.as_deref().unwrap_or("Done"),
        )?,
        reopen_transition: checked_name(
            "reopen_transition",
            body.reopen_transition.as_deref().unwrap_or("Reopen"),
        )?,
        on_regression,
    }))
}

fn github(
    state: &AppState,
    cipher: &SecretCipher,
    context: &str,
    body: &CreateDestination,
) -> Result<Target, ApiError> {
    let kind = DestinationKind::Github;
    let token = checked_token("token", required(&body.token, "token", kind)?)?;
    let repository = required(&body.repository, "repository", kind)?;
    let repository_ok = matches!(repository.split_once('/'), Some((owner, name))
        if !owner.is_empty() && !name.is_empty() && owner.len() <= 39 && name.len() <= 100
            && repository.chars().filter(|c| *c == '/').count() == 1
            && repository.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)));
    if !repository_ok {
        return Err(invalid(
            "repository",
            format!("`{repository}` is not `owner/name`"),
        ));
    }
    let assignees = body.assignees.clone().unwrap_or_default();
    if assignees.len() > 10
        || assignees.iter().any(|login| {
            login.is_empty()
                || login.len() > 39
                || !login.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    {
        return Err(invalid(
            "assignees",
            "`assignees` takes at most 10 GitHub logins",
        ));
    }
    let api_url = checked_base(
        state,
        "api_url",
        body.api_url.as_deref().unwrap_or("https://api.github.com"),
    )?;
    Ok(Target::Github(GithubRepository {
        api_url,
        repository: repository.clone(),
        token: cipher.seal(token, context),
        masked: mask_token(token),
        labels: checked_labels(body.labels.as_deref().unwrap_or_default(), 50)?,
        assignees,
    }))
}

/// The ticket target `body` describes, its token sealed under `context`.
pub(super) fn ticket_target(
    state: &AppState,
    cipher: &SecretCipher,
    context: &str,
    kind: DestinationKind,
    body: &CreateDestination,
) -> Result<Target, ApiError> {
    match kind {
        DestinationKind::Pagerduty => pagerduty(cipher, context, body),
        DestinationKind::Jira => jira(state, cipher, context, body),
        _ => github(state, cipher, context, body),
    }
}
