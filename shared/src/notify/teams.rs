//! Microsoft Teams through a Workflows URL ("When a Teams webhook request is received"): an
//! Adaptive Card 1.2 in a `message` envelope, kept under 20 KB.

use super::content::Notice;
use super::{Delivered, SendFailure};
use crate::domain::{IncidentStatus, Severity};
use crate::sinks::webhook::WebhookSender;
use crate::text::truncated;
use serde_json::{json, Value};

/// Teams accepts larger cards with a 202 and then fails to post them: stay under this.
pub const MAX_CARD_BYTES: usize = 20 * 1024;

fn title_colour(notice: &Notice) -> &'static str {
    match (notice.incident.status, notice.incident.severity) {
        (IncidentStatus::Resolved, _) => "Good",
        (_, Severity::Critical | Severity::High) => "Attention",
        (_, Severity::Medium) => "Warning",
        _ => "Accent",
    }
}

fn card(notice: &Notice, description_chars: usize) -> Value {
    let mut body = vec![
        json!({"type": "TextBlock", "text": truncated(&notice.headline(), 500), "weight": "Bolder",
            "size": "Medium", "color": title_colour(notice), "wrap": true}),
        json!({"type": "TextBlock", "text": format!("{} · {}", notice.status_word(), notice.news),
            "isSubtle": true, "wrap": true, "spacing": "None"}),
    ];
    if let Some(description) = notice
        .incident
        .description
        .as_deref()
        .filter(|d| !d.is_empty())
    {
        if description_chars > 0 {
            body.push(
                json!({"type": "TextBlock", "text": truncated(description, description_chars),
                "wrap": true}),
            );
        }
    }
    let facts: Vec<Value> = notice
        .facts()
        .into_iter()
        .map(|(title, value)| json!({"title": title, "value": truncated(&value, 500)}))
        .collect();
    body.push(json!({"type": "FactSet", "facts": facts}));
    let actions: Vec<Value> = notice
        .links()
        .into_iter()
        .map(|(title, url)| json!({"type": "Action.OpenUrl", "title": title, "url": url}))
        .collect();
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.2",
                "body": body,
                "actions": actions,
            },
        }],
    })
}

/// The message, its description shortened (then dropped) until the card is under
/// [`MAX_CARD_BYTES`].
pub fn message(notice: &Notice) -> String {
    let mut description_chars = 4000;
    loop {
        let text = card(notice, description_chars).to_string();
        if text.len() < MAX_CARD_BYTES || description_chars == 0 {
            return text;
        }
        description_chars /= 2;
        if description_chars < 100 {
            description_chars = 0;
        }
    }
}

/// POSTs the card. A 2xx means the workflow took it, not that the card was shown: *accepted*.
pub async fn send(
    sender: &WebhookSender,
    url: &str,
    notice: &Notice,
) -> Result<Delivered, SendFailure> {
    let result = sender.post_json(url, &[], &message(notice)).await;
    if result.succeeded() {
        return Ok(Delivered {
            accepted_only: true,
            ..Delivered::sent("accepted by the workflow", &result, None)
        });
    }
    Err(SendFailure::from_http(
        &result,
        "the workflow refused the card",
    ))
}
