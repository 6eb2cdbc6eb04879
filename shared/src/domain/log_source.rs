//! Log sources: CloudWatch Logs groups the hub scans every minute for errors no webhook told it
//! about. Messages are grouped by their shape (see `crate::logs`), each group an issue.

use super::{LogSourceId, ProjectId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The filter pattern a log source uses unless told otherwise.
pub const DEFAULT_FILTER_PATTERN: &str = "?ERROR ?Exception ?Traceback";

/// One scanned log group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogSource {
    /// `lsrc_…`.
    pub id: LogSourceId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Display name.
    pub name: String,
    /// The log group: its name, or its ARN (its region is then the one read).
    pub log_group: String,
    /// A role in the group's account to assume for reading it (`logs:FilterLogEvents`).
    #[serde(default)]
    pub role_arn: Option<String>,
    /// The external id that role's trust policy asks for.
    #[serde(default)]
    pub external_id: Option<String>,
    /// CloudWatch Logs filter pattern syntax.
    pub filter_pattern: String,
    /// The project its issues belong to.
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    /// The service its issues name (default: the group's last path segment).
    #[serde(default)]
    pub service: Option<String>,
    /// The environment its issues name.
    #[serde(default)]
    pub environment: Option<String>,
    /// Disabled sources are not scanned.
    pub enabled: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl LogSource {
    /// The group's name, whether it was given as a name or an ARN.
    pub fn group_name(&self) -> &str {
        group_name(&self.log_group)
    }

    /// The service its issues name: as configured, or the group's last path segment
    /// (`/aws/lambda/checkout` → `checkout`).
    pub fn service_name(&self) -> String {
        self.service.clone().unwrap_or_else(|| {
            self.group_name()
                .rsplit('/')
                .find(|part| !part.is_empty())
                .unwrap_or(self.group_name())
                .to_owned()
        })
    }
}

/// A sample log line kept on an issue as evidence (`GET /v1/issues/{id}/evidence`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EvidenceLine {
    /// When it was logged.
    pub at: DateTime<Utc>,
    /// Its log group.
    pub log_group: String,
    /// Its stream.
    pub log_stream: String,
    /// CloudWatch's event id (of the record's first event).
    pub event_id: Option<String>,
    /// The record (several lines when reassembled), cut to 4 KiB.
    pub message: String,
}

/// Where a log source's scan stands: a durable checkpoint and the job's health.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LogScanState {
    /// Events up to this time (ms since the epoch) were read.
    #[serde(default)]
    pub checkpoint_ms: Option<i64>,
    /// The ids of the events read at exactly `checkpoint_ms`: the next window starts at that
    /// millisecond again (more may arrive there) and skips these.
    #[serde(default)]
    pub boundary_ids: Vec<String>,
    /// A window cut short: its end, and the `nextToken` of its next page.
    #[serde(default)]
    pub window: Option<ScanWindow>,
    /// The job's last outcomes.
    #[serde(default)]
    pub health: super::JobHealth,
}

/// A window of `FilterLogEvents` being read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanWindow {
    /// Its start (ms).
    pub start_ms: i64,
    /// Its end (ms, exclusive: now less the ingestion lag when it began).
    pub end_ms: i64,
    /// The token of the next page.
    pub next_token: Option<String>,
}

/// The region of a group given as an ARN.
pub fn group_region(group: &str) -> Option<&str> {
    let mut parts = group.split(':');
    (parts.next() == Some("arn"))
        .then(|| parts.nth(2))
        .flatten()
        .filter(|region| !region.is_empty())
}

/// Checks a role ARN: `arn:<partition>:iam::<account>:role/<path/name>`.
pub fn check_role_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5]
            .strip_prefix("role/")
            .is_some_and(|r| !r.is_empty());
    if ok {
        Ok(())
    } else {
        Err("must read `arn:aws:iam::<account>:role/<name>`".into())
    }
}

/// Checks an external id: 2 to 1,224 of `A-Z a-z 0-9 + = , . @ : / -` (STS's rule).
pub fn check_external_id(id: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c);
    if (2..=1224).contains(&id.len()) && id.chars().all(allowed) {
        Ok(())
    } else {
        Err("must be 2 to 1,224 letters, digits and `+ = , . @ : / - _`".into())
    }
}

/// `arn:aws:logs:<region>:<account>:log-group:<name>[:*]` → `<name>`; a name stays as it is.
pub fn group_name(group: &str) -> &str {
    match group.split_once(":log-group:") {
        Some((_, rest)) if group.starts_with("arn:") => rest.strip_suffix(":*").unwrap_or(rest),
        _ => group,
    }
}

/// Checks a log group name or ARN (CloudWatch's rules: 1–512 characters of letters, digits and
/// `_ - / . #`).
pub fn check_log_group(group: &str) -> Result<(), String> {
    if group.starts_with("arn:") {
        let parts: Vec<&str> = group.splitn(6, ':').collect();
        let well_formed = parts.len() == 6
            && parts[2] == "logs"
            && !parts[3].is_empty()
            && parts[4].len() == 12
            && parts[4].chars().all(|c| c.is_ascii_digit())
            && parts[5].starts_with("log-group:");
        if !well_formed {
            return Err(
                "an ARN must read `arn:aws:logs:<region>:<account>:log-group:<name>`".into(),
            );
        }
    }
    let name = group_name(group);
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_-/.#".contains(c);
    if name.is_empty() || name.len() > 512 || !name.chars().all(allowed) {
        return Err("a log group name is 1 to 512 letters, digits and `_ - / . #`".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_names_or_arns() {
        assert_eq!(check_log_group("/aws/lambda/checkout"), Ok(()));
        assert_eq!(
            check_log_group("arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/api:*"),
            Ok(())
        );
        assert_eq!(
            group_name("arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/api:*"),
            "/ecs/api"
        );
        for bad in ["", "has space", "arn:aws:s3:::bucket", "a*b"] {
            assert!(check_log_group(bad).is_err(), "{bad}");
        }
        assert_eq!(
            group_region("arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/api"),
            Some("eu-west-1")
        );
        assert_eq!(group_region("/ecs/api"), None);
        assert_eq!(
            check_role_arn("arn:aws:iam::123456789012:role/faultline-read"),
            Ok(())
        );
        assert!(check_role_arn("arn:aws:iam::123:role/x").is_err());
        assert!(check_role_arn("arn:aws:iam::123456789012:user/x").is_err());
        assert_eq!(check_external_id("faultline-ten_01"), Ok(()));
        assert!(check_external_id("x").is_err());
        assert!(check_external_id("no spaces here").is_err());
    }
}
