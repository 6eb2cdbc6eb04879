use super::page::{Page, PageRequest};
use super::table::{to_item, Filter, Keys, Query, Store, StoreError};
use crate::domain::audit::{AuditDraft, AuditEntry, GENESIS};
use crate::domain::TenantId;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

/// Which chain an entry joins: a tenant's, or the platform's (refused credentials that name no
/// tenant, and the platform admin's own actions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditChain {
    /// A tenant's chain.
    Tenant(TenantId),
    /// The platform's chain.
    Platform,
}

impl AuditChain {
    fn partition(&self) -> String {
        match self {
            Self::Tenant(t) => format!("TENANT#{t}#AUDIT"),
            Self::Platform => "PLATFORM#AUDIT".into(),
        }
    }
}

/// The newest entry's position and hash.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Head {
    seq: u64,
    hash: String,
}

/// What `list_audit` narrows a chain to.
#[derive(Clone, Debug, Default)]
pub struct AuditFilters {
    /// Only this action (route), e.g. `PATCH /v1/endpoints/{id}`.
    pub action: Option<String>,
    /// Only this actor, e.g. `key:abc123`.
    pub actor: Option<String>,
    /// Only entries about this resource id.
    pub resource_id: Option<String>,
    /// Only entries at or after this time.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

fn entry_sk(seq: u64) -> String {
    format!("E#{seq:012}")
}

impl Store {
    async fn audit_head(&self, chain: &AuditChain) -> Result<Option<Head>, StoreError> {
        self.get(&Keys::new(chain.partition(), "HEAD")).await
    }

    /// Appends an entry to the chain: seals it after the current head and moves the head, in one
    /// transaction conditional on the head it read, so concurrent writers never fork the chain
    /// (the loser re-reads and retries).
    pub async fn append_audit(
        &self,
        chain: &AuditChain,
        draft: &AuditDraft,
    ) -> Result<AuditEntry, StoreError> {
        for attempt in 0..12u64 {
            let head = self.audit_head(chain).await?;
            let (seq, prev) = head
                .as_ref()
                .map_or((0, GENESIS.to_owned()), |h| (h.seq, h.hash.clone()));
            let entry = draft.clone().seal(seq + 1, &prev);
            let head_item = to_item(
                &Keys::new(chain.partition(), "HEAD"),
                &Head {
                    seq: entry.seq,
                    hash: entry.hash.clone(),
                },
            )?;
            let head_condition = if head.is_some() {
                (
                    "seq = :seen",
                    vec![(":seen", AttributeValue::N(seq.to_string()))],
                )
            } else {
                ("attribute_not_exists(pk)", vec![])
            };
            let result = self
                .transact(vec![
                    self.put_item(head_item, Some(head_condition))?,
                    self.put_item(
                        to_item(&Keys::new(chain.partition(), entry_sk(entry.seq)), &entry)?,
                        Some(("attribute_not_exists(pk)", vec![])),
                    )?,
                ])
                .await;
            match result {
                Ok(()) => return Ok(entry),
                Err(StoreError::Conflict) => {
                    let pause = rand::random_range(2..20u64) * (attempt + 1);
                    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                }
                Err(other) => return Err(other),
            }
        }
        Err(StoreError::Aws(
            "audit append lost 12 races in a row".into(),
        ))
    }

    /// A page of a chain's entries, newest first.
    pub async fn list_audit(
        &self,
        chain: &AuditChain,
        filters: &AuditFilters,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let mut filter = Filter::default();
        for (attribute, value) in [
            ("action", &filters.action),
            ("actor", &filters.actor),
            ("resource_id", &filters.resource_id),
        ] {
            if let Some(value) = value {
                filter = filter.equals(attribute, value);
            }
        }
        if let Some(since) = filters.since {
            filter = filter.at_least(
                "at",
                &since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            );
        }
        let query = Query {
            newest_first: true,
            sort_prefix: Some("E#".into()),
            filter: Some(filter),
            ..Query::partition(chain.partition())
        };
        self.query_page(query, page).await
    }

    /// Every entry of a chain, oldest first, and its head (for verification).
    pub async fn audit_chain(
        &self,
        chain: &AuditChain,
    ) -> Result<(Vec<AuditEntry>, Option<(u64, String)>), StoreError> {
        let head = self.audit_head(chain).await?;
        let entries = self.query_all(chain.partition(), "E#").await?;
        Ok((entries, head.map(|h| (h.seq, h.hash))))
    }
}
