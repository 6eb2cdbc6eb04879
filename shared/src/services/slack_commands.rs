//! `/faultline` in Slack: `list`, `ack <id>`, `resolve <id>`, `status`. Answers in Slack's response
//! format (`response_type` + `text`) within the request, well inside Slack's 3 s.

use super::ingest::ingest_signal;
use crate::domain::{IncidentId, IncidentStatus, Integration, Signal, SignalStatus, Source};
use crate::sources::slack::SlashCommand;
use crate::store::{PageRequest, StoreError};
use crate::AppState;
use serde_json::{json, Value};

pub use crate::text::escape_mrkdwn;

fn reply(text: impl Into<String>) -> Value {
    json!({"response_type": "ephemeral", "text": text.into()})
}

const HELP: &str = "Usage: `/faultline list` · `/faultline ack <incident id>` · `/faultline resolve <incident id>` · `/faultline status`";

/// Runs a command for the integration's tenant.
pub async fn run_slash_command(
    state: &AppState,
    integration: &Integration,
    command: &SlashCommand,
) -> Result<Value, StoreError> {
    let tenant = &integration.tenant_id;
    match command.verb.as_str() {
        "list" | "status" => {
            let page = state
                .store
                .list_incidents(
                    tenant,
                    &PageRequest {
                        limit: Some(100),
                        cursor: None,
                    },
                )
                .await?;
            let open: Vec<_> = page
                .items
                .iter()
                .filter(|i| i.status != IncidentStatus::Resolved)
                .collect();
            if command.verb == "status" {
                let acknowledged = open
                    .iter()
                    .filter(|i| i.status == IncidentStatus::Acknowledged)
                    .count();
                return Ok(reply(format!(
                    "{} open incident(s), {} acknowledged, {} unacknowledged",
                    open.len(),
                    acknowledged,
                    open.len() - acknowledged
                )));
            }
            if open.is_empty() {
                return Ok(reply("No open incidents. :tada:"));
            }
            let lines: Vec<String> = open
                .iter()
                .take(10)
                .map(|i| {
                    format!(
                        "• `{}` [{}] {} — {}",
                        i.id,
                        i.severity.as_str(),
                        escape_mrkdwn(&i.title),
                        i.status.as_str()
                    )
                })
                .collect();
            Ok(reply(format!("Open incidents:\n{}", lines.join("\n"))))
        }
        verb @ ("ack" | "resolve") => {
            let Some(id) = command.argument.as_deref().and_then(IncidentId::parse) else {
                return Ok(reply(format!("Usage: `/faultline {verb} <incident id>`")));
            };
            let Some(incident) = state.store.get_incident(tenant, &id).await? else {
                return Ok(reply(format!("No incident `{id}`.")));
            };
            let mut signal = Signal::new(
                Source::Slack,
                incident.fingerprint.clone(),
                incident.title.clone(),
                state.clock.now(),
            );
            signal.kind = incident.kind;
            signal.upstream_id = incident.upstream_id.clone();
            signal.status = if verb == "ack" {
                SignalStatus::Acknowledged
            } else {
                SignalStatus::Resolved
            };
            signal.assignee = (verb == "ack")
                .then(|| command.user.clone())
                .filter(|u| !u.is_empty());
            signal.note = Some(format!("{verb} by @{} from Slack", command.user));
            let signal = signal.not_an_occurrence();
            let result = ingest_signal(state, integration, &signal).await?;
            if result.incident_id.as_ref() != Some(&id) {
                return Ok(reply(format!(
                    "`{id}` is no longer the current incident for its problem."
                )));
            }
            Ok(reply(format!(
                "`{id}` {}: {}",
                result.change.as_str(),
                escape_mrkdwn(&incident.title)
            )))
        }
        _ => Ok(reply(HELP)),
    }
}
