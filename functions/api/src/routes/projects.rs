use faultline::auth::{Principal, Scope};
use faultline::domain::project::{is_valid_slug, slugify};
use faultline::domain::{Project, ProjectId};
use faultline::http::{
    checked_description, checked_environment, checked_name, decode_body, json_response, no_content,
    page_request, page_response, path_id, require_scope, ApiError,
};
use faultline::store::StoreError;
use faultline::AppState;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

/// A new project.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateProject {
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
struct UpdateProject {
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
    responses((status = 201, description = "The project", body = Object)),
)]
pub async fn create(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::ProjectsWrite)?;
    let body: CreateProject = decode_body(req)?;
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
            Ok(()) => return Ok(json_response(StatusCode::CREATED, &project.to_json())),
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
    responses((status = 200, description = "A page of projects", body = faultline::http::openapi::ItemList)),
)]
pub async fn list(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::ProjectsRead)?;
    let page = state
        .store
        .list_projects(tenant, &page_request(req)?)
        .await?;
    Ok(page_response(page.map(|p| p.to_json())))
}

async fn find(
    state: &AppState,
    principal: &Principal,
    req: &Request,
    scope: Scope,
) -> Result<Project, ApiError> {
    let tenant = require_scope(principal, scope)?;
    let id = path_id(req, "id", "project", ProjectId::parse)?;
    state
        .store
        .get_project(tenant, &id)
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
    responses((status = 200, description = "The project", body = Object)),
)]
pub async fn get(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let project = find(state, principal, req, Scope::ProjectsRead).await?;
    Ok(json_response(StatusCode::OK, &project.to_json()))
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
    responses((status = 200, description = "The changed project", body = Object)),
)]
pub async fn update(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let mut project = find(state, principal, req, Scope::ProjectsWrite).await?;
    let body: UpdateProject = decode_body(req)?;
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
        Ok(()) => Ok(json_response(StatusCode::OK, &project.to_json())),
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
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let project = find(state, principal, req, Scope::ProjectsWrite).await?;
    for config in state
        .store
        .project_sentry_configs(&project.tenant_id, &project.id)
        .await?
    {
        state.store.delete_sentry_config(&config).await?;
    }
    match state.store.delete_project(&project).await {
        Ok(()) | Err(StoreError::Conflict) => Ok(no_content()),
        Err(other) => Err(other.into()),
    }
}
