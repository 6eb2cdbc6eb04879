use axum::extract::State;
use faultline::domain::{Principal, Role, RoleDefinition, Roles, Scope, TenantId};
use faultline::http::scopes::{TenantManage, UsersManage};
use faultline::http::{ApiError, Audited, Authorized, Json, Path};
use faultline::views::{RoleList, RoleView};
use faultline::AppState;
use serde::Deserialize;

/// A role's definition.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefineRole {
    /// What the role grants (scope names, e.g. `incidents:read`); may be empty.
    scopes: Vec<String>,
    /// What it is for (at most 200 characters).
    description: Option<String>,
}

/// The most roles of its own a tenant may define.
const MAX_CUSTOM_ROLES: usize = 50;

/// A role name from the path: well formed, and never `admin` (which always holds every scope).
fn definable(name: &str) -> Result<Role, ApiError> {
    match Role::parse(name) {
        Some(Role::Admin) => Err(ApiError::Conflict(
            "`admin` always holds every scope and cannot be redefined".into(),
        )),
        Some(role) => Ok(role),
        None => Err(ApiError::validation(
            "name",
            format!(
                "a role name is lowercase letters, digits, `-` and `_`, starting with a letter, \
                 at most {} characters",
                Role::MAX_NAME_CHARS
            ),
        )),
    }
}

/// Refuses a change to a role that grants, before or after, a scope the caller does not hold:
/// otherwise a caller could hand its users more than it has, or strip a more privileged role.
fn check_may_define(
    principal: &Principal,
    before: &[Scope],
    after: &[Scope],
) -> Result<(), ApiError> {
    let held = principal.scopes();
    match before.iter().chain(after).find(|s| !held.contains(s)) {
        Some(beyond) => Err(ApiError::Forbidden(format!(
            "the role grants `{}`, which the caller does not hold: only a caller holding every \
             scope a role grants, before and after, may change it",
            beyond.as_str()
        ))),
        None => Ok(()),
    }
}

fn checked_scopes(names: &[String]) -> Result<Vec<Scope>, ApiError> {
    let mut scopes = Vec::new();
    for name in names {
        let scope = Scope::parse(name)
            .ok_or_else(|| ApiError::validation("scopes", format!("unknown scope `{name}`")))?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    Ok(scopes)
}

/// List roles.
///
/// The four built-in roles (as the tenant defines them) and the tenant's own, each with the
/// scopes it grants. Scope: `users:manage`.
#[utoipa::path(
    get,
    path = "/v1/roles",
    tag = "users",
    operation_id = "list_roles",
    responses((status = 200, description = "Every role of the tenant", body = RoleList)),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<UsersManage>,
) -> Result<Json<RoleList>, ApiError> {
    let roles = state.store.tenant_roles(&tenant).await?;
    let items = roles
        .all()
        .iter()
        .map(|r| RoleView::new(r, &roles))
        .collect();
    Ok(Json(RoleList { items }))
}

async fn existing(
    state: &AppState,
    tenant: &TenantId,
    name: &str,
) -> Result<(Role, Roles), ApiError> {
    let roles = state.store.tenant_roles(tenant).await?;
    match Role::parse(name).filter(|r| roles.exists(r)) {
        Some(role) => Ok((role, roles)),
        None => Err(ApiError::not_found("role", name)),
    }
}

/// Get a role.
///
/// Scope: `users:manage`.
#[utoipa::path(
    get,
    path = "/v1/roles/{name}",
    tag = "users",
    operation_id = "get_role",
    params(("name" = String, Path, description = "The role's name")),
    responses((status = 200, description = "The role", body = RoleView)),
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<UsersManage>,
    Path(name): Path<String>,
) -> Result<Json<RoleView>, ApiError> {
    let (role, roles) = existing(&state, &tenant, &name).await?;
    Ok(Json(RoleView::new(&role, &roles)))
}

