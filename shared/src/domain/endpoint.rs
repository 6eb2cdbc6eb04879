//! Subscribed webhook endpoints and the rules their URLs must follow.

pub use super::url_policy::{refused_ip_reason, EndpointUrl, UrlPolicy};
use super::{EndpointId, EventType, TenantId};
use crate::secrets::SealedSecret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A customer URL that receives signed webhooks.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Endpoint {
    /// Its id.
    pub id: EndpointId,
    /// Its owner.
    pub tenant_id: TenantId,
    /// Where messages are POSTed.
    pub url: String,
    /// Free text for people.
    pub description: String,
    /// The event types it receives; empty means all.
    pub event_types: Vec<EventType>,
    /// Disabled endpoints receive nothing.
    pub enabled: bool,
    /// The most messages per second it receives; excess waits (is deferred), never dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<u32>,
    /// Extra headers sent with every delivery (never the signature or framing headers). They
    /// often carry the receiver's credentials, so their values are sealed like secrets.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub headers: std::collections::BTreeMap<String, CustomHeader>,
    /// The `whsec_…` signing secret, sealed.
    pub secret: SealedSecret,
    /// Secrets replaced by a rotation that still sign until their grace period ends (newest
    /// first, at most [`Endpoint::MAX_PREVIOUS_SECRETS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_secrets: Vec<RetiredSecret>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
    /// Since when every delivery has failed (absent while healthy). Never written as NULL, so
    /// `if_not_exists` updates work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<DateTime<Utc>>,
    /// Why it was disabled automatically, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
}

/// A custom header's value as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CustomHeader {
    /// Sealed under the data key, with the masked form shown to people.
    Sealed {
        /// The value, sealed for [`Endpoint::header_context`].
        sealed: SealedSecret,
        /// The value masked, e.g. `Bear****`.
        masked: String,
    },
    /// A value stored before header values were sealed (sealed on the endpoint's next change).
    Plain(String),
}

/// How a header value is shown: its first four characters and `****` when it is long enough
/// that four characters give little away (12 or more), otherwise only `****`.
pub fn mask_header_value(value: &str) -> String {
    if value.chars().count() >= 12 {
        format!("{}****", value.chars().take(4).collect::<String>())
    } else {
        "****".into()
    }
}

/// A rotated-out secret that still signs until `expires_at`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RetiredSecret {
    /// The old secret, sealed like the current one.
    pub secret: SealedSecret,
    /// When it stops signing.
    pub expires_at: DateTime<Utc>,
}

impl Endpoint {
    /// How many rotated-out secrets are kept signing at most.
    pub const MAX_PREVIOUS_SECRETS: usize = 10;
    /// The default grace period of a rotation: 24 h.
    pub const DEFAULT_GRACE: chrono::Duration = chrono::Duration::hours(24);
    /// The longest grace period: 7 days.
    pub const MAX_GRACE: chrono::Duration = chrono::Duration::days(7);

    /// Replaces the signing secret with `new`; the old one keeps signing until `now + grace`
    /// (not at all for a zero grace). Expired old secrets are dropped, and only the newest ten kept.
    pub fn rotate_secret(
        &mut self,
        new: SealedSecret,
        grace: chrono::Duration,
        now: DateTime<Utc>,
    ) {
        let old = std::mem::replace(&mut self.secret, new);
        self.previous_secrets.retain(|s| s.expires_at > now);
        if grace > chrono::Duration::zero() {
            self.previous_secrets.insert(
                0,
                RetiredSecret {
                    secret: old,
                    expires_at: now + grace,
                },
            );
        }
        self.previous_secrets.truncate(Self::MAX_PREVIOUS_SECRETS);
        self.updated_at = now;
    }

    /// The sealed secrets that sign at `now`: the current one first, then old ones still in grace.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&SealedSecret> {
        std::iter::once(&self.secret)
            .chain(
                self.previous_secrets
                    .iter()
                    .filter(|s| s.expires_at > now)
                    .map(|s| &s.secret),
            )
            .collect()
    }

    /// The sealing context of an endpoint's signing secret (binds the ciphertext to that record).
    pub fn secret_context_for(tenant_id: &TenantId, id: &EndpointId) -> String {
        format!("endpoint/{tenant_id}/{id}")
    }

    /// The sealing context of this endpoint's signing secret.
    pub fn secret_context(&self) -> String {
        Self::secret_context_for(&self.tenant_id, &self.id)
    }

    /// The sealing context of custom header `name` of this endpoint.
    pub fn header_context(&self, name: &str) -> String {
        format!("{}/header/{name}", self.secret_context())
    }

    /// Replaces the custom headers with `headers` (checked), each value sealed.
    pub fn set_headers(
        &mut self,
        headers: std::collections::BTreeMap<String, String>,
        cipher: &crate::secrets::SecretCipher,
    ) {
        self.headers = headers
            .into_iter()
            .map(|(name, value)| {
                let sealed = CustomHeader::Sealed {
                    sealed: cipher.seal(&value, &self.header_context(&name)),
                    masked: mask_header_value(&value),
                };
                (name, sealed)
            })
            .collect();
    }

    /// The custom headers as sent: every value opened.
    pub fn open_headers(
        &self,
        cipher: &crate::secrets::SecretCipher,
    ) -> Result<std::collections::BTreeMap<String, String>, crate::secrets::CipherError> {
        self.headers
            .iter()
            .map(|(name, header)| match header {
                CustomHeader::Sealed { sealed, .. } => cipher
                    .open(sealed, &self.header_context(name))
                    .map(|value| (name.clone(), value)),
                CustomHeader::Plain(value) => Ok((name.clone(), value.clone())),
            })
            .collect()
    }

    /// The custom headers as people see them: every value masked.
    pub fn masked_headers(&self) -> std::collections::BTreeMap<String, String> {
        self.headers
            .iter()
            .map(|(name, header)| {
                let masked = match header {
                    CustomHeader::Sealed { masked, .. } => masked.clone(),
                    CustomHeader::Plain(value) => mask_header_value(value),
                };
                (name.clone(), masked)
            })
            .collect()
    }

    /// Whether an event of this type goes to this endpoint.
    pub fn subscribes_to(&self, event_type: EventType) -> bool {
        self.enabled && (self.event_types.is_empty() || self.event_types.contains(&event_type))
    }
}

