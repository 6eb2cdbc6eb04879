use axum::extract::State;
use faultline::domain::{Principal, Scope};
use faultline::domain::{RetrySchedule, Tenant, TenantId};
use faultline::http::{
    checked_name, nullable, require_platform_admin, require_scope, ApiError, Audited, Json, Path,
};
use faultline::services::api_keys::issue_api_key;
use faultline::views::{ApiKeyView, CreatedTenantView, TenantView};
use faultline::AppState;
use serde::Deserialize;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    name: String,
}

/// Create a tenant.
///
/// Platform admin only. Answers the tenant and its first admin key (holding every scope), shown
/// once.
#[utoipa::path(
    post,
    path = "/v1/tenants",
    tag = "tenants",
    operation_id = "create_tenant",
    request_body = CreateTenant,
    responses(
        (status = 201, description = "The tenant and its first API key", body = CreatedTenantView),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<CreateTenant>,
) -> Result<Audited, ApiError> {
    require_platform_admin(&principal)?;
    let tenant = Tenant {
        id: TenantId::generate(),
        name: checked_name("name", &body.name)?,
        created_at: state.clock.now(),
        settings: Default::default(),
    };
    state.store.create_tenant(&tenant).await?;
    let (key, record) = issue_api_key(&state, &tenant.id, "admin", Scope::ALL.to_vec()).await?;
    let api_key = ApiKeyView {
        key: Some(key.expose().to_owned()),
        ..ApiKeyView::from(&record)
    };
    Ok(Audited::created(
        "tenants",
        &tenant.id,
        &CreatedTenantView {
            tenant: TenantView::from(&tenant),
            api_key,
        },
    ))
}

/// The tenant named in the path, if the caller may see it: the platform admin sees every tenant,
/// a tenant key only its own (another tenant's id is a 404, as if it did not exist).
async fn visible_tenant(
    state: &AppState,
    principal: &Principal,
    id: TenantId,
) -> Result<Tenant, ApiError> {
    let visible = match principal {
        Principal::PlatformAdmin => true,
        Principal::Tenant { tenant_id, .. } => tenant_id == &id,
    };
    let found = if visible {
        state.store.get_tenant(&id).await?
    } else {
        None
    };
    found.ok_or_else(|| ApiError::not_found("tenant", id.as_str()))
}

/// Get a tenant.
///
/// The tenant and its settings. The platform admin sees any tenant; a tenant key only its own.
#[utoipa::path(
    get,
    path = "/v1/tenants/{id}",
    tag = "tenants",
    operation_id = "get_tenant",
    params(
        ("id" = String, Path, description = "The tenant (`ten_…`)"),
    ),
    responses(
        (status = 200, description = "The tenant", body = TenantView),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<TenantId>,
) -> Result<Json<TenantView>, ApiError> {
    let tenant = visible_tenant(&state, &principal, id).await?;
    Ok(Json(TenantView::from(&tenant)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    name: Option<String>,
    /// Seconds before each retry; `null` returns to the deployment's schedule.
    #[serde(default, deserialize_with = "nullable")]
    retry_schedule: Option<Option<Vec<u64>>>,
    /// Requests per minute each API key may make, 1 to 100000; `null` for the default (600).
    #[serde(default, deserialize_with = "nullable")]
    api_rate_limit_per_minute: Option<Option<u32>>,
    /// Inbound webhooks per minute per integration, 1 to 100000; `null`: the default (1200).
    #[serde(default, deserialize_with = "nullable")]
    inbound_rate_limit_per_minute: Option<Option<u32>>,
    /// Inbound webhooks per minute for the whole tenant, 1 to 1000000; `null`: the default (6000).
    #[serde(default, deserialize_with = "nullable")]
    tenant_inbound_rate_limit_per_minute: Option<Option<u32>>,
    /// Endpoints the tenant may have, 1 to 10000; `null`: the default (100).
    #[serde(default, deserialize_with = "nullable")]
    max_endpoints: Option<Option<u32>>,
}

/// A setting within `range`, or `null` for the default.
fn checked_setting(
    field: &'static str,
    value: Option<u32>,
    range: std::ops::RangeInclusive<u32>,
) -> Result<Option<u32>, ApiError> {
    match value {
        Some(n) if !range.contains(&n) => Err(ApiError::validation(
            field,
            format!("`{field}` must be {} to {}", range.start(), range.end()),
        )),
        other => Ok(other),
    }
}

/// Change a tenant.
///
/// Name and settings (`retry_schedule`: 1–20 delays in seconds, each 1 s to 7 days; `null` for the
/// deployment default). Platform admin, or the tenant's own key with `tenant:manage`.
#[utoipa::path(
    patch,
    path = "/v1/tenants/{id}",
    tag = "tenants",
    operation_id = "update_tenant",
    params(
        ("id" = String, Path, description = "The tenant (`ten_…`)"),
    ),
    request_body = UpdateTenant,
    responses(
        (status = 200, description = "The changed tenant", body = TenantView),
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<TenantId>,
    Json(body): Json<UpdateTenant>,
) -> Result<Audited, ApiError> {
    let mut tenant = visible_tenant(&state, &principal, id).await?;
    if let Principal::Tenant { .. } = principal {
        require_scope(&principal, Scope::TenantManage)?;
    }
    let before = TenantView::from(&tenant);
    if let Some(name) = body.name {
        tenant.name = checked_name("name", &name)?;
    }
    if let Some(schedule) = body.retry_schedule {
        if let Some(delays) = &schedule {
            RetrySchedule::check_tenant_delays(delays).map_err(|reason| {
                ApiError::validation("retry_schedule", format!("`retry_schedule` {reason}"))
            })?;
        }
        tenant.settings.retry_schedule = schedule;
    }
    if let Some(limit) = body.api_rate_limit_per_minute {
        if limit.is_some_and(|n| !(1..=100_000).contains(&n)) {
            return Err(ApiError::validation(
                "api_rate_limit_per_minute",
                "`api_rate_limit_per_minute` must be 1 to 100000",
            ));
        }
        tenant.settings.api_rate_limit_per_minute = limit;
    }
    if let Some(limit) = body.inbound_rate_limit_per_minute {
        tenant.settings.inbound_rate_limit_per_minute =
            checked_setting("inbound_rate_limit_per_minute", limit, 1..=100_000)?;
    }
    if let Some(limit) = body.tenant_inbound_rate_limit_per_minute {
        tenant.settings.tenant_inbound_rate_limit_per_minute =
            checked_setting("tenant_inbound_rate_limit_per_minute", limit, 1..=1_000_000)?;
    }
    if let Some(limit) = body.max_endpoints {
        tenant.settings.max_endpoints = checked_setting("max_endpoints", limit, 1..=10_000)?;
    }
    state.store.save_tenant(&tenant).await?;
    Ok(Audited::updated(
        "tenants",
        &tenant.id,
        &before,
        &TenantView::from(&tenant),
    ))
}
