//! Scheduled exports: an export made again and again (by a cron pattern, or daily, weekly or
//! monthly at a local time) over a relative window ("the last 7 days"), delivered by email (a
//! link, or the file attached under a size limit), by webhook (`export.completed` names the
//! schedule and carries the link), or copied into the customer's own S3 bucket.

use super::export::ExportFilters;
use super::schedule::CronSchedule;
use super::{ExportScheduleId, TenantId};
use crate::exports::{Format, Resource};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The largest file attached to an email (SES takes 40 MB messages; base64 grows a file by a
/// third); larger ones are sent as a link.
pub const MAX_ATTACHMENT_BYTES: u64 = 10 * 1024 * 1024;

/// Where a finished scheduled export goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Delivery {
    /// An email through SES to 1–50 recipients: the file attached when it is at most 10 MiB
    /// (`attach`), a download link otherwise.
    Email {
        /// The addresses.
        recipients: Vec<String>,
        /// Attach the file when small enough (default true).
        #[serde(default = "yes")]
        attach: bool,
    },
    /// Only the `export.completed` event (with `schedule_id` and the link), for the endpoints
    /// subscribed to it.
    Webhook,
    /// A copy into the customer's bucket, under `prefix` (its bucket policy lets this
    /// deployment's `export` function role `s3:PutObject` there).
    S3 {
        /// The bucket's name.
        bucket: String,
        /// The key prefix, e.g. `faultline/exports/` (may be empty).
        #[serde(default)]
        prefix: String,
    },
}

fn yes() -> bool {
    true
}

impl Delivery {
    /// Checks the recipients, the bucket name and the prefix.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        match self {
            Self::Email { recipients, .. } => {
                if recipients.is_empty() || recipients.len() > crate::notify::email::MAX_RECIPIENTS
                {
                    return Err(("delivery.recipients", "1 to 50 recipients".into()));
                }
                if let Some(bad) = recipients
                    .iter()
                    .find(|r| r.parse::<lettre::message::Mailbox>().is_err())
                {
                    return Err((
                        "delivery.recipients",
                        format!("`{bad}` is not an email address"),
                    ));
                }
                Ok(())
            }
            Self::Webhook => Ok(()),
            Self::S3 { bucket, prefix } => {
                let valid = (3..=63).contains(&bucket.len())
                    && bucket.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'
                    })
                    && !bucket.starts_with(['-', '.'])
                    && !bucket.ends_with(['-', '.']);
                if !valid {
                    return Err((
                        "delivery.bucket",
                        format!("`{bucket}` is not an S3 bucket name"),
                    ));
                }
                if prefix.len() > 512 || prefix.starts_with('/') || prefix.contains("..") {
                    return Err((
                        "delivery.prefix",
                        "a relative key prefix of at most 512 characters".into(),
                    ));
                }
                Ok(())
            }
        }
    }
}

/// How often, as people say it; stored as the cron pattern it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Every {
    /// Every day at `at`.
    Day,
    /// Every week on `weekday` at `at`.
    Week,
    /// Every month on `day_of_month` at `at`.
    Month,
}

/// `every` with its time of day, weekday and day of month, as a cron pattern.
pub fn cron_for(
    every: Every,
    at: &str,
    weekday: Option<&str>,
    day_of_month: Option<u8>,
) -> Result<String, (&'static str, String)> {
    let (hour, minute) = at
        .split_once(':')
        .and_then(|(h, m)| Some((h.parse::<u8>().ok()?, m.parse::<u8>().ok()?)))
        .filter(|(h, m)| *h < 24 && *m < 60)
        .ok_or(("at", format!("`at` must be HH:MM, not `{at}`")))?;
    Ok(match every {
        Every::Day => format!("{minute} {hour} * * *"),
        Every::Week => {
            let day = weekday.unwrap_or("monday").to_ascii_lowercase();
            let short = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
                .into_iter()
                .find(|d| day.starts_with(d) && day.len() >= 3)
                .ok_or((
                    "weekday",
                    format!("`weekday` `{day}` is not a day of the week"),
                ))?;
            format!("{minute} {hour} * * {}", short.to_ascii_uppercase())
        }
        Every::Month => {
            let day = day_of_month.unwrap_or(1);
            if !(1..=28).contains(&day) {
                return Err(("day_of_month", "`day_of_month` must be 1 to 28".into()));
            }
            format!("{minute} {hour} {day} * *")
        }
    })
}

