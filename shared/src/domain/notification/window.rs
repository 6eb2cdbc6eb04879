//! Maintenance windows: times when matching notifications are held back (suppressed, then
//! re-evaluated when the window ends) or dropped. One-off or recurring (cron in a time zone).

use super::rule::{Matchers, Subject};
use crate::domain::schedule::CronSchedule;
use crate::domain::{IncidentStatus, MaintenanceWindowId, TenantId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A maintenance window.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MaintenanceWindow {
    /// Its id (`mw_…`).
    pub id: MaintenanceWindowId,
    /// Its owner.
    pub tenant_id: TenantId,
    /// What people call it.
    pub name: String,
    /// When it is in force.
    pub schedule: Schedule,
    /// What it holds back (the same matchers as rules; empty: everything).
    pub matchers: Matchers,
    /// What happens to what it holds back.
    pub strategy: Strategy,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

/// When a window is in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Schedule {
    /// Once, from `starts_at` to `ends_at`.
    OneOff {
        /// Start.
        starts_at: DateTime<Utc>,
        /// End.
        ends_at: DateTime<Utc>,
    },
    /// At every start of a 5-field cron pattern in an IANA time zone (so it follows the zone's
    /// daylight-saving changes), for `duration_minutes`.
    Recurring {
        /// E.g. `0 2 * * SUN`.
        cron: String,
        /// E.g. `Europe/Berlin`.
        time_zone: String,
        /// How long each occurrence lasts.
        duration_minutes: u32,
    },
}

/// What a window does to the notifications it holds back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Hold them, then look again when the window ends: what is still open is sent then, what
    /// resolved meanwhile is not (the ledger says so).
    Suppress,
    /// Drop them (the ledger says so).
    Drop,
}

/// Where a window stands now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowStatus {
    /// Starts later.
    Upcoming,
    /// In force.
    Active,
    /// Over for good (a one-off window after its end).
    Finished,
}

/// The longest recurring occurrence and one-off window.
pub const MAX_DURATION: Duration = Duration::days(31);

impl Schedule {
    /// Checks a schedule: a parseable 5-field cron pattern that ever matches, a known IANA zone,
    /// a duration of 1 minute to 31 days; a one-off window that ends after it starts and lasts at
    /// most 31 days.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Self::OneOff { starts_at, ends_at } => {
                if ends_at <= starts_at {
                    return Err("`ends_at` must be after `starts_at`".into());
                }
                if *ends_at - *starts_at > MAX_DURATION {
                    return Err("a one-off window lasts at most 31 days".into());
                }
                Ok(())
            }
            Self::Recurring {
                cron,
                time_zone,
                duration_minutes,
            } => {
                CronSchedule::parse(cron, time_zone)?;
                let minutes = i64::from(*duration_minutes);
                if minutes < 1 || Duration::minutes(minutes) > MAX_DURATION {
                    return Err("`duration_minutes` must be 1 to 44640 (31 days)".into());
                }
                Ok(())
            }
        }
    }

    /// The occurrence in force at `now`, as (start, end), if one is.
    pub fn active_at(&self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        match self {
            Self::OneOff { starts_at, ends_at } => {
                (*starts_at <= now && now < *ends_at).then_some((*starts_at, *ends_at))
            }
            Self::Recurring {
                cron,
                time_zone,
                duration_minutes,
            } => {
                let start = CronSchedule::parse(cron, time_zone)
                    .ok()?
                    .latest_until(now)?;
                let end = start + Duration::minutes(i64::from(*duration_minutes));
                (now < end).then_some((start, end))
            }
        }
    }

    /// The next occurrence's start after `now`, if there is one.
    pub fn next_start(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::OneOff { starts_at, .. } => (*starts_at > now).then_some(*starts_at),
            Self::Recurring {
                cron, time_zone, ..
            } => CronSchedule::parse(cron, time_zone).ok()?.next_after(now),
        }
    }

    /// Where it stands at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> WindowStatus {
        if self.active_at(now).is_some() {
            WindowStatus::Active
        } else if self.next_start(now).is_some() {
            WindowStatus::Upcoming
        } else {
            WindowStatus::Finished
        }
    }
}

/// What a window does to one notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WindowEffect {
    /// Nothing: no window holds it.
    Pass,
    /// Hold it and look again at `until` (the window's end).
    Suppress {
        /// The window's name.
        window: String,
        /// When it ends.
        until: DateTime<Utc>,
    },
    /// Drop it.
    Drop {
        /// The window's name.
        window: String,
    },
}

