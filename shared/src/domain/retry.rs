//! When to try a failed delivery again.

use rand::Rng;
use std::time::Duration;

/// Delays before each retry; after the last one the message is exhausted.
/// The default is Svix's: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (8 attempts over ~27.6 h).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrySchedule {
    delays: Vec<Duration>,
    jitter: bool,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        Self::from_secs(&[5, 300, 1800, 7200, 18000, 36000, 36000])
    }
}

impl RetrySchedule {
    /// Relative spread of the jitter: ±20 %, so endpoints that fail together are not retried in
    /// lockstep.
    pub const JITTER: f64 = 0.2;

    /// A schedule from whole seconds, with jitter.
    pub fn from_secs(secs: &[u64]) -> Self {
        Self {
            delays: secs.iter().copied().map(Duration::from_secs).collect(),
            jitter: true,
        }
    }

    /// Parses comma-separated seconds (`"1,2,4"`), as `FAULTLINE_RETRY_SCHEDULE` gives them.
    pub fn parse(text: &str) -> Result<Self, String> {
        let secs = text
            .split(',')
            .map(|part| {
                part.trim()
                    .parse::<u64>()
                    .map_err(|_| format!("`{part}` is not a whole number of seconds"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::from_secs(&secs))
    }

    /// Other delays (whole seconds), jittered as this schedule is: a tenant's own schedule.
    pub fn with_delays(&self, secs: &[u64]) -> Self {
        Self {
            jitter: self.jitter,
            ..Self::from_secs(secs)
        }
    }

    /// The delays in whole seconds.
    pub fn delays_secs(&self) -> Vec<u64> {
        self.delays.iter().map(Duration::as_secs).collect()
    }

    /// Checks a tenant's schedule: 1 to 20 retries, each 1 s to 7 days.
    pub fn check_tenant_delays(secs: &[u64]) -> Result<(), String> {
        if secs.is_empty() || secs.len() > 20 {
            return Err("must list 1 to 20 delays (seconds)".into());
        }
        if let Some(bad) = secs.iter().find(|d| !(1..=604_800).contains(*d)) {
            return Err(format!(
                "has {bad}: each delay must be 1 to 604800 seconds (7 days)"
            ));
        }
        Ok(())
    }

    /// The same delays without jitter (for tests that assert exact times).
    pub fn without_jitter(mut self) -> Self {
        self.jitter = false;
        self
    }

    /// How many attempts a message gets in all.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.delays.len()).unwrap_or(u32::MAX - 1) + 1
    }

    /// The wait after attempt `attempts_made` failed, or `None` when that was the last one.
    pub fn next_delay(&self, attempts_made: u32) -> Option<Duration> {
        let index = usize::try_from(attempts_made).ok()?.checked_sub(1)?;
        let base = *self.delays.get(index)?;
        if !self.jitter || base.is_zero() {
            return Some(base);
        }
        let factor = rand::rng().random_range((1.0 - Self::JITTER)..=(1.0 + Self::JITTER));
        Some(base.mul_f64(factor))
    }
}

/// How a failed attempt failed, as far as back-off is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureClass {
    /// The receiver is overloaded or briefly down: 429, 502, 503, 504, or no answer in time.
    Throttled,
    /// 410 Gone: the receiver says the endpoint no longer exists.
    Gone,
    /// Anything else (other statuses, redirects, connection errors).
    Other,
    /// Not sent, and retrying cannot help (the message is over the payload limit); not the
    /// endpoint's fault.
    Permanent,
}

/// The least back-off after a throttled attempt.
pub const THROTTLED_MIN_DELAY: Duration = Duration::from_secs(60);

impl RetrySchedule {
    /// The wait after attempt `attempts_made` failed as `class`, or `None` for no retry: the
    /// schedule's delay, except that a gone endpoint is not retried, and a throttled one waits at
    /// least 60 s and honours `Retry-After`, clamped to twice the scheduled delay so a receiver
    /// cannot park a message for days.
    pub fn delay_after_failure(
        &self,
        attempts_made: u32,
        class: FailureClass,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        let scheduled = self.next_delay(attempts_made)?;
        match class {
            FailureClass::Gone | FailureClass::Permanent => None,
            FailureClass::Other => Some(scheduled),
            FailureClass::Throttled => {
                let wanted = retry_after.map_or(scheduled, |asked| asked.min(scheduled * 2));
                Some(wanted.max(THROTTLED_MIN_DELAY))
            }
        }
    }
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP date, relative to `now`.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    (at.with_timezone(&chrono::Utc) - now).to_std().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttled_attempts_wait_at_least_a_minute_and_honour_retry_after_within_twice_the_schedule()
    {
        let schedule = RetrySchedule::from_secs(&[5, 300, 1800]).without_jitter();
        let throttled = |attempt, retry_after: Option<u64>| {
            schedule
                .delay_after_failure(
                    attempt,
                    FailureClass::Throttled,
                    retry_after.map(Duration::from_secs),
                )
                .map(|d| d.as_secs())
        };
        assert_eq!(
            throttled(1, None),
            Some(60),
            "5 s scheduled, but at least 60 s"
        );
        assert_eq!(throttled(2, None), Some(300));
        assert_eq!(throttled(2, Some(420)), Some(420), "Retry-After honoured");
        assert_eq!(
            throttled(2, Some(86_400)),
            Some(600),
            "clamped to twice the scheduled delay"
        );
        assert_eq!(throttled(2, Some(1)), Some(60), "never under a minute");
        assert_eq!(throttled(4, Some(10)), None, "out of attempts");
    }

    #[test]
    fn gone_is_never_retried_and_other_failures_follow_the_schedule() {
        let schedule = RetrySchedule::from_secs(&[5, 300]).without_jitter();
        assert_eq!(
            schedule.delay_after_failure(1, FailureClass::Gone, None),
            None
        );
        assert_eq!(
            schedule.delay_after_failure(1, FailureClass::Other, Some(Duration::from_secs(999))),
            Some(Duration::from_secs(5))
        );
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            None,
            "a date in the past"
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn default_schedule_is_svix_like_with_eight_attempts() {
        let schedule = RetrySchedule::default().without_jitter();
        assert_eq!(schedule.max_attempts(), 8);
        assert_eq!(schedule.next_delay(1), Some(Duration::from_secs(5)));
        assert_eq!(schedule.next_delay(2), Some(Duration::from_secs(300)));
        assert_eq!(schedule.next_delay(7), Some(Duration::from_secs(36000)));
        assert_eq!(schedule.next_delay(8), None);
        assert_eq!(schedule.next_delay(0), None);
    }

    #[test]
    fn parses_comma_separated_seconds() {
        let schedule = RetrySchedule::parse("1, 2,4")
            .expect("valid")
            .without_jitter();
        assert_eq!(schedule.max_attempts(), 4);
        assert_eq!(schedule.next_delay(3), Some(Duration::from_secs(4)));
        assert!(RetrySchedule::parse("1,two").is_err());
        assert!(RetrySchedule::parse("").is_err());
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let schedule = RetrySchedule::from_secs(&[100]);
        for _ in 0..1000 {
            let delay = schedule.next_delay(1).expect("has a retry").as_secs_f64();
            assert!((80.0..=120.0).contains(&delay), "{delay}");
        }
    }
}
