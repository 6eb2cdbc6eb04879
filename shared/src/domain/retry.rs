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

#[cfg(test)]
mod tests {
    use super::*;

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
