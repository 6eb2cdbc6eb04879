//! Server-side request forgery guard for outgoing webhooks. URLs are checked when an endpoint is
//! created, but a host name can later resolve elsewhere (DNS rebinding), so the HTTP client resolves
//! names through this resolver: every resolved address is checked against the policy and only
//! allowed ones are handed to the connector — the addresses checked are the addresses connected to.

use crate::domain::UrlPolicy;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;

/// Why a host name was not connected to: it carries the refusal through the HTTP client's error
/// chain as a type, so the ledger says `refused` rather than `connect`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The name does not resolve.
    #[error("could not resolve {host}: {cause}")]
    Lookup {
        /// The host name.
        host: String,
        /// The resolver's error.
        cause: String,
    },
    /// Every address it resolves to is refused by the policy.
    #[error("address refused: {host} resolves to {reasons}")]
    Refused {
        /// The host name.
        host: String,
        /// Why each address was refused.
        reasons: String,
    },
}

/// A resolver that drops refused addresses and fails when none is left.
#[derive(Clone, Debug)]
pub struct GuardedResolver {
    policy: UrlPolicy,
}

impl GuardedResolver {
    /// A resolver enforcing `policy`.
    pub fn new(policy: UrlPolicy) -> Self {
        Self { policy }
    }

    /// Resolves `host` and keeps the allowed addresses.
    pub async fn resolve_checked(&self, host: &str) -> Result<Vec<SocketAddr>, ResolveError> {
        let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
            .await
            .map_err(|e| ResolveError::Lookup {
                host: host.to_owned(),
                cause: e.to_string(),
            })?
            .collect();
        let mut refused = Vec::new();
        let allowed: Vec<SocketAddr> = resolved
            .into_iter()
            .filter(|addr| match self.policy.check_ip(addr.ip()) {
                Ok(()) => true,
                Err(reason) => {
                    refused.push(reason);
                    false
                }
            })
            .collect();
        if allowed.is_empty() {
            return Err(ResolveError::Refused {
                host: host.to_owned(),
                reasons: refused.join("; "),
            });
        }
        Ok(allowed)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = resolver.resolve_checked(&host).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(local_mode: bool, allowed: &[&str]) -> UrlPolicy {
        UrlPolicy {
            local_mode,
            allowed_subnets: allowed.iter().map(|c| c.parse().expect("cidr")).collect(),
        }
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_outside_local_mode() {
        let err = GuardedResolver::new(policy(false, &[]))
            .resolve_checked("localhost")
            .await
            .expect_err("refused");
        assert!(
            matches!(&err, ResolveError::Refused { reasons, .. } if reasons.contains("loopback")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn local_mode_and_allow_lists_admit_it() {
        assert!(GuardedResolver::new(policy(true, &[]))
            .resolve_checked("localhost")
            .await
            .is_ok());
        let allowed = GuardedResolver::new(policy(false, &["127.0.0.0/8", "::1/128"]));
        assert!(allowed.resolve_checked("localhost").await.is_ok());
    }

    #[tokio::test]
    async fn literal_private_addresses_are_refused_too() {
        for host in [
            "10.0.0.1",
            "169.254.169.254",
            "192.168.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
        ] {
            let err = GuardedResolver::new(policy(false, &[]))
                .resolve_checked(host)
                .await
                .expect_err(host);
            assert!(matches!(err, ResolveError::Refused { .. }), "{host}: {err}");
        }
    }
}
