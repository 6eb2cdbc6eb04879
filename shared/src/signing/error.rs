//! Why a signed request was refused, for every scheme: shown to the caller (it names headers,
//! never a secret) and mapped to 401 at the edge.

/// A refused signature.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signature header is absent.
    #[error("missing {0}")]
    Missing(&'static str),
    /// No signature in the header matches the body.
    #[error("{0} does not match the body")]
    Mismatch(&'static str),
    /// A timestamp header is not a unix time.
    #[error("{0} is not a unix time")]
    BadTimestamp(&'static str),
    /// A timestamp is outside the freshness window (a replay, or clock skew).
    #[error("{header} is outside the {window_secs} s freshness window")]
    Stale {
        /// The timestamp's header.
        header: &'static str,
        /// The window, both ways.
        window_secs: i64,
    },
    /// The integration holds no secret to verify with.
    #[error("this integration has no secret to verify with")]
    NoSecret,
    /// An unsigned request the integration does not allow (the reason says how to allow it).
    #[error("{0}")]
    Unsigned(&'static str),
}

/// Whether `timestamp` (unix seconds) is within `window_secs` of `now`, without overflow on
/// extreme values.
pub fn is_fresh(timestamp: i64, now: i64, window_secs: i64) -> bool {
    now.checked_sub(timestamp)
        .and_then(i64::checked_abs)
        .is_some_and(|skew| skew <= window_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_is_both_ways_and_never_overflows() {
        assert!(is_fresh(1_000, 1_300, 300));
        assert!(is_fresh(1_300, 1_000, 300));
        assert!(!is_fresh(1_000, 1_301, 300));
        assert!(!is_fresh(i64::MIN, 1_000, 300));
        assert!(!is_fresh(i64::MAX, -1_000, 300));
    }
}
