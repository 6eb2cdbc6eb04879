//! Exports: a list (incidents, issues, the delivery ledger, the audit log) written to a file in
//! S3 by the `export` function, tracked as a job.

use super::{DeliveryStatus, EndpointId, EventType, ExportId, IncidentStatus, ProjectId};
use super::{Severity, SignalKind, Source, TenantId};
use crate::exports::{Format, Resource};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportStatus {
    /// Waiting for the `export` function.
    Queued,
    /// Being written.
    Running,
    /// Written: the file can be downloaded.
    Succeeded,
    /// Not written (`error` says why); nothing is left behind.
    Failed,
}

/// The filters of the list being exported: the list API's own, by name. Each resource takes
/// only its list's filters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportFilters {
    /// Incidents: `open`, `acknowledged`, `resolved`; messages: `pending`, `succeeded`,
    /// `failed`, `exhausted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Incidents: `critical`, `high`, `medium`, `low`, `info`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// Incidents: `generic`, `github`, `pagerduty`, `sentry`, `slack`, `cloudwatch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Incidents: `alert` or `issue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Incidents: the project (`prj_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// Incidents: the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Incidents: words the title contains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Every resource: created (opened, recorded) at or after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// Incidents: opened at or before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// Messages: the event type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// Messages: sent to this endpoint (`ep_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_id: Option<String>,
    /// Audit: the action (a route such as `PATCH /v1/endpoints/{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Audit: the actor (`key:…`, `user:…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Audit: the resource id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
}