/// Headers an endpoint may not set: the Standard Webhooks headers and HTTP framing.
pub const RESERVED_HEADERS: &[&str] = &[
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "content-type",
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
];

/// The most custom headers an endpoint may have.
pub const MAX_CUSTOM_HEADERS: usize = 20;

/// Checks custom headers: valid names and values, none reserved, at most 20; names lower-cased.
pub fn check_custom_headers(
    headers: &std::collections::BTreeMap<String, String>,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    if headers.len() > MAX_CUSTOM_HEADERS {
        return Err(format!("at most {MAX_CUSTOM_HEADERS} headers"));
    }
    headers
        .iter()
        .map(|(name, value)| {
            let lower = name.to_ascii_lowercase();
            if RESERVED_HEADERS.contains(&lower.as_str()) || lower.starts_with("webhook-") {
                return Err(format!(
                    "`{name}` is set by Faultline and cannot be overridden"
                ));
            }
            http::HeaderName::from_bytes(lower.as_bytes())
                .map_err(|_| format!("`{name}` is not a valid header name"))?;
            http::HeaderValue::from_str(value)
                .map_err(|_| format!("the value of `{name}` is not a valid header value"))?;
            Ok((lower, value.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint() -> Endpoint {
        let cipher = crate::secrets::SecretCipher::from_key_material(&[7; 32]).expect("key");
        Endpoint {
            id: EndpointId::generate(),
            tenant_id: TenantId::generate(),
            url: "https://example.com".into(),
            description: String::new(),
            event_types: vec![],
            enabled: true,
            headers: Default::default(),
            rate_limit: None,
            secret: cipher.seal("whsec_first", "c"),
            previous_secrets: vec![],
            created_at: Utc::now(),
            updated_at: Utc::now(),
            failing_since: None,
            disabled_reason: None,
        }
    }

    #[test]
    fn during_the_grace_period_old_and_new_secrets_sign_then_only_the_new() {
        let cipher = crate::secrets::SecretCipher::from_key_material(&[7; 32]).expect("key");
        let mut endpoint = endpoint();
        let now = Utc::now();
        endpoint.rotate_secret(
            cipher.seal("whsec_second", "c"),
            chrono::Duration::hours(1),
            now,
        );
        assert_eq!(endpoint.signing_secrets(now).len(), 2);
        let opened: Vec<String> = endpoint
            .signing_secrets(now)
            .iter()
            .map(|s| cipher.open(s, "c").expect("opens"))
            .collect();
        assert_eq!(opened, vec!["whsec_second", "whsec_first"]);
        assert_eq!(
            endpoint
                .signing_secrets(now + chrono::Duration::hours(2))
                .len(),
            1
        );
        endpoint.rotate_secret(
            cipher.seal("whsec_third", "c"),
            chrono::Duration::zero(),
            now,
        );
        assert_eq!(
            endpoint.signing_secrets(now).len(),
            2,
            "a zero grace drops the replaced secret at once"
        );
    }

    #[test]
    fn at_most_ten_old_secrets_are_kept() {
        let cipher = crate::secrets::SecretCipher::from_key_material(&[7; 32]).expect("key");
        let mut endpoint = endpoint();
        let now = Utc::now();
        for i in 0..15 {
            endpoint.rotate_secret(
                cipher.seal(&format!("whsec_{i}"), "c"),
                chrono::Duration::hours(1),
                now,
            );
        }
        assert_eq!(
            endpoint.previous_secrets.len(),
            Endpoint::MAX_PREVIOUS_SECRETS
        );
        assert_eq!(endpoint.signing_secrets(now).len(), 11);
    }

    #[test]
    fn custom_headers_cannot_override_signatures_or_framing() {
        let headers = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        assert_eq!(
            check_custom_headers(&headers(&[("X-Team", "payments")])).expect("valid"),
            headers(&[("x-team", "payments")])
        );
        for name in [
            "webhook-signature",
            "Webhook-Id",
            "webhook-anything",
            "Content-Type",
            "host",
        ] {
            assert!(
                check_custom_headers(&headers(&[(name, "x")])).is_err(),
                "{name}"
            );
        }
        assert!(check_custom_headers(&headers(&[("bad name", "x")])).is_err());
        assert!(check_custom_headers(&headers(&[("x-ok", "line\nbreak")])).is_err());
    }
}
