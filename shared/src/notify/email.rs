//! Email: multipart/alternative (plain text and HTML) built with `lettre`, sent through Amazon
//! SES v2 as raw MIME. Messages about one incident thread together (`In-Reply-To`,
//! `References` to the first one).

use super::content::Notice;
use super::{Delivered, SendFailure};
use crate::domain::notification::RemoteMessage;
use aws_sdk_sesv2::error::ProvideErrorMetadata;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use lettre::message::{header, Mailbox, MultiPart};

/// The most recipients one destination sends to (SES allows 50 per message).
pub const MAX_RECIPIENTS: usize = 50;

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The HTML part: the headline in the severity's colour, the news, the description, the facts
/// and the links.
pub fn html(notice: &Notice) -> String {
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">\
         <h2 style=\"color:#{}\">{}</h2><p><strong>{}</strong> · {}</p>",
        notice.colour(),
        html_escape(&notice.headline()),
        notice.status_word(),
        html_escape(&notice.news),
    );
    if let Some(description) = notice
        .incident
        .description
        .as_deref()
        .filter(|d| !d.is_empty())
    {
        html.push_str(&format!(
            "<p style=\"white-space:pre-wrap\">{}</p>",
            html_escape(description)
        ));
    }
    html.push_str("<table cellpadding=\"4\">");
    for (label, value) in notice.facts() {
        html.push_str(&format!(
            "<tr><th align=\"left\">{label}</th><td>{}</td></tr>",
            html_escape(&value)
        ));
    }
    html.push_str("</table><p>");
    for (label, url) in notice.links() {
        html.push_str(&format!("<a href=\"{}\">{label}</a> ", html_escape(&url)));
    }
    html.push_str("</p></body></html>");
    html
}

/// The subject: stable across one incident's messages, so every mail client threads them.
pub fn subject(notice: &Notice) -> String {
    format!(
        "[Faultline] {}",
        notice.incident.title.replace(['\r', '\n'], " ")
    )
}

/// The raw MIME message, with `message_id`, replying to `root` when there is one.
pub fn mime(
    from: &str,
    to: &[String],
    notice: &Notice,
    message_id: &str,
    root: Option<&str>,
) -> Result<Vec<u8>, String> {
    let from: Mailbox = from.parse().map_err(|e| format!("sender `{from}`: {e}"))?;
    let mut builder = lettre::Message::builder()
        .from(from)
        .subject(subject(notice))
        .message_id(Some(message_id.to_owned()))
        .header(header::MIME_VERSION_1_0);
    for address in to {
        let mailbox: Mailbox = address
            .parse()
            .map_err(|e| format!("recipient `{address}`: {e}"))?;
        builder = builder.to(mailbox);
    }
    if let Some(root) = root {
        builder = builder
            .in_reply_to(root.to_owned())
            .references(root.to_owned());
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(
            notice.plain_text(),
            html(notice),
        ))
        .map_err(|e| e.to_string())?;
    Ok(message.formatted())
}

/// SES errors worth retrying (throttling and SES's own failures); every other is permanent.
const RETRYABLE_CODES: &[&str] = &[
    "TooManyRequestsException",
    "LimitExceededException",
    "InternalFailure",
    "ServiceUnavailable",
    "Throttling",
    "ThrottlingException",
];

/// Sends `notice` to `to` from `from` through SES; the first message's id becomes the thread's
/// root.
pub async fn send(
    ses: &aws_sdk_sesv2::Client,
    from: &str,
    to: &[String],
    notice: &Notice,
    message_id: &str,
    root: Option<&RemoteMessage>,
) -> Result<Delivered, SendFailure> {
    let raw = mime(
        from,
        to,
        notice,
        message_id,
        root.map(|r| r.channel.as_str()),
    )
    .map_err(|reason| {
        SendFailure::permanent(format!("the message could not be built: {reason}"))
    })?;
    let latency_ms = send_raw(ses, from, to, raw).await?;
    let root = root.cloned().unwrap_or(RemoteMessage {
        channel: message_id.to_owned(),
        ts: String::new(),
    });
    Ok(Delivered {
        latency_ms: Some(latency_ms),
        ..Delivered::of("sent through SES", Some(root))
    })
}

