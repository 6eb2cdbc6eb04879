//! Cron patterns in IANA time zones (DST-aware, through `croner` and `chrono-tz`): what
//! maintenance windows recur by and scheduled exports run by.

use chrono::{DateTime, Utc};
use std::str::FromStr;

/// A five-field cron pattern (minute hour day-of-month month day-of-week) in a time zone.
#[derive(Clone, Debug)]
pub struct CronSchedule {
    pattern: croner::Cron,
    zone: chrono_tz::Tz,
}

impl CronSchedule {
    /// Parses `cron` in `time_zone`, refusing a pattern without five fields, one that does not
    /// parse, an unknown zone, and a pattern that never matches.
    pub fn parse(cron: &str, time_zone: &str) -> Result<Self, String> {
        if cron.split_whitespace().count() != 5 {
            return Err(format!(
                "`cron` must have 5 fields (minute hour day-of-month month day-of-week), \
                 e.g. `0 2 * * SUN`; got `{cron}`"
            ));
        }
        let pattern = croner::Cron::from_str(cron)
            .map_err(|e| format!("`cron` `{cron}` does not parse: {e}"))?;
        let zone = chrono_tz::Tz::from_str(time_zone).map_err(|_| {
            format!("`time_zone` `{time_zone}` is not an IANA time zone (e.g. `Europe/Berlin`)")
        })?;
        let schedule = Self { pattern, zone };
        schedule
            .next_after(Utc::now())
            .ok_or_else(|| format!("`cron` `{cron}` never matches"))?;
        Ok(schedule)
    }

    /// The first match strictly after `now`.
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.pattern
            .find_next_occurrence(&now.with_timezone(&self.zone), false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The last match at or before `now`.
    pub fn latest_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.pattern
            .find_previous_occurrence(&now.with_timezone(&self.zone), true)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}