/// A filter that does not belong to the resource or has a value it cannot take: its name and
/// what is wrong.
pub type FilterProblem = (&'static str, String);

fn parsed<T: serde::de::DeserializeOwned>(
    name: &'static str,
    value: &Option<String>,
    expected: &str,
) -> Result<(), FilterProblem> {
    match value {
        Some(v) if serde_json::from_value::<T>(serde_json::Value::String(v.clone())).is_err() => {
            Err((
                name,
                format!("`filters.{name}` must be {expected}, not `{v}`"),
            ))
        }
        _ => Ok(()),
    }
}

impl ExportFilters {
    /// The filters set, by name, as the PDF's cover lists them.
    pub fn describe(&self) -> Vec<String> {
        let value = serde_json::to_value(self).unwrap_or_default();
        value
            .as_object()
            .map(|fields| {
                fields
                    .iter()
                    .map(|(k, v)| {
                        format!("{k}={}", v.as_str().map_or(v.to_string(), str::to_owned))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Checks that every filter set belongs to `resource`'s list and has a value it takes.
    pub fn check(&self, resource: Resource) -> Result<(), FilterProblem> {
        let incident = matches!(resource, Resource::Incidents | Resource::Issues);
        let allowed = filters_of(resource);
        let value = serde_json::to_value(self).unwrap_or_default();
        if let Some(name) = value
            .as_object()
            .and_then(|fields| fields.keys().find(|k| !allowed.contains(&k.as_str())))
        {
            let name = allowed_name(name);
            return Err((
                name,
                format!(
                    "`filters.{name}` does not apply to {}; they take {}",
                    resource.as_str(),
                    allowed.join(", ")
                ),
            ));
        }
        if incident {
            parsed::<IncidentStatus>("status", &self.status, "open, acknowledged or resolved")?;
            parsed::<Severity>(
                "severity",
                &self.severity,
                "critical, high, medium, low or info",
            )?;
            parsed::<Source>("source", &self.source, "a source such as sentry")?;
            parsed::<SignalKind>("kind", &self.kind, "alert or issue")?;
            if let Some(p) = &self.project_id {
                ProjectId::parse(p).ok_or((
                    "project_id",
                    format!("`filters.project_id` `{p}` is not a project id"),
                ))?;
            }
        }
        if resource == Resource::Messages {
            parsed::<DeliveryStatus>(
                "status",
                &self.status,
                "pending, succeeded, failed or exhausted",
            )?;
            if let Some(t) = &self.event_type {
                EventType::parse(t).ok_or((
                    "event_type",
                    format!("`filters.event_type` `{t}` is not an event type"),
                ))?;
            }
            if let Some(e) = &self.endpoint_id {
                EndpointId::parse(e).ok_or((
                    "endpoint_id",
                    format!("`filters.endpoint_id` `{e}` is not an endpoint id"),
                ))?;
            }
        }
        if let (Some(since), Some(until)) = (self.since, self.until) {
            if until < since {
                return Err(("until", "`filters.until` is before `filters.since`".into()));
            }
        }
        Ok(())
    }
}

/// The filters `resource`'s list takes.
fn filters_of(resource: Resource) -> &'static [&'static str] {
    match resource {
        Resource::Incidents => &[
            "status",
            "severity",
            "source",
            "kind",
            "project_id",
            "service",
            "q",
            "since",
            "until",
        ],
        Resource::Issues => &[
            "status",
            "severity",
            "project_id",
            "service",
            "q",
            "since",
            "until",
        ],
        Resource::Messages => &["status", "event_type", "endpoint_id", "since"],
        Resource::Audit => &["action", "actor", "resource_id", "since"],
    }
}

/// A filter's name as a static string, for the problem's field.
fn allowed_name(name: &str) -> &'static str {
    [Resource::Incidents, Resource::Messages, Resource::Audit]
        .into_iter()
        .flat_map(filters_of)
        .copied()
        .find(|n| *n == name)
        .unwrap_or("filters")
}

/// One export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportJob {
    /// `exp_…`.
    pub id: ExportId,
    /// Whose.
    pub tenant_id: TenantId,
    /// What it lists.
    pub resource: Resource,
    /// The file format.
    pub format: Format,
    /// The list's filters.
    pub filters: ExportFilters,
    /// The columns, in order (the resource's defaults when none were named).
    pub columns: Vec<String>,
    /// CSV: start with a UTF-8 byte-order mark.
    #[serde(default)]
    pub bom: bool,
    /// The PDF's title (default: the resource and the date).
    #[serde(default)]
    pub title: Option<String>,
    /// Where it is.
    pub status: ExportStatus,
    /// Rows written.
    #[serde(default)]
    pub rows: u64,
    /// The file's size.
    #[serde(default)]
    pub bytes: u64,
    /// The S3 key of the file, once written.
    #[serde(default)]
    pub object_key: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<String>,
    /// How many times the `export` function started on it.
    #[serde(default)]
    pub attempts: u32,
    /// Who asked for it (`key:…`, `user:…`, or the schedule).
    pub requested_by: String,
    /// The schedule that made it, if one did.
    #[serde(default)]
    pub schedule_id: Option<String>,
    /// How a scheduled export was delivered (emailed, copied), or why it was not.
    #[serde(default)]
    pub delivery: Option<String>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When the `export` function started on it (the last time, if it was retried).
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// When it succeeded or failed.
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
}

impl ExportJob {
    /// The name the download is saved under: `incidents-2026-12-07-exp_….csv`.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}.{}",
            self.resource.as_str(),
            self.created_at.format("%Y-%m-%d"),
            self.id,
            self.format.extension()
        )
    }

    /// The S3 key its file is written to.
    pub fn object_key_for(&self) -> String {
        format!("exports/{}/{}", self.tenant_id, self.file_name())
    }

    /// The PDF's title.
    pub fn heading_title(&self) -> String {
        self.title.clone().unwrap_or_else(|| {
            let mut name = self.resource.as_str().to_owned();
            name[..1].make_ascii_uppercase();
            format!(
                "{name} — exported {}",
                self.created_at.format("%Y-%m-%d %H:%M UTC")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_of_another_list_is_refused_by_name() {
        let filters = ExportFilters {
            action: Some("POST /v1/endpoints".into()),
            ..Default::default()
        };
        let (field, message) = filters.check(Resource::Incidents).expect_err("refused");
        assert_eq!(field, "action");
        assert!(message.contains("does not apply to incidents"), "{message}");
        assert!(filters.check(Resource::Audit).is_ok());
    }

    #[test]
    fn values_are_checked_against_the_resource_s_own_vocabulary() {
        let delivery_status = ExportFilters {
            status: Some("exhausted".into()),
            ..Default::default()
        };
        assert!(delivery_status.check(Resource::Messages).is_ok());
        let (field, _) = delivery_status
            .check(Resource::Incidents)
            .expect_err("refused");
        assert_eq!(field, "status");
        let bad_type = ExportFilters {
            event_type: Some("incident.exploded".into()),
            ..Default::default()
        };
        assert_eq!(
            bad_type.check(Resource::Messages).expect_err("refused").0,
            "event_type"
        );
    }

    #[test]
    fn issues_take_no_kind_or_source_filter() {
        let kind = ExportFilters {
            kind: Some("alert".into()),
            ..Default::default()
        };
        assert_eq!(kind.check(Resource::Issues).expect_err("refused").0, "kind");
    }
}