/// Sends a raw MIME message through SES v2; how long SES took, in milliseconds.
pub async fn send_raw(
    ses: &aws_sdk_sesv2::Client,
    from: &str,
    to: &[String],
    raw: Vec<u8>,
) -> Result<u64, SendFailure> {
    let started = std::time::Instant::now();
    let raw_message = RawMessage::builder()
        .data(Blob::new(raw))
        .build()
        .map_err(|e| SendFailure::permanent(e.to_string()))?;
    let sent = ses
        .send_email()
        .from_email_address(from)
        .destination(
            Destination::builder()
                .set_to_addresses(Some(to.to_vec()))
                .build(),
        )
        .content(EmailContent::builder().raw(raw_message).build())
        .send()
        .await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match sent {
        Ok(_) => Ok(latency_ms),
        Err(err) => {
            let code = err.code().unwrap_or("").to_owned();
            let retryable = code.is_empty() || RETRYABLE_CODES.contains(&code.as_str());
            let reason = match err.message() {
                Some(message) => format!("SES {code}: {message}"),
                None if code.is_empty() => format!(
                    "SES unreachable: {}",
                    aws_sdk_sesv2::error::DisplayErrorContext(&err)
                ),
                None => format!("SES {code}"),
            };
            Err(SendFailure {
                retryable,
                retry_after: None,
                reason,
                status_code: None,
                latency_ms: Some(latency_ms),
            })
        }
    }
}

/// A digest: the incidents opened between `since` and `until`, as a table (HTML) and a list
/// (text), at most [`crate::services::digest::MAX_LISTED`] of them.
pub fn digest_mime(
    from: &str,
    to: &str,
    incidents: &[crate::domain::Incident],
    since: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
    public_url: Option<&str>,
) -> Result<Vec<u8>, String> {
    use crate::services::digest::{still_open, MAX_LISTED};
    let period = format!(
        "{} – {} UTC",
        since.format("%Y-%m-%d %H:%M"),
        until.format("%Y-%m-%d %H:%M")
    );
    let headline = format!(
        "{} incident{} opened, {} still unresolved",
        incidents.len(),
        if incidents.len() == 1 { "" } else { "s" },
        still_open(incidents)
    );
    let wire = |v: serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let mut text = format!("Faultline digest, {period}\n{headline}\n\n");
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><h2>Faultline digest</h2>\
         <p>{period}<br><strong>{headline}</strong></p><table cellpadding=\"4\">\
         <tr><th align=\"left\">Severity</th><th align=\"left\">Status</th>\
         <th align=\"left\">Incident</th><th align=\"left\">Opened (UTC)</th></tr>"
    );
    for incident in incidents.iter().take(MAX_LISTED) {
        let severity = wire(serde_json::json!(incident.severity));
        let status = wire(serde_json::json!(incident.status));
        let opened = incident.created_at.format("%Y-%m-%d %H:%M");
        text.push_str(&format!(
            "[{severity}] {} — {status}, opened {opened}\n",
            incident.title
        ));
        let title = html_escape(&incident.title);
        let title = match public_url {
            Some(base) => format!(
                "<a href=\"{}/v1/incidents/{}\">{title}</a>",
                html_escape(base.trim_end_matches('/')),
                incident.id
            ),
            None => title,
        };
        html.push_str(&format!(
            "<tr><td>{severity}</td><td>{status}</td><td>{title}</td><td>{opened}</td></tr>"
        ));
    }
    if incidents.len() > MAX_LISTED {
        let more = format!("… and {} more.", incidents.len() - MAX_LISTED);
        text.push_str(&more);
        html.push_str(&format!("<tr><td colspan=\"4\">{more}</td></tr>"));
    }
    if incidents.is_empty() {
        text.push_str("Nothing was opened. :)\n");
    }
    html.push_str("</table></body></html>");
    let from: Mailbox = from.parse().map_err(|e| format!("sender `{from}`: {e}"))?;
    let to: Mailbox = to.parse().map_err(|e| format!("recipient `{to}`: {e}"))?;
    let message = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(format!("[Faultline] Digest: {headline}"))
        .header(header::MIME_VERSION_1_0)
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| e.to_string())?;
    Ok(message.formatted())
}
