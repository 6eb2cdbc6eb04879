//! Which endpoint URLs may receive webhooks: schemes, credentials in URLs, and the addresses
//! refused against server-side request forgery.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

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

    const PRODUCTION: UrlPolicy = UrlPolicy {
        local_mode: false,
        allowed_subnets: Vec::new(),
    };
    const LOCAL: UrlPolicy = UrlPolicy {
        local_mode: true,
        allowed_subnets: Vec::new(),
    };

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