/// Define a role.
///
/// Redefines `manager`, `developer` or `viewer`, or creates or changes one of the tenant's own
/// roles (at most 50). Users holding the role get the new scopes on their next request; their
/// tokens keep working but carry no more than the role now grants. `admin` cannot be redefined.
/// The caller must hold every scope the role grants before and after. Scope: `tenant:manage`.
#[utoipa::path(
    put,
    path = "/v1/roles/{name}",
    tag = "users",
    operation_id = "define_role",
    params(("name" = String, Path, description = "The role's name")),
    request_body = DefineRole,
    responses(
        (status = 200, description = "The role as now defined", body = RoleView),
        (status = 409, description = "`admin`, or one role too many", body = faultline::http::openapi::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn define(
    State(state): State<AppState>,
    Authorized {
        tenant, principal, ..
    }: Authorized<TenantManage>,
    Path(name): Path<String>,
    Json(body): Json<DefineRole>,
) -> Result<Audited, ApiError> {
    let role = definable(&name)?;
    let scopes = checked_scopes(&body.scopes)?;
    let description = match body.description.map(|d| d.trim().to_owned()) {
        Some(d) if d.chars().count() > 200 => {
            return Err(ApiError::validation(
                "description",
                "`description` must be at most 200 characters",
            ))
        }
        Some(d) if d.is_empty() => None,
        other => other,
    };
    let roles = state.store.tenant_roles(&tenant).await?;
    check_may_define(&principal, &roles.scopes(&role), &scopes)?;
    let is_new = !roles.exists(&role);
    if is_new && roles.all().len() - Role::BUILT_IN.len() >= MAX_CUSTOM_ROLES {
        return Err(ApiError::Conflict(format!(
            "a tenant may define at most {MAX_CUSTOM_ROLES} roles of its own"
        )));
    }
    let before = RoleView::new(&role, &roles);
    let definition = RoleDefinition {
        tenant_id: tenant.clone(),
        role: role.clone(),
        scopes,
        description,
        updated_at: state.clock.now(),
    };
    state.store.put_role(&definition).await?;
    let after = RoleView::new(&role, &Roles::new(vec![definition]));
    Ok(if is_new {
        Audited::created("roles", &role, &after)
    } else {
        Audited::updated("roles", &role, &before, &after)
    })
}

/// Delete a role.
///
/// A redefined `manager`, `developer` or `viewer` returns to its built-in scopes; one of the
/// tenant's own roles is removed, unless a user still holds it (409: give them another role
/// first). The caller must hold every scope the role grants. Scope: `tenant:manage`.
#[utoipa::path(
    delete,
    path = "/v1/roles/{name}",
    tag = "users",
    operation_id = "delete_role",
    params(("name" = String, Path, description = "The role's name")),
    responses(
        (status = 204, description = "Deleted, or restored to its built-in scopes"),
        (status = 409, description = "`admin`, or a role users still hold", body = faultline::http::openapi::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    Authorized {
        tenant, principal, ..
    }: Authorized<TenantManage>,
    Path(name): Path<String>,
) -> Result<Audited, ApiError> {
    // A name that cannot be a role names no role: 404, as a malformed id does.
    if Role::parse(&name).is_none() {
        return Err(ApiError::not_found("role", &name));
    }
    let role = definable(&name)?;
    let roles = state.store.tenant_roles(&tenant).await?;
    if roles.definition(&role).is_none() {
        return Err(if role.is_built_in() {
            ApiError::NotFound(format!(
                "`{role}` is not redefined: it already grants its built-in scopes"
            ))
        } else {
            ApiError::not_found("role", &name)
        });
    }
    check_may_define(&principal, &roles.scopes(&role), &role.default_scopes())?;
    if !role.is_built_in() {
        let holders = state
            .store
            .tenant_users(&tenant)
            .await?
            .iter()
            .filter(|u| u.role == role)
            .count();
        if holders > 0 {
            return Err(ApiError::Conflict(format!(
                "{holders} user(s) hold the role `{role}`: give them another role first"
            )));
        }
    }
    let before = RoleView::new(&role, &roles);
    state.store.delete_role(&tenant, &role).await?;
    Ok(Audited::deleted("roles", &role, &before))
}
