//! Endpoints and messages read once per batch of delivery tasks.

use super::super::ServiceError;
use crate::domain::{DeliveryTask, Endpoint, EndpointId, Message, MessageId, TenantId};
use crate::AppState;
use futures::future::join_all;
use std::collections::{HashMap, HashSet};

/// Endpoints and messages read once for a whole batch: a batch of tasks shares few of each
/// (10 messages × 50 endpoints is 500 tasks but 60 reads).
#[derive(Debug, Default)]
pub struct BatchLookups {
    endpoints: HashMap<(TenantId, EndpointId), Option<Endpoint>>,
    messages: HashMap<(TenantId, MessageId), Option<Message>>,
}

impl BatchLookups {
    /// Reads every endpoint and message the tasks name, concurrently.
    pub async fn load(state: &AppState, tasks: &[DeliveryTask]) -> Result<Self, ServiceError> {
        let endpoint_keys: HashSet<_> = tasks
            .iter()
            .map(|t| (t.tenant_id.clone(), t.endpoint_id.clone()))
            .collect();
        let message_keys: HashSet<_> = tasks
            .iter()
            .map(|t| (t.tenant_id.clone(), t.message_id.clone()))
            .collect();
        let endpoints = join_all(endpoint_keys.into_iter().map(|key| async move {
            let found = state.store.get_endpoint(&key.0, &key.1).await;
            found.map(|endpoint| (key, endpoint))
        }))
        .await
        .into_iter()
        .collect::<Result<HashMap<_, _>, _>>()?;
        let messages = join_all(message_keys.into_iter().map(|key| async move {
            let found = crate::services::messages::load_message(state, &key.0, &key.1).await;
            found.map(|message| (key, message))
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
