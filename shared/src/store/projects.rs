use super::keys;
use super::page::{Page, PageRequest};
use super::table::{to_item, Keys, Query, Store, StoreError};
use crate::domain::{Project, ProjectId, TenantId};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};

fn project_keys(tenant: &TenantId, id: &ProjectId) -> Keys {
    Keys::new(keys::tenant(tenant), keys::project_sk(id))
}

fn slug_keys(tenant: &TenantId, slug: &str) -> Keys {
    Keys::new(keys::project_slug(tenant, slug), "SLUG")
}

impl Store {
    fn slug_claim(&self, project: &Project) -> Result<TransactWriteItem, StoreError> {
        let mut item = slug_keys(&project.tenant_id, &project.slug).key();
        item.insert(
            "project_id".into(),
            AttributeValue::S(project.id.to_string()),
        );
        self.put_item(item, Some(("attribute_not_exists(pk)", vec![])))
    }

    fn slug_release(&self, tenant: &TenantId, slug: &str) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(slug_keys(tenant, slug).key()))
            .build()
            .map_err(|e| StoreError::Codec(e.to_string()))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Stores a new project and claims its slug, together; `Conflict` when the slug is taken.
    pub async fn create_project(&self, project: &Project) -> Result<(), StoreError> {
        let item = to_item(&project_keys(&project.tenant_id, &project.id), project)?;
        self.transact(vec![
            self.put_item(item, Some(("attribute_not_exists(pk)", vec![])))?,
            self.slug_claim(project)?,
        ])
        .await
    }

    /// Replaces a project; when its slug changed from `old_slug`, claims the new one and releases
    /// the old in the same transaction (`Conflict` when the new slug is taken or the project is
    /// gone).
    pub async fn update_project(
        &self,
        project: &Project,
        old_slug: &str,
    ) -> Result<(), StoreError> {
        let item = to_item(&project_keys(&project.tenant_id, &project.id), project)?;
        let mut writes = vec![self.put_item(item, Some(("attribute_exists(pk)", vec![])))?];
        if project.slug != old_slug {
            writes.push(self.slug_claim(project)?);
            writes.push(self.slug_release(&project.tenant_id, old_slug)?);
        }
        self.transact(writes).await
    }

    /// Deletes a project and releases its slug.
    pub async fn delete_project(&self, project: &Project) -> Result<(), StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(project_keys(&project.tenant_id, &project.id).key()))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(|e| StoreError::Codec(e.to_string()))?;
        self.transact(vec![
            TransactWriteItem::builder().delete(delete).build(),
            self.slug_release(&project.tenant_id, &project.slug)?,
        ])
        .await
    }

    /// A tenant's project.
    pub async fn get_project(
        &self,
        tenant: &TenantId,
        id: &ProjectId,
    ) -> Result<Option<Project>, StoreError> {
        self.get(&project_keys(tenant, id)).await
    }

    /// A tenant's project by slug.
    pub async fn find_project_by_slug(
        &self,
        tenant: &TenantId,
        slug: &str,
    ) -> Result<Option<Project>, StoreError> {
        #[derive(serde::Deserialize)]
        struct Claim {
            project_id: ProjectId,
        }
        let claim: Option<Claim> = self.get(&slug_keys(tenant, slug)).await?;
        match claim {
            Some(claim) => self.get_project(tenant, &claim.project_id).await,
            None => Ok(None),
        }
    }

    /// One page of a tenant's projects, oldest first.
    pub async fn list_projects(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<Project>, StoreError> {
        let query = Query {
            sort_prefix: Some(keys::PROJECT_PREFIX.to_owned()),
            ..Query::partition(keys::tenant(tenant))
        };
        self.query_page(query, page).await
    }
}