/// What the tenant's `windows` do at `now` to a notification about `subject`: acknowledgements and
/// resolves always pass; otherwise the first active matching window decides (a dropping one
/// before a suppressing one).
pub fn window_effect(
    windows: &[MaintenanceWindow],
    subject: &Subject<'_>,
    now: DateTime<Utc>,
) -> WindowEffect {
    if subject.incident.status != IncidentStatus::Open {
        return WindowEffect::Pass;
    }
    let mut effect = WindowEffect::Pass;
    for window in windows {
        let Some((_, until)) = window.schedule.active_at(now) else {
            continue;
        };
        if !window.matchers.matches(subject) {
            continue;
        }
        match window.strategy {
            Strategy::Drop => {
                return WindowEffect::Drop {
                    window: window.name.clone(),
                }
            }
            Strategy::Suppress => {
                let later =
                    matches!(&effect, WindowEffect::Suppress { until: u, .. } if *u >= until);
                if !later {
                    effect = WindowEffect::Suppress {
                        window: window.name.clone(),
                        until,
                    };
                }
            }
        }
    }
    effect
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("a time")
            .with_timezone(&Utc)
    }

    fn nightly_berlin() -> Schedule {
        Schedule::Recurring {
            cron: "0 1 * * *".into(),
            time_zone: "Europe/Berlin".into(),
            duration_minutes: 120,
        }
    }

    #[test]
    fn a_recurring_window_follows_local_time_across_a_daylight_saving_change() {
        let nightly = nightly_berlin();
        // Before the change (CET, UTC+1): 01:00–03:00 local is 00:00–02:00 UTC.
        assert_eq!(
            nightly.active_at(at("2026-03-28T00:30:00Z")),
            Some((at("2026-03-28T00:00:00Z"), at("2026-03-28T02:00:00Z")))
        );
        assert_eq!(nightly.active_at(at("2026-03-28T02:30:00Z")), None);
        // Clocks go forward on 29 March at 02:00 local, after that night's 01:00 (still CET):
        // 00:00 UTC. From the next night on, 01:00 CEST (UTC+2) is 23:00 UTC the day before.
        assert_eq!(
            nightly.active_at(at("2026-03-29T00:30:00Z")),
            Some((at("2026-03-29T00:00:00Z"), at("2026-03-29T02:00:00Z")))
        );
        assert_eq!(nightly.active_at(at("2026-03-29T02:30:00Z")), None);
        assert_eq!(
            nightly.next_start(at("2026-03-29T02:30:00Z")),
            Some(at("2026-03-29T23:00:00Z"))
        );
        assert_eq!(
            nightly.status(at("2026-03-29T02:30:00Z")),
            WindowStatus::Upcoming
        );
        assert_eq!(
            nightly.active_at(at("2026-03-29T23:30:00Z")),
            Some((at("2026-03-29T23:00:00Z"), at("2026-03-30T01:00:00Z")))
        );
        assert_eq!(nightly.active_at(at("2026-03-30T01:30:00Z")), None);
    }

    #[test]
    fn one_off_windows_are_upcoming_active_then_finished() {
        let once = Schedule::OneOff {
            starts_at: at("2026-12-01T10:00:00Z"),
            ends_at: at("2026-12-01T12:00:00Z"),
        };
        assert_eq!(
            once.status(at("2026-12-01T09:59:59Z")),
            WindowStatus::Upcoming
        );
        assert_eq!(
            once.status(at("2026-12-01T10:00:00Z")),
            WindowStatus::Active
        );
        assert_eq!(
            once.status(at("2026-12-01T12:00:00Z")),
            WindowStatus::Finished
        );
    }

    #[test]
    fn schedules_are_checked() {
        assert!(nightly_berlin().check().is_ok());
        for bad in [
            Schedule::Recurring {
                cron: "0 1 * *".into(),
                time_zone: "UTC".into(),
                duration_minutes: 60,
            },
            Schedule::Recurring {
                cron: "0 25 * * *".into(),
                time_zone: "UTC".into(),
                duration_minutes: 60,
            },
            Schedule::Recurring {
                cron: "0 1 * * *".into(),
                time_zone: "Mars/Olympus".into(),
                duration_minutes: 60,
            },
            Schedule::Recurring {
                cron: "0 1 * * *".into(),
                time_zone: "UTC".into(),
                duration_minutes: 0,
            },
            Schedule::OneOff {
                starts_at: at("2026-12-01T12:00:00Z"),
                ends_at: at("2026-12-01T10:00:00Z"),
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }
}
