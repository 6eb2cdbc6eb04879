//! Identifier newtypes. Each is a type prefix plus a ULID (`inc_01J…`), so ids sort by creation
//! time, say what they name in logs, and cannot be passed where another kind is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The type prefix, without the underscore.
            pub const PREFIX: &'static str = $prefix;

            /// A fresh, time-ordered id.
            pub fn generate() -> Self {
                Self(format!("{}_{}", $prefix, ulid::Ulid::new()))
            }

            /// Accepts an id only if it has this type's prefix and a well-formed ULID, so that a
            /// malformed id from a URL is "not found" without a database round trip.
            pub fn parse(value: &str) -> Option<Self> {
                let rest = value.strip_prefix($prefix)?.strip_prefix('_')?;
                ulid::Ulid::from_string(rest).ok()?;
                Some(Self(value.to_owned()))
            }

            /// The id as stored and shown.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

define_id!(
    /// A tenant: the unit of isolation. Comes only from a verified credential.
    TenantId,
    "ten"
);
define_id!(
    /// An inbound integration (one webhook URL per integration).
    IntegrationId,
    "int"
);
define_id!(
    /// An incident.
    IncidentId,
    "inc"
);
define_id!(
    /// A project's Sentry configuration for one environment.
    SentryConfigId,
    "scfg"
);
define_id!(
    /// A person who signs in with a password.
    UserId,
    "usr"
);
define_id!(
    /// A project: groups integrations, incidents and Sentry configuration.
    ProjectId,
    "prj"
);
define_id!(
    /// A place notifications go: a Slack or Teams channel, or mailboxes.
    DestinationId,
    "dst"
);
define_id!(
    /// A notification routing rule.
    NotificationRuleId,
    "nrl"
);
define_id!(
    /// A maintenance window.
    MaintenanceWindowId,
    "mw"
);
define_id!(
    /// One notification attempt in the ledger.
    NotificationId,
    "ntf"
);
define_id!(
    /// A subscribed webhook endpoint.
    EndpointId,
    "ep"
);
define_id!(
    /// A merged change in the tenant's change log.
    DeployId,
    "chg"
);
define_id!(
    /// An accepted inbound webhook delivery (its archived request can be replayed).
    DeliveryId,
    "dlv"
);
define_id!(
    /// A domain event.
    EventId,
    "evt"
);
define_id!(
    /// A CloudWatch Logs group the hub scans for errors.
    LogSourceId,
    "lsrc"
);
define_id!(
    /// An export: a file of a list, written by the `export` function.
    ExportId,
    "exp"
);
define_id!(
    /// A scheduled export.
    ExportScheduleId,
    "xsch"
);
define_id!(
    /// A registered third-party application (OAuth 2.0 client): its id is the `client_id`.
    OAuthAppId,
    "app"
);
define_id!(
    /// An outgoing message: one per domain event, sent to every subscribed endpoint with the same
    /// `webhook-id`.
    MessageId,
    "msg"
);

impl IntegrationId {
    /// What a scheduled job ingests under: a Sentry configuration's or a log source's id stands
    /// for the integration on the incidents it opens (they came through no webhook).
    pub fn standing_for(job: &impl fmt::Display) -> Self {
        Self(job.to_string())
    }
}

impl MessageId {
    /// The message carrying a given event: deterministic, so a redelivered event never creates a
    /// second message.
    pub fn for_event(event: &EventId) -> Self {
        let ulid = event.as_str().trim_start_matches("evt_");
        Self(format!("msg_{ulid}"))
    }
}

/// The public part of an API key (`sk_<id>_<secret>`); also the key's id in the API.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApiKeyId(String);

impl ApiKeyId {
    /// Length of the random public prefix.
    pub const LEN: usize = 12;

    /// A fresh random key id of lowercase letters and digits.
    pub fn generate() -> Self {
        use rand::Rng;
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::rng();
        let id = (0..Self::LEN)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect();
        Self(id)
    }

    /// Accepts only the shape `generate` produces.
    pub fn parse(value: &str) -> Option<Self> {
        let ok = value.len() == Self::LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        ok.then(|| Self(value.to_owned()))
    }

    /// The id as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApiKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_carry_their_prefix() {
        let id = IncidentId::generate();
        assert!(id.as_str().starts_with("inc_"));
        assert_eq!(IncidentId::parse(id.as_str()), Some(id));
    }

    #[test]
    fn ids_of_another_kind_or_malformed_are_refused() {
        let endpoint = EndpointId::generate();
        assert_eq!(IncidentId::parse(endpoint.as_str()), None);
        assert_eq!(IncidentId::parse("inc_not-a-ulid"), None);
        assert_eq!(IncidentId::parse("inc"), None);
    }

    #[test]
    fn message_id_is_derived_from_the_event_id() {
        let event = EventId::generate();
        let message = MessageId::for_event(&event);
        assert_eq!(MessageId::for_event(&event), message);
        assert!(MessageId::parse(message.as_str()).is_some());
    }

    #[test]
    fn api_key_ids_are_lowercase_alphanumeric() {
        let id = ApiKeyId::generate();
        assert_eq!(ApiKeyId::parse(id.as_str()), Some(id));
        assert_eq!(ApiKeyId::parse("ABCDEFGHIJKL"), None);
        assert_eq!(ApiKeyId::parse("short"), None);
    }
}
