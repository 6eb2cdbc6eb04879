use faultline::auth::password::{hash_password, MIN_PASSWORD_CHARS};
use faultline::auth::{Principal, Scope};
use faultline::domain::{Role, User, UserId};
use faultline::http::{
    decode_body, json_response, no_content, page_request, page_response, path_id, require_scope,
    ApiError,
};
use faultline::store::StoreError;
use faultline::AppState;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

/// A new user.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateUser {
    /// Sign-in name; unique across the hub.
    email: String,
    /// At least 12 characters; stored only as an argon2id hash.
    password: String,
    /// `admin`, `manager`, `developer` or `viewer`.
    role: String,
    /// Scopes granted on top of the role's.
    #[serde(default)]
    extra_scopes: Vec<String>,
}

/// Changes to a user; absent fields stay as they are.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateUser {
    role: Option<String>,
    extra_scopes: Option<Vec<String>>,
    /// `false` signs the user out everywhere at once (its tokens stop working).
    active: Option<bool>,
    password: Option<String>,
}

fn checked_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        })
        && !email.chars().any(char::is_whitespace);
    if !valid {
        return Err(ApiError::validation(
            "email",
            "`email` must be an email address",
        ));
    }
    Ok(email)
}

fn checked_password(password: &str) -> Result<String, ApiError> {
    let count = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=256).contains(&count) {
        return Err(ApiError::validation(
            "password",
            format!("`password` must be {MIN_PASSWORD_CHARS} to 256 characters"),
        ));
    }
    hash_password(password).map_err(ApiError::internal)
}

/// The role and extra scopes, each of which the caller must hold (no one grants more than they
/// have).
fn checked_grants(
    principal: &Principal,
    role: &str,
    extra: &[String],
) -> Result<(Role, Vec<Scope>), ApiError> {
    let role = Role::parse(role).ok_or_else(|| {
        ApiError::validation("role", "`role` must be admin, manager, developer or viewer")
    })?;
    let extra = extra
        .iter()
        .map(|name| {
            Scope::parse(name).ok_or_else(|| {
                ApiError::validation("extra_scopes", format!("unknown scope `{name}`"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let holds = principal.scopes();
    if let Some(missing) = role
        .scopes()
        .iter()
        .chain(&extra)
        .find(|s| !holds.contains(s))
    {
        return Err(ApiError::validation(
            "role",
            format!(
                "cannot grant `{}`: the caller does not hold it",
                missing.as_str()
            ),
        ));
    }
    Ok((role, extra))
}

/// Create a user.
///
/// A person who signs in with `POST /v1/auth/token` (`grant_type=password`). The role and extra
/// scopes must be within the caller's own. Scope: `users:manage`.
#[utoipa::path(
    post,
    path = "/v1/users",
    tag = "users",
    operation_id = "create_user",
    request_body = CreateUser,
    responses((status = 201, description = "The user (never the password)", body = Object)),
)]
pub async fn create(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::UsersManage)?;
    let body: CreateUser = decode_body(req)?;
    let email = checked_email(&body.email)?;
    let (role, extra_scopes) = checked_grants(principal, &body.role, &body.extra_scopes)?;
    let password_hash = checked_password(&body.password)?;
    let now = state.clock.now();
    let user = User {
        id: UserId::generate(),
        tenant_id: tenant.clone(),
        email,
        password_hash,
        role,
        extra_scopes,
        active: true,
        created_at: now,
        updated_at: now,
    };
    match state.store.create_user(&user).await {
        Ok(()) => Ok(json_response(StatusCode::CREATED, &user.to_json())),
        Err(StoreError::Conflict) => Err(ApiError::validation(
            "email",
            "this email is already in use",
        )),
        Err(other) => Err(other.into()),
    }
}

/// List users.
///
/// Scope: `users:manage`.
#[utoipa::path(
    get,
    path = "/v1/users",
    tag = "users",
    operation_id = "list_users",
    params(faultline::http::openapi::PageQuery),
    responses((status = 200, description = "A page of users", body = faultline::http::openapi::ItemList)),
)]
pub async fn list(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::UsersManage)?;
    let page = state.store.list_users(tenant, &page_request(req)?).await?;
    Ok(page_response(page.map(|u| u.to_json())))
}

async fn find(state: &AppState, principal: &Principal, req: &Request) -> Result<User, ApiError> {
    let tenant = require_scope(principal, Scope::UsersManage)?;
    let id = path_id(req, "id", "user", UserId::parse)?;
    state
        .store
        .get_user(tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("user", id.as_str()))
}

/// Get a user.
///
/// Scope: `users:manage`.
#[utoipa::path(
    get,
    path = "/v1/users/{id}",
    tag = "users",
    operation_id = "get_user",
    params(("id" = String, Path, description = "The user (`usr_…`)")),
    responses((status = 200, description = "The user", body = Object)),
)]
pub async fn get(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let user = find(state, principal, req).await?;
    Ok(json_response(StatusCode::OK, &user.to_json()))
}

/// Change a user.
///
/// Role, extra scopes (within the caller's own), `active` (deactivating stops its tokens at
/// once), password. A lowered role takes effect on the user's next request. Scope:
/// `users:manage`.
#[utoipa::path(
    patch,
    path = "/v1/users/{id}",
    tag = "users",
    operation_id = "update_user",
    params(("id" = String, Path, description = "The user (`usr_…`)")),
    request_body = UpdateUser,
    responses((status = 200, description = "The changed user", body = Object)),
)]
pub async fn update(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let mut user = find(state, principal, req).await?;
    let body: UpdateUser = decode_body(req)?;
    if body.role.is_some() || body.extra_scopes.is_some() {
        let role = body.role.unwrap_or_else(|| user.role.as_str().to_owned());
        let extra = body.extra_scopes.unwrap_or_else(|| {
            user.extra_scopes
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect()
        });
        (user.role, user.extra_scopes) = checked_grants(principal, &role, &extra)?;
    }
    if let Some(active) = body.active {
        user.active = active;
    }
    if let Some(password) = body.password {
        user.password_hash = checked_password(&password)?;
    }
    user.updated_at = state.clock.now();
    match state.store.save_user(&user).await {
        Ok(()) => Ok(json_response(StatusCode::OK, &user.to_json())),
        Err(StoreError::Conflict) => Err(ApiError::not_found("user", user.id.as_str())),
        Err(other) => Err(other.into()),
    }
}

/// Delete a user.
///
/// Its email becomes free and its tokens stop working. Scope: `users:manage`.
#[utoipa::path(
    delete,
    path = "/v1/users/{id}",
    tag = "users",
    operation_id = "delete_user",
    params(("id" = String, Path, description = "The user (`usr_…`)")),
    responses((status = 204, description = "Deleted")),
)]
pub async fn delete(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let user = find(state, principal, req).await?;
    state.store.delete_user(&user).await?;
    Ok(no_content())
}
