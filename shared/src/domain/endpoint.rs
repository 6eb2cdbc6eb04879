//! Subscribed webhook endpoints and the rules their URLs must follow.

use super::{EndpointId, EventType, TenantId};
use crate::secrets::SealedSecret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

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

/// A URL that passed [`UrlPolicy::check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointUrl(Url);

impl EndpointUrl {
    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Which endpoint URLs and addresses are acceptable. Production requires https and public
/// addresses; local mode (the local stack) also allows http and loopback, so receivers on this
/// machine work; `allowed_subnets` admits chosen private ranges (e.g. a peered VPC).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Allow `http://` and loopback hosts.
    pub local_mode: bool,
    /// Subnets allowed even though they are private or reserved.
    pub allowed_subnets: Vec<ipnet::IpNet>,
}

impl UrlPolicy {
    /// Validates a URL, saying why it is refused.
    pub fn check(&self, raw: &str) -> Result<EndpointUrl, String> {
        let url = Url::parse(raw).map_err(|e| format!("not a valid URL: {e}"))?;
        match url.scheme() {
            "https" => {}
            "http" if self.local_mode => {}
            "http" => return Err("must use https".into()),
            other => return Err(format!("scheme `{other}` is not allowed; use https")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry credentials; use custom headers instead".into());
        }
        let ip = match url.host() {
            None => return Err("has no host".into()),
            Some(Host::Domain(domain)) => {
                let domain = domain.trim_end_matches('.').to_ascii_lowercase();
                let loopback_name = domain == "localhost" || domain.ends_with(".localhost");
                if loopback_name && !self.local_mode {
                    return Err(format!("host `{domain}` is a loopback name"));
                }
                return Ok(EndpointUrl(url));
            }
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        };
        self.check_ip(ip)?;
        Ok(EndpointUrl(url))
    }

    /// Whether an address may be connected to; the reason when not. Used on literal addresses in
    /// URLs and on every address a host name resolves to at delivery time.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), String> {
        let Some(reason) = refused_ip_reason(ip) else {
            return Ok(());
        };
        let loopback_allowed = self.local_mode
            && match ip {
                IpAddr::V6(v6) => v6
                    .to_ipv4_mapped()
                    .map_or(v6.is_loopback(), |v4| v4.is_loopback()),
                IpAddr::V4(v4) => v4.is_loopback(),
            };
        if loopback_allowed || self.allowed_subnets.iter().any(|net| net.contains(&ip)) {
            return Ok(());
        }
        Err(format!("address {ip} is {reason}"))
    }
}

/// Why an address must not receive webhooks (server-side request forgery), or `None` if public.
pub fn refused_ip_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_ipv4_reason(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => refused_ipv4_reason(v4),
            None => refused_ipv6_reason(v6),
        },
    }
}

fn refused_ipv4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private (RFC 1918)")
    } else if ip.is_link_local() {
        Some("link-local (includes cloud metadata)")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared address space (CGNAT)")
    } else if a == 0 || ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Some("reserved")
    } else if (a, b, c) == (192, 0, 0) || (a, b, c) == (192, 0, 2) {
        Some("reserved for protocol assignments or documentation")
    } else if (a, b, c) == (198, 51, 100)
        || (a, b, c) == (203, 0, 113)
        || (a == 198 && (b & 0xfe) == 18)
    {
        Some("reserved for documentation or benchmarking")
    } else {
        None
    }
}

fn refused_ipv6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() || ip.is_multicast() {
        Some("reserved")
    } else if (first & 0xfe00) == 0xfc00 {
        Some("unique-local")
    } else if (first & 0xffc0) == 0xfe80 {
        Some("link-local")
    } else if first == 0x2001 && ip.segments()[1] == 0x0db8 {
        Some("reserved for documentation")
    } else if first == 0x0064 && ip.segments()[1] == 0xff9b {
        Some("NAT64")
    } else {
        None
    }
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

    const PRODUCTION: UrlPolicy = UrlPolicy {
        local_mode: false,
        allowed_subnets: Vec::new(),
    };
    const LOCAL: UrlPolicy = UrlPolicy {
        local_mode: true,
        allowed_subnets: Vec::new(),
    };

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

    #[test]
    fn allowed_subnets_admit_chosen_private_ranges_only() {
        let policy = UrlPolicy {
            local_mode: false,
            allowed_subnets: vec!["10.20.0.0/16".parse().expect("cidr")],
        };
        assert!(policy.check("https://10.20.3.4/hook").is_ok());
        assert!(policy.check("https://10.21.0.1/hook").is_err());
        assert!(policy.check("https://169.254.169.254/").is_err());
    }

    #[test]
    fn public_https_urls_pass() {
        assert!(PRODUCTION
            .check("https://hooks.example.com/faultline")
            .is_ok());
        assert!(PRODUCTION.check("https://93.184.215.14/x").is_ok());
    }

    #[test]
    fn production_refuses_http_and_every_blocked_range() {
        assert!(PRODUCTION.check("http://hooks.example.com/").is_err());
        for url in [
            "https://localhost/",
            "https://api.localhost/",
            "https://127.0.0.1/",
            "https://10.1.2.3/",
            "https://172.16.0.1/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:127.0.0.1]/",
        ] {
            assert!(PRODUCTION.check(url).is_err(), "{url} should be refused");
        }
    }

    #[test]
    fn local_mode_allows_loopback_over_http_but_not_private_ranges() {
        assert!(LOCAL.check("http://127.0.0.1:8080/hook").is_ok());
        assert!(LOCAL.check("http://localhost:8080/hook").is_ok());
        assert!(LOCAL.check("http://10.0.0.1/").is_err());
        assert!(LOCAL.check("http://169.254.169.254/").is_err());
    }

    #[test]
    fn odd_urls_are_refused_with_a_reason() {
        assert!(PRODUCTION.check("ftp://example.com/").is_err());
        assert!(PRODUCTION.check("https://user:pw@example.com/").is_err());
        let err = PRODUCTION.check("not a url").expect_err("refused");
        assert!(err.contains("not a valid URL"));
    }
}
