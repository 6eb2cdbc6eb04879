use super::page::{Page, PageRequest};
use super::table::{to_item, Filter, Keys, Query, Store, StoreError};
use crate::domain::audit::{AuditDraft, AuditEntry, GENESIS};
use crate::domain::TenantId;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};
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
    /// The chain's name when parked: the tenant id, or `platform`.
    fn name(&self) -> String {
        match self {
            Self::Tenant(t) => t.to_string(),
            Self::Platform => "platform".into(),
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "platform" => Some(Self::Platform),
            tenant => TenantId::parse(tenant).map(Self::Tenant),
        }
    }

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

/// Where an audit entry waits for its append: a parked entry or intent, or a refusal counter
/// (which the relay settles the same way).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParkedAudit {
    partition: String,
    sk: String,
}

impl ParkedAudit {
    fn keys(&self) -> Keys {
        Keys::new(self.partition.clone(), self.sk.clone())
    }
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
        self.append_audit_settling(chain, draft, None).await
    }

    /// Appends the entry and, in the same transaction, removes the parked item it settles (a
    /// request's write-ahead intent, or an entry the relay is appending): an entry is appended
    /// once, never twice, whatever fails in between.
    pub async fn append_audit_settling(
        &self,
        chain: &AuditChain,
        draft: &AuditDraft,
        settles: Option<&ParkedAudit>,
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
            let mut writes = vec![
                self.put_item(head_item, Some(head_condition))?,
                self.put_item(
                    to_item(&Keys::new(chain.partition(), entry_sk(entry.seq)), &entry)?,
                    Some(("attribute_not_exists(pk)", vec![])),
                )?,
            ];
            if let Some(parked) = settles {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(parked.keys().key()))
                    .build()
                    .map_err(|e| StoreError::Codec(e.to_string()))?;
                writes.push(TransactWriteItem::builder().delete(delete).build());
            }
            let result = self.transact(writes).await;
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

    /// Parks an entry for the outbox relay to append: a mutating request's write-ahead intent
    /// (parked before its change is made, settled when its entry is appended) or an entry whose
    /// append failed. Answers where it is parked.
    pub async fn park_audit(
        &self,
        chain: &AuditChain,
        draft: &AuditDraft,
    ) -> Result<ParkedAudit, StoreError> {
        let parked = ParkedAudit {
            partition: super::keys::PARKED_AUDIT.to_owned(),
            sk: format!("{}#{}", super::keys::sort_time(draft.at), ulid::Ulid::new()),
        };
        self.repark_audit(&parked, chain, draft).await?;
        Ok(parked)
    }

    /// Replaces what is parked at `parked` (an intent becomes the full entry when its append
    /// failed after the change).
    pub async fn repark_audit(
        &self,
        parked: &ParkedAudit,
        chain: &AuditChain,
        draft: &AuditDraft,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(draft).map_err(|e| StoreError::Codec(e.to_string()))?;
        let mut item = parked.keys().key();
        item.insert("chain".into(), AttributeValue::S(chain.name()));
        item.insert("draft".into(), AttributeValue::S(json));
        self.put(item).await
    }

    /// Appends up to `max` entries parked before `before`, oldest first, each removed in the
    /// transaction that appends it; answers how many were found and appended. (Entries parked
    /// since are left to the requests still settling them.)
    pub async fn append_parked_audits(
        &self,
        max: i32,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<(usize, usize), StoreError> {
        let cutoff = super::keys::sort_time(before);
        self.append_pending(super::keys::PARKED_AUDIT, Some(cutoff), max)
            .await
    }

    /// Appends the entries waiting in `partition` (sort keys below `below`, when given), oldest
    /// first and at most `max`, to their chains, removing each once appended. Each item holds
    /// its `chain`, its `draft` and, for refusal counters, how many `refusals` it stands for.
    /// Answers how many were found and appended.
    async fn append_pending(
        &self,
        partition: &str,
        below: Option<String>,
        max: i32,
    ) -> Result<(usize, usize), StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
            .limit(max)
            .consistent_read(true);
        let query = match below {
            Some(cutoff) => query
                .key_condition_expression("pk = :pk AND sk < :cutoff")
                .expression_attribute_values(":cutoff", AttributeValue::S(cutoff)),
            None => query.key_condition_expression("pk = :pk"),
        };
        let items = query.send().await?.items.unwrap_or_default();
        let mut appended = 0;
        for item in &items {
            let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
            let (Some(sk), Some(chain), Some(draft)) = (text("sk"), text("chain"), text("draft"))
            else {
                continue;
            };
            let chain = AuditChain::from_name(&chain)
                .ok_or_else(|| StoreError::Codec(format!("pending audit entry for `{chain}`")))?;
            let mut draft: AuditDraft =
                serde_json::from_str(&draft).map_err(|e| StoreError::Codec(e.to_string()))?;
            let count: u64 = item
                .get("refusals")
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            if count > 1 {
                draft.detail = Some(format!(
                    "{count} refused requests from this address with this credential in this \
                     minute; the first: {}",
                    draft.detail.unwrap_or_default()
                ));
            }
            let pending = ParkedAudit {
                partition: partition.to_owned(),
                sk,
            };
            self.append_audit_settling(&chain, &draft, Some(&pending))
                .await?;
            appended += 1;
        }
        Ok((items.len(), appended))
    }

    /// Counts a refused credential instead of appending it: one counter per minute, chain,
    /// source address and actor, holding the first refusal's details. A flood of refusals thus
    /// writes one item per (minute, address, key), never the chain's head;
    /// [`Store::fold_refusals`] later appends each counter as one entry.
    pub async fn count_refusal(
        &self,
        chain: &AuditChain,
        draft: &AuditDraft,
    ) -> Result<(), StoreError> {
        let minute = draft.at.timestamp().div_euclid(60);
        let sort = format!(
            "{minute:012}#{}#{}#{}",
            chain.name(),
            draft.source_ip,
            draft.actor
        );
        let first = serde_json::to_string(draft).map_err(|e| StoreError::Codec(e.to_string()))?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(
                Keys::new(super::keys::REFUSALS.to_owned(), sort).key(),
            ))
            .update_expression(
                "ADD refusals :one SET chain = if_not_exists(chain, :chain), \
                 #draft = if_not_exists(#draft, :first)",
            )
            .expression_attribute_names("#draft", "draft")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":chain", AttributeValue::S(chain.name()))
            .expression_attribute_values(":first", AttributeValue::S(first))
            .send()
            .await?;
        Ok(())
    }

    /// Appends every refusal counter of a minute before `before` to its chain, as one
    /// `auth.failed` entry saying how many requests it stands for, and removes the counter;
    /// answers how many entries were appended.
    pub async fn fold_refusals(
        &self,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, StoreError> {
        let cutoff = format!("{:012}", before.timestamp().div_euclid(60));
        let (_, appended) = self
            .append_pending(super::keys::REFUSALS, Some(cutoff), 500)
            .await?;
        Ok(appended)
    }

    /// The chain's head: its newest entry's position and hash.
    pub async fn audit_head_position(
        &self,
        chain: &AuditChain,
    ) -> Result<Option<(u64, String)>, StoreError> {
        Ok(self.audit_head(chain).await?.map(|h| (h.seq, h.hash)))
    }

    /// The last entry a verification found good (position and hash), if any.
    pub async fn audit_checkpoint(
        &self,
        chain: &AuditChain,
    ) -> Result<Option<(u64, String)>, StoreError> {
        let checkpoint: Option<Head> = self
            .get(&Keys::new(chain.partition(), "CHECKPOINT"))
            .await?;
        Ok(checkpoint.map(|c| (c.seq, c.hash)))
    }

    /// Records that the chain verified good up to entry `seq` (hash `hash`); never moves back.
    pub async fn save_audit_checkpoint(
        &self,
        chain: &AuditChain,
        seq: u64,
        hash: &str,
    ) -> Result<(), StoreError> {
        let item = to_item(
            &Keys::new(chain.partition(), "CHECKPOINT"),
            &Head {
                seq,
                hash: hash.to_owned(),
            },
        )?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR seq < :seq")
            .expression_attribute_values(":seq", AttributeValue::N(seq.to_string()))
            .send()
            .await
            .map(|_| ())
            .map_err(StoreError::from);
        match result {
            Err(StoreError::Conflict) => Ok(()),
            other => other,
        }
    }

    /// A page of a chain's entries after entry `after`, oldest first.
    pub async fn audit_entries_after(
        &self,
        chain: &AuditChain,
        after: u64,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let query = Query {
            sort_from: Some(entry_sk(after + 1)),
            sort_to: Some(entry_sk(999_999_999_999)),
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
