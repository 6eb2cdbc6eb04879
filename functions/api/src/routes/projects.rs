use axum::extract::State;
use faultline::domain::project::{is_valid_slug, slugify};
use faultline::domain::{Project, ProjectId, TenantId};
use faultline::http::scopes::{ProjectsRead, ProjectsWrite};
use faultline::http::{
    checked_description, checked_environment, checked_name, ApiError, Audited, Authorized, Json,
    Page, Path,
};
use faultline::store::StoreError;
use faultline::views::{ProjectPage, ProjectView};
use faultline::AppState;
use serde::Deserialize;

/// A new project.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    /// Display name, 1–200 characters; the slug is generated from it.
    name: String,
    /// Free text, at most 1000 characters.
    #[serde(default)]
    description: String,
    /// The default environment: `development`, `staging`, `production` (default) or custom.
    #[serde(default)]
    environment: Option<String>,
    /// Whether it is active (default true).
    #[serde(default)]
    active: Option<bool>,
}

/// Changes to a project; absent fields stay as they are.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    name: Option<String>,
    /// A new slug (applications fetching configuration by slug must follow).
    slug: Option<String>,
    description: Option<String>,
    environment: Option<String>,
    active: Option<bool>,
}

/// Create a project.
///
/// Its `slug` comes from the name (`Checkout API` → `checkout-api`), made unique within the
/// tenant with a numeric suffix. Scope: `projects:write`.
#[utoipa::path(
    post,
    path = "/v1/projects",
    tag = "projects",
    operation_id = "create_project",
    request_body = CreateProject,
    responses((status = 201, description = "The project", body = ProjectView)),
)]
pub async fn create(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<ProjectsWrite>,
    Json(body): Json<CreateProject>,
) -> Result<Audited, ApiError> {
    let name = checked_name("name", &body.name)?;
    let now = state.clock.now();
    let mut project = Project {
        id: ProjectId::generate(),
        tenant_id: tenant.clone(),
        slug: slugify(&name),
        name,
        description: checked_description("description", &body.description)?,
        environment: checked_environment(
            "environment",
            body.environment.as_deref().unwrap_or("production"),
        )?,
        active: body.active.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    let base = project.slug.clone();
    for n in 2..=50 {
        match state.store.create_project(&project).await {
            Ok(()) => {
                return Ok(Audited::created(
                    "projects",
                    &project.id,
                    &ProjectView::from(&project),
                ))
            }
            // The slug is taken: try the next suffix.
            Err(StoreError::Conflict) => project.slug = format!("{base}-{n}"),
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::validation(
        "name",
        "too many projects share this name's slug; choose another name",
    ))
}

/// List projects.
///
/// Oldest first. Scope: `projects:read`.
#[utoipa::path(
    get,
    path = "/v1/projects",
    tag = "projects",
    operation_id = "list_projects",
    params(faultline::http::openapi::PageQuery),
    responses((status = 200, description = "A page of projects", body = ProjectPage)),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<ProjectsRead>,
    Page(page): Page,
) -> Result<Json<ProjectPage>, ApiError> {
    let page = state.store.list_projects(&tenant, &page).await?;
    Ok(Json(page.map(|p| ProjectView::from(&p)).into()))
}

/// The tenant's project `id`, or 404.
pub(super) async fn find(
    state: &AppState,
    tenant: &TenantId,
    id: &ProjectId,
) -> Result<Project, ApiError> {
    state
        .store
        .get_project(tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("project", id.as_str()))
}

/// Get a project.
///
/// Scope: `projects:read`.
#[utoipa::path(
    get,
    path = "/v1/projects/{id}",
    tag = "projects",
    operation_id = "get_project",
    params(("id" = String, Path, description = "The project (`prj_…`)")),
    responses((status = 200, description = "The project", body = ProjectView)),
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<ProjectsRead>,
    Path(id): Path<ProjectId>,
) -> Result<Json<ProjectView>, ApiError> {
    let project = find(&state, &tenant, &id).await?;
    Ok(Json(ProjectView::from(&project)))
}

/// Change a project.
///
/// Only the fields given change; renaming keeps the slug unless `slug` is given (it must be free
/// within the tenant). Scope: `projects:write`.
#[utoipa::path(
    patch,
    path = "/v1/projects/{id}",
    tag = "projects",
    operation_id = "update_project",
    params(("id" = String, Path, description = "The project (`prj_…`)")),
    request_body = UpdateProject,
    responses((status = 200, description = "The changed project", body = ProjectView)),
)]
pub async fn update(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<ProjectsWrite>,
    Path(id): Path<ProjectId>,
    Json(body): Json<UpdateProject>,
) -> Result<Audited, ApiError> {
    let mut project = find(&state, &tenant, &id).await?;
    let before = ProjectView::from(&project);
    let old_slug = project.slug.clone();
    if let Some(name) = body.name {
        project.name = checked_name("name", &name)?;
    }
    if let Some(slug) = body.slug {
        if !is_valid_slug(&slug) {
            return Err(ApiError::validation(
                "slug",
                "`slug` must be 1 to 48 lowercase letters, digits and single inner hyphens",
            ));
        }
        project.slug = slug;
    }
    if let Some(text) = body.description {
        project.description = checked_description("description", &text)?;
    }
    if let Some(environment) = body.environment {
        project.environment = checked_environment("environment", &environment)?;
    }
    if let Some(active) = body.active {
        project.active = active;
    }
    project.updated_at = state.clock.now();
    match state.store.update_project(&project, &old_slug).await {
        Ok(()) => Ok(Audited::updated(
            "projects",
            &project.id,
            &before,
            &ProjectView::from(&project),
        )),
        Err(StoreError::Conflict) if project.slug != old_slug => Err(ApiError::validation(
            "slug",
            format!("the slug `{}` is taken by another project", project.slug),
        )),
        Err(StoreError::Conflict) => Err(ApiError::not_found("project", project.id.as_str())),
        Err(other) => Err(other.into()),
    }
}

/// Delete a project.
///
/// Its slug becomes free and its Sentry configurations go with it. Scope: `projects:write`.
#[utoipa::path(
    delete,
    path = "/v1/projects/{id}",
    tag = "projects",
    operation_id = "delete_project",
    params(("id" = String, Path, description = "The project (`prj_…`)")),
    responses((status = 204, description = "Deleted")),
)]
pub async fn delete(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<ProjectsWrite>,
    Path(id): Path<ProjectId>,
) -> Result<Audited, ApiError> {
    let project = find(&state, &tenant, &id).await?;
    for config in state
        .store
        .project_sentry_configs(&project.tenant_id, &project.id)
        .await?
    {
        state.store.delete_sentry_config(&config).await?;
    }
    match state.store.delete_project(&project).await {
        Ok(()) | Err(StoreError::Conflict) => Ok(Audited::deleted(
            "projects",
            &project.id,
            &ProjectView::from(&project),
        )),
        Err(other) => Err(other.into()),
    }
}
