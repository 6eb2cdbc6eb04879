//! Email through a team's own SMTP server (for teams without SES): the same MIME as the SES path,
//! sent with `lettre`'s transport over rustls — STARTTLS on 587 by default, implicit TLS on 465,
//! plain only in the local stack. The server's addresses pass the SSRF guard first.

use super::{Delivered, SendFailure};
use crate::domain::notification::destination::SmtpSecurity;
use crate::domain::UrlPolicy;
use crate::sinks::ssrf::GuardedResolver;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::{Duration, Instant};

/// Where and how to connect.
#[derive(Debug)]
pub struct SmtpServer<'a> {
    /// Host name.
    pub host: &'a str,
    /// Port.
    pub port: u16,
    /// STARTTLS, implicit TLS, or none (local stack only).
    pub security: SmtpSecurity,
    /// User name and (opened) password, when the server wants them.
    pub login: Option<(&'a str, &'a str)>,
}

/// How long one SMTP exchange may take.
const TIMEOUT: Duration = Duration::from_secs(15);

fn address(text: &str) -> Result<Address, SendFailure> {
    text.parse()
        .map_err(|e| SendFailure::permanent(format!("`{text}` is not an address: {e}")))
}

/// Sends `raw` (a MIME message) from `from` to `to` through `server`; how long it took, in
/// milliseconds. 5xx answers are permanent; 4xx, timeouts and connection failures retryable.
pub async fn send_raw(
    server: &SmtpServer<'_>,
    policy: &UrlPolicy,
    from: &str,
    to: &[String],
    raw: &[u8],
) -> Result<u64, SendFailure> {
    // The transport resolves on its own: check where the name points first, as every outgoing
    // request of the hub is checked.
    GuardedResolver::new(policy.clone())
        .resolve_checked(server.host)
        .await
        .map_err(|e| SendFailure {
            retryable: !matches!(e, crate::sinks::ssrf::ResolveError::Refused { .. }),
            ..SendFailure::permanent(format!("SMTP server: {e}"))
        })?;
    let builder = match server.security {
        SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(server.host),
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(server.host),
        SmtpSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            server.host,
        )),
    }
    .map_err(|e| SendFailure::permanent(format!("SMTP server `{}`: {e}", server.host)))?;
    let mut builder = builder.port(server.port).timeout(Some(TIMEOUT));
    if let Some((user, password)) = server.login {
        builder = builder.credentials(Credentials::new(user.to_owned(), password.to_owned()));
    }
    let transport = builder.build();
    let recipients = to
        .iter()
        .map(|t| address(t))
        .collect::<Result<Vec<_>, _>>()?;
    let envelope = Envelope::new(Some(address(from)?), recipients)
        .map_err(|e| SendFailure::permanent(format!("envelope: {e}")))?;
    let started = Instant::now();
    let sent = transport.send_raw(&envelope, raw).await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match sent {
        Ok(_) => Ok(latency_ms),
        Err(err) => Err(SendFailure {
            retryable: !err.is_permanent(),
            retry_after: None,
            reason: format!("SMTP {}:{}: {err}", server.host, server.port),
            status_code: err.status().map(u16::from),
            latency_ms: Some(latency_ms),
        }),
    }
}

/// A delivered SMTP message, for the ledger.
pub fn delivered(latency_ms: u64, root: super::RemoteMessage) -> Delivered {
    Delivered {
        latency_ms: Some(latency_ms),
        ..Delivered::of("sent through SMTP", Some(root))
    }
}
