//! A person's notification preferences: the least severity worth telling them at once, quiet
//! hours, and a daily or weekly digest (optionally instead of individual messages).

use crate::domain::Severity;
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// What a user wants to hear, and when.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// Only incidents this severe or worse are told at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<Severity>,
    /// Hours when nothing is told at once; what comes is held until they end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHours>,
    /// A digest of the period's incidents, by email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// Nothing at once: only the digest.
    #[serde(default)]
    pub digest_only: bool,
}

/// Daily quiet hours in a time zone (`22:00`–`07:00` spans midnight).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// `HH:MM`, local.
    pub start: String,
    /// `HH:MM`, local.
    pub end: String,
    /// An IANA zone.
    pub time_zone: String,
}

/// How often a digest goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestEvery {
    /// Every day.
    Daily,
    /// Every week, on `weekday`.
    Weekly,
}

/// When a digest goes out: at `hour` local time, every day or every week on `weekday`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Digest {
    /// Daily or weekly.
    pub every: DigestEvery,
    /// The local hour, 0 to 23.
    pub hour: u32,
    /// For a weekly digest: `mon` … `sun` (default `mon`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekday: Option<String>,
    /// An IANA zone.
    pub time_zone: String,
}

fn zone(name: &str) -> Result<chrono_tz::Tz, String> {
    chrono_tz::Tz::from_str(name)
        .map_err(|_| format!("`{name}` is not an IANA time zone (e.g. `Europe/Berlin`)"))
}

fn clock_time(text: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(text, "%H:%M").map_err(|_| format!("`{text}` is not a time `HH:MM`"))
}

fn weekday(name: &str) -> Result<Weekday, String> {
    Weekday::from_str(name).map_err(|_| format!("`{name}` is not a weekday (`mon` … `sun`)"))
}

/// The first instant at or after local `date` + `time` in `tz` (a time skipped by a clock change
/// moves to the next hour that exists).
fn local_instant(tz: chrono_tz::Tz, date: chrono::NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let mut at = date.and_time(time);
    for _ in 0..3 {
        if let Some(t) = tz.from_local_datetime(&at).earliest() {
            return t.with_timezone(&Utc);
        }
        at += Duration::hours(1);
    }
    Utc.from_utc_datetime(&date.and_time(time))
}

impl Preferences {
    /// Checks every field: known zones, `HH:MM` times, an hour of 0 to 23, a weekday name.
    pub fn check(&self) -> Result<(), (String, String)> {
        if let Some(quiet) = &self.quiet_hours {
            let field = |e: String| ("quiet_hours".to_owned(), e);
            zone(&quiet.time_zone).map_err(field)?;
            let (start, end) = (
                clock_time(&quiet.start).map_err(field)?,
                clock_time(&quiet.end).map_err(field)?,
            );
            if start == end {
                return Err(field("`start` and `end` must differ".into()));
            }
        }
        if let Some(digest) = &self.digest {
            let field = |e: String| ("digest".to_owned(), e);
            zone(&digest.time_zone).map_err(field)?;
            if digest.hour > 23 {
                return Err(field("`hour` must be 0 to 23".into()));
            }
            if let Some(day) = &digest.weekday {
                weekday(day).map_err(field)?;
            }
        }
        if self.digest_only && self.digest.is_none() {
            return Err((
                "digest_only".into(),
                "`digest_only` needs a `digest`".into(),
            ));
        }
        Ok(())
    }
}

impl QuietHours {
    /// When the quiet hours in force at `now` end, if they are in force.
    pub fn active_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let tz = zone(&self.time_zone).ok()?;
        let (start, end) = (clock_time(&self.start).ok()?, clock_time(&self.end).ok()?);
        let local = now.with_timezone(&tz);
        let today = local.date_naive();
        // The quiet period that started most recently (today's, or yesterday's across midnight).
        for start_day in [today, today.pred_opt()?] {
            let starts = local_instant(tz, start_day, start);
            let end_day = if end > start {
                start_day
            } else {
                start_day.succ_opt()?
            };
            let ends = local_instant(tz, end_day, end);
            if starts <= now && now < ends {
                return Some(ends);
            }
        }
        None
    }
}

impl Digest {
    /// How long one digest covers.
    pub fn period(&self) -> Duration {
        match self.every {
            DigestEvery::Daily => Duration::days(1),
            DigestEvery::Weekly => Duration::weeks(1),
        }
    }

    /// The first time a digest is due strictly after `now`.
    pub fn next_after(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let Ok(tz) = zone(&self.time_zone) else {
            return now + self.period();
        };
        let at = NaiveTime::from_hms_opt(self.hour.min(23), 0, 0).unwrap_or_default();
        let on = self
            .weekday
            .as_deref()
            .and_then(|d| weekday(d).ok())
            .unwrap_or(Weekday::Mon);
        let mut day = now.with_timezone(&tz).date_naive();
        for _ in 0..15 {
            let candidate = local_instant(tz, day, at);
            let right_day = self.every == DigestEvery::Daily || day.weekday() == on;
            if right_day && candidate > now {
                return candidate;
            }
            day = day.succ_opt().unwrap_or(day);
        }
        now + self.period()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("a time")
            .with_timezone(&Utc)
    }

    #[test]
    fn quiet_hours_span_midnight_in_their_zone() {
        let quiet = QuietHours {
            start: "22:00".into(),
            end: "07:00".into(),
            time_zone: "Europe/Berlin".into(),
        };
        // 23:30 and 02:00 Berlin (CET, UTC+1) are quiet until 07:00 Berlin, 06:00 UTC.
        assert_eq!(
            quiet.active_until(at("2026-12-07T22:30:00Z")),
            Some(at("2026-12-08T06:00:00Z"))
        );
        assert_eq!(
            quiet.active_until(at("2026-12-08T01:00:00Z")),
            Some(at("2026-12-08T06:00:00Z"))
        );
        assert_eq!(quiet.active_until(at("2026-12-08T06:00:00Z")), None);
        assert_eq!(quiet.active_until(at("2026-12-08T12:00:00Z")), None);
    }

    #[test]
    fn digests_fall_due_at_their_local_hour() {
        let daily = Digest {
            every: DigestEvery::Daily,
            hour: 8,
            weekday: None,
            time_zone: "America/New_York".into(),
        };
        // 08:00 in New York (EST, UTC-5) is 13:00 UTC.
        assert_eq!(
            daily.next_after(at("2026-12-07T12:00:00Z")),
            at("2026-12-07T13:00:00Z")
        );
        assert_eq!(
            daily.next_after(at("2026-12-07T13:00:00Z")),
            at("2026-12-08T13:00:00Z")
        );
        let weekly = Digest {
            every: DigestEvery::Weekly,
            weekday: Some("fri".into()),
            ..daily
        };
        // 7 December 2026 is a Monday: the Friday after.
        assert_eq!(
            weekly.next_after(at("2026-12-07T12:00:00Z")),
            at("2026-12-11T13:00:00Z")
        );
    }

    #[test]
    fn preferences_are_checked() {
        let bad_zone = Preferences {
            quiet_hours: Some(QuietHours {
                start: "22:00".into(),
                end: "07:00".into(),
                time_zone: "Nowhere".into(),
            }),
            ..Preferences::default()
        };
        assert_eq!(
            bad_zone.check().map_err(|(f, _)| f),
            Err("quiet_hours".into())
        );
        let digest_only = Preferences {
            digest_only: true,
            ..Preferences::default()
        };
        assert_eq!(
            digest_only.check().map_err(|(f, _)| f),
            Err("digest_only".into())
        );
    }
}
