//! Endpoints and messages read once per batch of delivery tasks.

use super::super::ServiceError;
use crate::domain::{DeliveryTask, Endpoint, EndpointId, Message, MessageId, TenantId};
use crate::AppState;
use futures::future::join_all;
use std::collections::{HashMap, HashSet};

/// Endpoints and messages read once for a whole batch, in one request: a batch of tasks shares
/// few of each (10 messages × 50 endpoints is 500 tasks but 60 items).
#[derive(Debug, Default)]
pub struct BatchLookups {
    endpoints: HashMap<(TenantId, EndpointId), Option<Endpoint>>,
    messages: HashMap<(TenantId, MessageId), Option<Message>>,
}

impl BatchLookups {
    /// Reads every endpoint and message the tasks name in one `BatchGetItem` (bodies kept in S3
    /// are then loaded concurrently).
    pub async fn load(state: &AppState, tasks: &[DeliveryTask]) -> Result<Self, ServiceError> {
        let endpoint_keys: Vec<_> = tasks
            .iter()
            .map(|t| (t.tenant_id.clone(), t.endpoint_id.clone()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let message_keys: Vec<_> = tasks
            .iter()
            .map(|t| (t.tenant_id.clone(), t.message_id.clone()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let (endpoints, stored) = state
            .store
            .get_endpoints_and_messages(&endpoint_keys, &message_keys)
            .await?;
        let messages = join_all(stored.into_iter().map(|(key, message)| async move {
            match message {
                Some(message) => crate::services::messages::with_body(state, message)
                    .await
                    .map(|message| (key, Some(message))),
                None => Ok((key, None)),
            }
        }))
        .await
        .into_iter()
        .collect::<Result<HashMap<_, _>, _>>()?;
        Ok(Self {
            endpoints,
            messages,
        })
    }

    pub(super) async fn endpoint(
        &self,
        state: &AppState,
        task: &DeliveryTask,
    ) -> Result<Option<Endpoint>, ServiceError> {
        match self
            .endpoints
            .get(&(task.tenant_id.clone(), task.endpoint_id.clone()))
        {
            Some(found) => Ok(found.clone()),
            None => Ok(state
                .store
                .get_endpoint(&task.tenant_id, &task.endpoint_id)
                .await?),
        }
    }

    pub(super) async fn message(
        &self,
        state: &AppState,
        task: &DeliveryTask,
    ) -> Result<Option<Message>, ServiceError> {
        match self
            .messages
            .get(&(task.tenant_id.clone(), task.message_id.clone()))
        {
            Some(found) => Ok(found.clone()),
            None => {
                crate::services::messages::load_message(state, &task.tenant_id, &task.message_id)
                    .await
            }
        }
    }
}
