//! Why a delivery attempt failed, classified once where it happens; the ledger keeps its
//! `error_kind` and text, and the retry decision reads its [`FailureClass`].

use super::retry::FailureClass;

/// How one attempt failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No response within the timeout.
    Timeout {
        /// The timeout, in seconds.
        after_secs: u64,
    },
    /// The connection could not be made.
    Connect,
    /// The address or URL is not allowed (the SSRF guard or the URL policy said why).
    Refused(String),
    /// A redirect, never followed.
    Redirect {
        /// The status.
        status: u16,
        /// Where it pointed.
        location: Option<String>,
    },
    /// The receiver answered a status that is not 2xx or 3xx.
    Status(u16),
    /// The message is over the payload limit: not sent, and retrying cannot help.
    PayloadTooLarge {
        /// The body's size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Another transport error.
    Request(String),
}

impl Failure {
    /// The ledger's `error_kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Timeout { .. } => "timeout",
            Self::Connect => "connect",
            Self::Refused(_) => "refused",
            Self::Redirect { .. } => "redirect",
            Self::Status(_) => "status",
            Self::PayloadTooLarge { .. } => PAYLOAD_TOO_LARGE,
            Self::Request(_) => "request",
        }
    }

    /// The ledger's `error` text.
    pub fn describe(&self) -> String {
        match self {
            Self::Timeout { after_secs } => format!("timeout: no response within {after_secs} s"),
            Self::Connect => "connection failed".to_owned(),
            Self::Refused(reason) => reason.clone(),
            Self::Redirect { status, location } => format!(
                "redirect {status} not followed{}",
                location
                    .as_deref()
                    .map(|l| format!(" (to {l})"))
                    .unwrap_or_default()
            ),
            Self::Status(status) => format!("endpoint answered HTTP {status}"),
            Self::PayloadTooLarge { bytes, limit } => format!(
                "the message body is {bytes} bytes, over the payload limit of {limit} bytes"
            ),
            Self::Request(cause) => format!("request failed: {cause}"),
        }
    }

    /// How back-off treats it: a gone endpoint is not retried, an overloaded one waits longer,
    /// a message over the limit is exhausted at once.
    pub fn class(&self) -> FailureClass {
        match self {
            Self::Status(410) => FailureClass::Gone,
            Self::Status(429 | 502 | 503 | 504) | Self::Timeout { .. } => FailureClass::Throttled,
            Self::PayloadTooLarge { .. } => FailureClass::Permanent,
            _ => FailureClass::Other,
        }
    }

    /// The failure a response status means, if it is one (2xx is success).
    pub fn of_status(status: u16, location: Option<String>) -> Option<Self> {
        match status {
            200..=299 => None,
            300..=399 => Some(Self::Redirect { status, location }),
            other => Some(Self::Status(other)),
        }
    }
}

/// The `error_kind` of a message over the payload limit: exhausted at once (retrying cannot help);
/// `POST /v1/messages/{id}/retry` sends it after the limit is raised.
pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_once() {
        assert_eq!(Failure::of_status(204, None), None);
        assert_eq!(Failure::Status(410).class(), FailureClass::Gone);
        for code in [429, 502, 503, 504] {
            assert_eq!(Failure::Status(code).class(), FailureClass::Throttled);
        }
        assert_eq!(
            Failure::Timeout { after_secs: 15 }.class(),
            FailureClass::Throttled
        );
        assert_eq!(Failure::Connect.class(), FailureClass::Other);
        assert_eq!(Failure::Status(500).class(), FailureClass::Other);
        let redirect = Failure::of_status(301, Some("https://elsewhere".into())).expect("failure");
        assert_eq!(redirect.class(), FailureClass::Other);
        assert_eq!(redirect.kind(), "redirect");
        assert_eq!(
            redirect.describe(),
            "redirect 301 not followed (to https://elsewhere)"
        );
        let large = Failure::PayloadTooLarge {
            bytes: 300_000,
            limit: 262_144,
        };
        assert_eq!(
            (large.class(), large.kind()),
            (FailureClass::Permanent, "payload_too_large")
        );
        assert_eq!(Failure::Refused("address refused".into()).kind(), "refused");
    }
}
