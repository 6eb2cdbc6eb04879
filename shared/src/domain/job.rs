//! How a scheduled job (a Sentry sync, a log scan) is doing: shown on its configuration, and the
//! reason it tells people when it keeps failing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Failed runs in a row after which the job says so with a `system.error` or `system.warning`
/// event (once per streak, not once per run).
pub const FAILURES_BEFORE_ALARM: u32 = 3;

/// Why a run failed, which decides how loudly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobFailure {
    /// Needs a person: a bad token, a missing log group, no permission (`system.error`).
    Broken,
    /// Passing trouble: throttled for a whole run, the provider answering 5xx (`system.warning`).
    Degraded,
}

/// The last outcomes of a job.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JobHealth {
    /// When it last ran.
    #[serde(default)]
    pub last_run_at: Option<DateTime<Utc>>,
    /// When a run last finished without error.
    #[serde(default)]
    pub last_success_at: Option<DateTime<Utc>>,
    /// What the last failed run said (never a secret).
    #[serde(default)]
    pub last_error: Option<String>,
    /// When that was.
    #[serde(default)]
    pub last_error_at: Option<DateTime<Utc>>,
    /// Failed runs since the last success.
    #[serde(default)]
    pub consecutive_failures: u32,
}

impl JobHealth {
    /// Records a successful run.
    pub fn succeeded(&mut self, now: DateTime<Utc>) {
        self.last_run_at = Some(now);
        self.last_success_at = Some(now);
        self.consecutive_failures = 0;
    }

    /// Records a failed run; true when this failure is the one that should raise the alarm.
    pub fn failed(&mut self, now: DateTime<Utc>, error: String) -> bool {
        self.last_run_at = Some(now);
        self.last_error = Some(error);
        self.last_error_at = Some(now);
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        self.consecutive_failures == FAILURES_BEFORE_ALARM
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alarm_is_raised_once_per_streak_and_a_success_ends_it() {
        let now = Utc::now();
        let mut health = JobHealth::default();
        let alarms: Vec<bool> = (0..5)
            .map(|_| health.failed(now, "401 from Sentry".into()))
            .collect();
        assert_eq!(alarms, [false, false, true, false, false]);
        assert_eq!(health.last_error.as_deref(), Some("401 from Sentry"));
        health.succeeded(now);
        assert_eq!(health.consecutive_failures, 0);
        assert_eq!(health.last_success_at, Some(now));
        assert_eq!(health.last_error.as_deref(), Some("401 from Sentry"));
        assert!(!health.failed(now, "again".into()));
    }
}
