//! Email: multipart/alternative (plain text and HTML) built with `lettre`, sent through Amazon
//! SES v2 as raw MIME. Messages about one incident thread together (`In-Reply-To`,
//! `References` to the first one).

use super::content::Notice;
use super::{Delivered, SendFailure};
use crate::domain::notification::RemoteMessage;
use crate::text::escape_html;
use aws_sdk_sesv2::error::ProvideErrorMetadata;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use lettre::message::{header, Mailbox, MultiPart};

/// The most recipients one destination sends to (SES allows 50 per message).
pub const MAX_RECIPIENTS: usize = 50;

/// The HTML part: the headline in the severity's colour, the news, the description, the facts
/// and the links.
pub fn html(notice: &Notice) -> String {
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">\
         <h2 style=\"color:#{}\">{}</h2><p><strong>{}</strong> · {}</p>",
        notice.colour(),
        escape_html(&notice.headline()),
        notice.status_word(),
        escape_html(&notice.news),
    );
    if let Some(description) = notice
        .incident
        .description
        .as_deref()
        .filter(|d| !d.is_empty())
    {
        html.push_str(&format!(
            "<p style=\"white-space:pre-wrap\">{}</p>",
            escape_html(description)
        ));
    }
    html.push_str("<table cellpadding=\"4\">");
    for (label, value) in notice.facts() {
        html.push_str(&format!(
            "<tr><th align=\"left\">{label}</th><td>{}</td></tr>",
            escape_html(&value)
        ));
    }
    html.push_str("</table><p>");
    for (label, url) in notice.links() {
        html.push_str(&format!("<a href=\"{}\">{label}</a> ", escape_html(&url)));
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
    let threading = Threading {
        message_id,
        reply_to: root,
    };
    build(
        from,
        to,
        &subject(notice),
        Some(threading),
        notice.plain_text(),
        html(notice),
    )
}

/// Where a message stands in its thread.
pub(super) struct Threading<'a> {
    /// Its own `Message-ID`.
    message_id: &'a str,
    /// The thread's first message, which it answers.
    reply_to: Option<&'a str>,
}

/// One multipart/alternative message (plain text and HTML) as raw MIME.
pub(super) fn build(
    from: &str,
    to: &[String],
    subject: &str,
    threading: Option<Threading<'_>>,
    text: String,
    html: String,
) -> Result<Vec<u8>, String> {
    let from: Mailbox = from.parse().map_err(|e| format!("sender `{from}`: {e}"))?;
    let mut builder = lettre::Message::builder()
        .from(from)
        .subject(subject)
        .header(header::MIME_VERSION_1_0);
    for address in to {
        let mailbox: Mailbox = address
            .parse()
            .map_err(|e| format!("recipient `{address}`: {e}"))?;
        builder = builder.to(mailbox);
    }
    if let Some(threading) = threading {
        builder = builder.message_id(Some(threading.message_id.to_owned()));
        if let Some(root) = threading.reply_to {
            builder = builder
                .in_reply_to(root.to_owned())
                .references(root.to_owned());
        }
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(text, html))
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
