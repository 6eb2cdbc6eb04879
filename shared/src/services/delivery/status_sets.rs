//! Each message's sets of endpoints by delivery status (what `GET /v1/messages?status=` filters
//! on), moved once per message and status for a whole batch.

use super::DispatchOutcome;
use crate::domain::{DeliveryStatus, DeliveryTask, EndpointId, MessageId, TenantId};
use crate::AppState;
use futures::future::join_all;
use std::collections::HashMap;

impl DispatchOutcome {
    /// The delivery status an outcome leaves, when it changed one.
    pub fn delivery_status(&self) -> Option<DeliveryStatus> {
        match self {
            Self::Delivered => Some(DeliveryStatus::Succeeded),
            Self::RetryScheduled { .. } => Some(DeliveryStatus::Failed),
            Self::Exhausted => Some(DeliveryStatus::Exhausted),
            Self::Hopped | Self::Duplicate | Self::Deferred | Self::Skipped(_) => None,
        }
    }
}

/// Moves each delivery into its message's status set for the outcome: one update per message and
/// status for a whole batch (50 endpoints of a message succeeding are one write, not 50). Returns
/// the positions of the outcomes whose update failed: their records should be redelivered, and
/// the redelivered task (a duplicate) repairs the sets from the delivery record.
pub async fn index_outcomes(
    state: &AppState,
    outcomes: &[(DeliveryTask, DispatchOutcome)],
) -> Vec<usize> {
    let mut groups: HashMap<(TenantId, MessageId, DeliveryStatus), Vec<usize>> = HashMap::new();
    for (i, (task, outcome)) in outcomes.iter().enumerate() {
        if let Some(status) = outcome.delivery_status() {
            groups
                .entry((task.tenant_id.clone(), task.message_id.clone(), status))
                .or_default()
                .push(i);
        }
    }
    let updates = groups.into_iter().map(|((tenant, message, status), members)| async move {
        let endpoints: Vec<EndpointId> = members
            .iter()
            .map(|&i| outcomes[i].0.endpoint_id.clone())
            .collect();
        match state
            .store
            .index_delivery_status(&tenant, &message, &endpoints, status)
            .await
        {
            Ok(()) => Vec::new(),
            Err(err) => {
                tracing::warn!(message_id = %message, error = %err, "message status sets not updated");
                members
            }
        }
    });
    join_all(updates).await.into_iter().flatten().collect()
}
