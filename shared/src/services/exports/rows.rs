//! The rows of an export: the list it names, read page by page with the list API's filters,
//! each item as the list API shows it (its JSON view), then cut to the chosen columns.

use crate::domain::export::ExportFilters;
use crate::domain::{DeliveryStatus, EndpointId, EventType, ExportJob, TenantId};
use crate::exports::{Cell, Column, Resource};
use crate::store::{AuditChain, AuditFilters, IncidentFilters, MessageFilters, PageRequest};
use crate::store::{Store, StoreError};
use crate::views::{IncidentView, MessageView};
use serde_json::Value;

/// Items read from the table at once.
const ROWS_PER_READ: i32 = PageRequest::BULK_LIMIT;

/// A list read a page at a time.
pub struct Rows<'a> {
    store: &'a Store,
    tenant: TenantId,
    resource: Resource,
    filters: &'a ExportFilters,
    columns: &'a [&'static Column],
    cursor: Option<String>,
    done: bool,
}

fn to_values<T: serde::Serialize>(items: &[T]) -> Vec<Value> {
    items
        .iter()
        .map(|item| serde_json::to_value(item).unwrap_or_default())
        .collect()
}

/// A filter value the job's check accepted, parsed again into the store's type.
fn typed<T: serde::de::DeserializeOwned>(value: &Option<String>) -> Option<T> {
    value
        .as_ref()
        .and_then(|v| serde_json::from_value(Value::String(v.clone())).ok())
}

impl<'a> Rows<'a> {
    /// The rows of `job`, in `columns`.
    pub fn of(store: &'a Store, job: &'a ExportJob, columns: &'a [&'static Column]) -> Self {
        Self {
            store,
            tenant: job.tenant_id.clone(),
            resource: job.resource,
            filters: &job.filters,
            columns,
            cursor: None,
            done: false,
        }
    }

    /// The next page of rows; `None` once the list is read.
    pub async fn next(&mut self) -> Result<Option<Vec<Vec<Cell>>>, StoreError> {
        if self.done {
            return Ok(None);
        }
        let page = PageRequest {
            limit: Some(ROWS_PER_READ),
            cursor: self.cursor.take(),
        };
        let (views, next) = self.read(&page).await?;
        self.cursor = next;
        self.done = self.cursor.is_none();
        let rows = views
            .iter()
            .map(|view| self.columns.iter().map(|c| Cell::read(view, c)).collect())
            .collect();
        Ok(Some(rows))
    }

    async fn read(&self, page: &PageRequest) -> Result<(Vec<Value>, Option<String>), StoreError> {
        let f = self.filters;
        match self.resource {
            Resource::Incidents | Resource::Issues => {
                let kind = match self.resource {
                    Resource::Issues => Some("issue".to_owned()),
                    _ => f.kind.clone(),
                };
                let filters = IncidentFilters {
                    status: f.status.clone(),
                    severity: f.severity.clone(),
                    source: f.source.clone(),
                    project_id: f.project_id.clone(),
                    service: f.service.clone(),
                    kind,
                    since: f.since,
                    until: f.until,
                    text: f.q.clone().filter(|q| !q.trim().is_empty()),
                    oldest_first: true,
                };
                let found = self
                    .store
                    .list_incidents_filtered(&self.tenant, &filters, page)
                    .await?;
                let views: Vec<IncidentView> = found.items.iter().map(IncidentView::from).collect();
                Ok((to_values(&views), found.next_cursor))
            }
            Resource::Messages => {
                let filters = MessageFilters {
                    event_type: f.event_type.as_deref().and_then(EventType::parse),
                    since: f.since,
                    status: typed::<DeliveryStatus>(&f.status),
                    endpoint: f.endpoint_id.as_deref().and_then(EndpointId::parse),
                };
                let found = self
                    .store
                    .list_messages_filtered(&self.tenant, &filters, page)
                    .await?;
                let views: Vec<MessageView> = found.items.iter().map(MessageView::from).collect();
                Ok((to_values(&views), found.next_cursor))
            }
            Resource::Audit => {
                let filters = AuditFilters {
                    action: f.action.clone(),
                    actor: f.actor.clone(),
                    resource_id: f.resource_id.clone(),
                    since: f.since,
                };
                let chain = AuditChain::Tenant(self.tenant.clone());
                let found = self.store.list_audit(&chain, &filters, page).await?;
                Ok((to_values(&found.items), found.next_cursor))
            }
        }
    }
}