/// One scheduled export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportSchedule {
    /// `xsch_…`.
    pub id: ExportScheduleId,
    /// Whose.
    pub tenant_id: TenantId,
    /// Display name.
    pub name: String,
    /// What each run lists.
    pub resource: Resource,
    /// The file format.
    pub format: Format,
    /// The list's filters (the time range is the window's).
    pub filters: ExportFilters,
    /// The columns (none: the resource's defaults).
    pub columns: Vec<String>,
    /// CSV: a byte-order mark.
    #[serde(default)]
    pub bom: bool,
    /// When it runs: a five-field cron pattern…
    pub cron: String,
    /// …in this IANA time zone.
    pub time_zone: String,
    /// Each run covers the `window_days` days before it.
    pub window_days: u32,
    /// Where the file goes.
    pub delivery: Delivery,
    /// Disabled schedules do not run.
    pub enabled: bool,
    /// When it runs next (none while disabled).
    pub next_run_at: Option<DateTime<Utc>>,
    /// When it last ran.
    #[serde(default)]
    pub last_run_at: Option<DateTime<Utc>>,
    /// The export its last run made.
    #[serde(default)]
    pub last_export_id: Option<String>,
    /// Who made it (each run's exports are requested by the schedule on their behalf).
    pub created_by: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl ExportSchedule {
    /// Its cron pattern in its zone.
    pub fn schedule(&self) -> Result<CronSchedule, String> {
        CronSchedule::parse(&self.cron, &self.time_zone)
    }

    /// The next run strictly after `now` (none while disabled). Runs missed while the job was
    /// not running are not made up one by one: the run taken now stands for them all.
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !self.enabled {
            return None;
        }
        self.schedule().ok()?.next_after(now)
    }

    /// The filters of a run at `now`: the schedule's, over the window before it.
    pub fn filters_at(&self, now: DateTime<Utc>) -> ExportFilters {
        ExportFilters {
            since: Some(now - chrono::Duration::days(i64::from(self.window_days))),
            until: match self.resource {
                Resource::Incidents | Resource::Issues => Some(now),
                Resource::Messages | Resource::Audit => None,
            },
            ..self.filters.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cadences_become_cron_patterns() {
        assert_eq!(
            cron_for(Every::Day, "07:30", None, None),
            Ok("30 7 * * *".into())
        );
        assert_eq!(
            cron_for(Every::Week, "09:00", Some("Friday"), None),
            Ok("0 9 * * FRI".into())
        );
        assert_eq!(
            cron_for(Every::Month, "06:05", None, Some(15)),
            Ok("5 6 15 * *".into())
        );
        assert_eq!(
            cron_for(Every::Day, "25:00", None, None)
                .expect_err("refused")
                .0,
            "at"
        );
        assert_eq!(
            cron_for(Every::Week, "09:00", Some("someday"), None)
                .expect_err("refused")
                .0,
            "weekday"
        );
        assert_eq!(
            cron_for(Every::Month, "09:00", None, Some(31))
                .expect_err("refused")
                .0,
            "day_of_month"
        );
    }

    #[test]
    fn deliveries_are_checked() {
        let email = |r: &[&str]| Delivery::Email {
            recipients: r.iter().map(|s| (*s).to_owned()).collect(),
            attach: true,
        };
        assert!(email(&["ops@example.com"]).check().is_ok());
        assert_eq!(
            email(&[]).check().expect_err("refused").0,
            "delivery.recipients"
        );
        assert_eq!(
            email(&["not an address"]).check().expect_err("refused").0,
            "delivery.recipients"
        );
        let s3 = |bucket: &str, prefix: &str| Delivery::S3 {
            bucket: bucket.into(),
            prefix: prefix.into(),
        };
        assert!(s3("acme-reports", "faultline/").check().is_ok());
        assert_eq!(
            s3("Acme_Reports", "").check().expect_err("refused").0,
            "delivery.bucket"
        );
        assert_eq!(
            s3("acme-reports", "/absolute/")
                .check()
                .expect_err("refused")
                .0,
            "delivery.prefix"
        );
    }
}
