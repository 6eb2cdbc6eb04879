//! A digest mail: the period's incidents, as a table (HTML) and a list (text).

use super::email::build;
use crate::domain::{Incident, IncidentStatus};
use crate::text::escape_html;

/// The most incidents one digest lists (it says how many more there were).
pub const MAX_LISTED: usize = 100;

/// How many of `incidents` are still unresolved.
pub fn still_open(incidents: &[Incident]) -> usize {
    incidents
        .iter()
        .filter(|i| i.status != IncidentStatus::Resolved)
        .count()
}

/// A digest: the incidents opened between `since` and `until`, as a table (HTML) and a list
/// (text), at most [`MAX_LISTED`] of them.
pub fn mime(
    from: &str,
    to: &str,
    incidents: &[crate::domain::Incident],
    since: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
    public_url: Option<&str>,
) -> Result<Vec<u8>, String> {
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
    let mut text = format!("Faultline digest, {period}\n{headline}\n\n");
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><h2>Faultline digest</h2>\
         <p>{period}<br><strong>{headline}</strong></p><table cellpadding=\"4\">\
         <tr><th align=\"left\">Severity</th><th align=\"left\">Status</th>\
         <th align=\"left\">Incident</th><th align=\"left\">Opened (UTC)</th></tr>"
    );
    for incident in incidents.iter().take(MAX_LISTED) {
        let severity = incident.severity.as_str();
        let status = incident.status.as_str();
        let opened = incident.created_at.format("%Y-%m-%d %H:%M");
        text.push_str(&format!(
            "[{severity}] {} — {status}, opened {opened}\n",
            incident.title
        ));
        let title = escape_html(&incident.title);
        let title = match public_url {
            Some(base) => format!(
                "<a href=\"{}/v1/incidents/{}\">{title}</a>",
                escape_html(base.trim_end_matches('/')),
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
    let to = [to.to_owned()];
    let subject = format!("[Faultline] Digest: {headline}");
    build(from, &to, &subject, None, text, html)
}
