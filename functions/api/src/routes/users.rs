use axum::extract::State;
use faultline::auth::password::{hash_password, MIN_PASSWORD_CHARS};
use faultline::domain::{Principal, Scope, Subject};
use faultline::domain::{Role, Roles, TenantId, User, UserId};
use faultline::http::scopes::UsersManage;
use faultline::http::{ApiError, Audited, Authorized, Json, Page, Path};
use faultline::store::StoreError;
use faultline::views::{ApiKeyPage, ApiKeyView, UserPage, UserView};
use faultline::AppState;
use http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

/// A new user.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Sign-in name; unique within the tenant (the password grant names the tenant).
    email: String,
    /// At least 12 characters; stored only as an argon2id hash.
    password: String,
    /// `admin`, `manager`, `developer`, `viewer` or a role the tenant defined (`/v1/roles`).
    role: String,
    /// Scopes granted on top of the role's.
    #[serde(default)]
    extra_scopes: Vec<String>,
}

/// Changes to a user; absent fields stay as they are.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
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
/// have); the role must exist in the tenant.
fn checked_grants(
    principal: &Principal,
    roles: &Roles,
    role: &str,
    extra: &[String],
) -> Result<(Role, Vec<Scope>), ApiError> {
    let role = Role::parse(role)
        .filter(|r| roles.exists(r))
        .ok_or_else(|| {
            ApiError::validation(
                "role",
                "`role` must be admin, manager, developer, viewer or a role the tenant defined \
                 (GET /v1/roles)",
            )
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
    if let Some(missing) = roles
        .scopes(&role)
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
    responses((status = 201, description = "The user (never the password)", body = UserView)),
)]
pub async fn create(
    State(state): State<AppState>,
    Authorized {
        tenant, principal, ..
    }: Authorized<UsersManage>,
    Json(body): Json<CreateUser>,
) -> Result<Audited, ApiError> {
    let email = checked_email(&body.email)?;
    let roles = state.store.tenant_roles(&tenant).await?;
    let (role, extra_scopes) = checked_grants(&principal, &roles, &body.role, &body.extra_scopes)?;
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
        token_generation: 0,
    };
    match state.store.create_user(&user).await {
        Ok(()) => Ok(Audited::created(
            "users",
            &user.id,
            &UserView::new(&user, &roles),
        )),
        Err(StoreError::Conflict) => Err(ApiError::validation(
            "email",
            "this tenant already has a user with this email",
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
    responses((status = 200, description = "A page of users", body = UserPage)),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<UsersManage>,
    Page(page): Page,
) -> Result<Json<UserPage>, ApiError> {
    let (page, roles) = tokio::try_join!(
        state.store.list_users(&tenant, &page),
        state.store.tenant_roles(&tenant)
    )?;
    Ok(Json(page.map(|u| UserView::new(&u, &roles)).into()))
}

/// Refuses a change to a user who holds a scope the caller does not: otherwise anyone with
/// `users:manage` could set an admin's password and sign in as them, or demote and delete them.
fn check_may_manage(principal: &Principal, roles: &Roles, user: &User) -> Result<(), ApiError> {
    let held = principal.scopes();
    match user.scopes(roles).into_iter().find(|s| !held.contains(s)) {
        Some(beyond) => Err(ApiError::Forbidden(format!(
            "this user holds `{}`, which the caller does not: only a caller holding every scope \
             of a user may change or delete them",
            beyond.as_str()
        ))),
        None => Ok(()),
    }
}

fn is_active_admin(user: &User) -> bool {
    user.active && user.role == Role::Admin
}

/// Refuses a change (`after`: `None` for a deletion) that would leave the tenant without an
/// active admin.
async fn keep_an_admin(
    state: &AppState,
    tenant: &TenantId,
    before: &User,
    after: Option<&User>,
) -> Result<(), ApiError> {
    if !is_active_admin(before) || after.is_some_and(is_active_admin) {
        return Ok(());
    }
    let others = state
        .store
        .tenant_users(tenant)
        .await?
        .iter()
        .filter(|u| u.id != before.id && is_active_admin(u))
        .count();
    if others == 0 {
        return Err(ApiError::Conflict(
            "this is the tenant's last active admin: make another user admin first".into(),
        ));
    }
    Ok(())
}

pub(super) async fn find(
    state: &AppState,
    tenant: &TenantId,
    id: &UserId,
) -> Result<User, ApiError> {
    state
        .store
        .get_user(tenant, id)
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
    responses((status = 200, description = "The user", body = UserView)),
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<UsersManage>,
    Path(id): Path<UserId>,
) -> Result<Json<UserView>, ApiError> {
    let (user, roles) = tokio::try_join!(find(&state, &tenant, &id), async {
        Ok(state.store.tenant_roles(&tenant).await?)
    })?;
    Ok(Json(UserView::new(&user, &roles)))
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
    responses(
        (status = 200, description = "The changed user", body = UserView),
        (status = 409, description = "The change would leave the tenant without an active admin", body = faultline::http::openapi::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    Authorized {
        tenant, principal, ..
    }: Authorized<UsersManage>,
    Path(id): Path<UserId>,
    Json(body): Json<UpdateUser>,
) -> Result<Audited, ApiError> {
    let mut user = find(&state, &tenant, &id).await?;
    let roles = state.store.tenant_roles(&tenant).await?;
    check_may_manage(&principal, &roles, &user)?;
    let unchanged = user.clone();
    let before = serde_json::to_value(UserView::new(&user, &roles)).unwrap_or_default();
    if body.role.is_some() || body.extra_scopes.is_some() {
        let role = body.role.unwrap_or_else(|| user.role.as_str().to_owned());
        let extra = body.extra_scopes.unwrap_or_else(|| {
            user.extra_scopes
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect()
        });
        (user.role, user.extra_scopes) = checked_grants(&principal, &roles, &role, &extra)?;
    }
    if let Some(active) = body.active {
        user.active = active;
    }
    let password_changed = body.password.is_some();
    if let Some(password) = body.password {
        user.password_hash = checked_password(&password)?;
    }
    let deactivated = unchanged.active && !user.active;
    if password_changed || deactivated {
        user.end_tokens();
    }
    keep_an_admin(&state, &tenant, &unchanged, Some(&user)).await?;
    user.updated_at = state.clock.now();
    match state.store.save_user(&user).await {
        Ok(()) => {
            let revoked = if deactivated {
                revoke_keys_of(&state, &user).await?
            } else {
                Vec::new()
            };
            let shown = UserView::new(&user, &roles);
            // The audit entry says a password was set (never what it is), that the user's
            // tokens ended, and which of its keys were revoked with it.
            let mut audited = serde_json::to_value(&shown).unwrap_or_default();
            if password_changed {
                audited["password_changed"] = Value::Bool(true);
            }
            if password_changed || deactivated {
                audited["tokens_ended"] = Value::Bool(true);
            }
            if !revoked.is_empty() {
                audited["revoked_keys"] = serde_json::json!(revoked);
            }
            Ok(Audited::action(
                StatusCode::OK,
                &shown,
                "users",
                &user.id,
                &before,
                &audited,
            ))
        }
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
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "The tenant's last active admin cannot be deleted", body = faultline::http::openapi::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    Authorized {
        tenant, principal, ..
    }: Authorized<UsersManage>,
    Path(id): Path<UserId>,
) -> Result<Audited, ApiError> {
    let user = find(&state, &tenant, &id).await?;
    let roles = state.store.tenant_roles(&tenant).await?;
    check_may_manage(&principal, &roles, &user)?;
    keep_an_admin(&state, &tenant, &user, None).await?;
    state.store.delete_user(&user).await?;
    revoke_keys_of(&state, &user).await?;
    Ok(Audited::deleted(
        "users",
        &user.id,
        &UserView::new(&user, &roles),
    ))
}

/// Revokes every working key `user` created; answers their ids.
async fn revoke_keys_of(state: &AppState, user: &User) -> Result<Vec<String>, ApiError> {
    let creator = Subject::User(user.id.clone()).to_string();
    let now = state.clock.now();
    let mut revoked = Vec::new();
    for key in state
        .store
        .api_keys_created_by(&user.tenant_id, &creator)
        .await?
    {
        if key.revoked_at.is_none()
            && state
                .store
                .revoke_api_key(&user.tenant_id, &key.id, now)
                .await?
        {
            revoked.push(key.id.to_string());
        }
    }
    Ok(revoked)
}

/// List a user's API keys.
///
/// The keys the user created (revoked ones too), never their secrets. They are revoked when the
/// user is deactivated or deleted. Scope: `users:manage`.
#[utoipa::path(
    get,
    path = "/v1/users/{id}/keys",
    tag = "users",
    operation_id = "list_user_api_keys",
    params(("id" = String, Path, description = "The user (`usr_…`)")),
    responses((status = 200, description = "The user's key records", body = ApiKeyPage)),
)]
pub async fn keys(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<UsersManage>,
    Path(id): Path<UserId>,
) -> Result<Json<ApiKeyPage>, ApiError> {
    let user = find(&state, &tenant, &id).await?;
    let creator = Subject::User(user.id).to_string();
    let items = state
        .store
        .api_keys_created_by(&tenant, &creator)
        .await?
        .iter()
        .map(ApiKeyView::from)
        .collect();
    Ok(Json(ApiKeyPage {
        items,
        next_cursor: None,
    }))
}
