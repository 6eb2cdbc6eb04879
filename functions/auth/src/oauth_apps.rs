//! `/v1/oauth-apps`: third-party apps (OAuth 2.0 clients) and users' consent to them.

use axum::extract::State;
use faultline::domain::{OAuthApp, OAuthAppId, Principal, Scope};
use faultline::http::scopes::KeysManage;
use faultline::http::{checked_name, ApiError, Audited, Authorized, Json, Page, Path};
use faultline::services::oauth::{
    check_request, grant_code, new_client_secret, AuthorizationRequest, AuthorizeError,
    CODE_LIFETIME_SECS,
};
use faultline::views::{AuthorizationView, OAuthAppPage, OAuthAppView};
use faultline::AppState;
use serde::Deserialize;
use serde_json::json;

/// A new app.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOAuthApp {
    /// Shown to users on the consent page (1–200 characters).
    name: String,
    /// Where codes may be sent: 1 to 10 absolute `https` URLs (`http` only on a loopback
    /// address), compared exactly.
    redirect_uris: Vec<String>,
    /// The most the app may ask for: scopes the caller holds (default: all of them).
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

fn checked_scopes(principal: &Principal, names: Option<&[String]>) -> Result<Vec<Scope>, ApiError> {
    let held = principal.scopes();
    let Some(names) = names else {
        return Ok(held.to_vec());
    };
    if names.is_empty() {
        return Err(ApiError::validation("scopes", "name at least one scope"));
    }
    names
        .iter()
        .map(|name| match Scope::parse(name) {
            Some(scope) if held.contains(&scope) => Ok(scope),
            Some(_) => Err(ApiError::validation(
                "scopes",
                format!("cannot allow `{name}`: the calling credential does not hold it"),
            )),
            None => Err(ApiError::validation(
                "scopes",
                format!("unknown scope `{name}`"),
            )),
        })
        .collect()
}

fn checked_redirects(uris: &[String]) -> Result<Vec<String>, ApiError> {
    if uris.is_empty() || uris.len() > 10 {
        return Err(ApiError::validation(
            "redirect_uris",
            "give 1 to 10 redirect URIs",
        ));
    }
    uris.iter()
        .map(|uri| {
            faultline::domain::oauth::check_redirect_uri(uri)
                .map(|()| uri.clone())
                .map_err(|why| ApiError::validation("redirect_uris", format!("`{uri}` {why}")))
        })
        .collect()
}

/// Register a third-party app.
///
/// An OAuth 2.0 client for the authorization-code flow with PKCE: users of this tenant authorize
/// it on the console's consent page (`/console/oauth/authorize`), and it exchanges the code at
/// `POST /v1/auth/token`. The `client_secret` is in this answer only. Scope: `keys:manage`.
#[utoipa::path(
    post,
    path = "/v1/oauth-apps",
    tag = "oauth apps",
    operation_id = "create_oauth_app",
    request_body = CreateOAuthApp,
    responses((status = 201, description = "The app and, once, its client secret", body = OAuthAppView)),
)]
pub async fn create(
    State(state): State<AppState>,
    Authorized {
        tenant, principal, ..
    }: Authorized<KeysManage>,
    Json(body): Json<CreateOAuthApp>,
) -> Result<Audited, ApiError> {
    let name = checked_name("name", &body.name)?;
    let redirect_uris = checked_redirects(&body.redirect_uris)?;
    let scopes = checked_scopes(&principal, body.scopes.as_deref())?;
    let (secret, digest) = new_client_secret();
    let app = OAuthApp {
        id: OAuthAppId::generate(),
        tenant_id: tenant,
        name,
        redirect_uris,
        scopes,
        secret_digest: digest,
        created_by: principal
            .subject()
            .map_or_else(String::new, ToString::to_string),
        created_at: state.clock.now(),
        revoked_at: None,
    };
    state.store.create_oauth_app(&app).await?;
    let mut shown = OAuthAppView::from(&app);
    let recorded = shown.clone();
    shown.client_secret = Some(secret);
    Ok(Audited::action(
        http::StatusCode::CREATED,
        &shown,
        "oauth-apps",
        &app.id,
        &serde_json::Value::Null,
        &recorded,
    ))
}

/// List third-party apps.
///
/// The tenant's apps, revoked ones included; never their secrets. Scope: `keys:manage`.
#[utoipa::path(
    get,
    path = "/v1/oauth-apps",
    tag = "oauth apps",
    operation_id = "list_oauth_apps",
    params(faultline::http::openapi::PageQuery),
    responses((status = 200, description = "A page of apps", body = OAuthAppPage)),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<KeysManage>,
    Page(page): Page,
) -> Result<Json<OAuthAppPage>, ApiError> {
    let page = state.store.list_oauth_apps(&tenant, &page).await?;
    Ok(Json(page.map(|a| OAuthAppView::from(&a)).into()))
}

async fn find(
    state: &AppState,
    tenant: &faultline::domain::TenantId,
    id: &OAuthAppId,
) -> Result<OAuthApp, ApiError> {
    state
        .store
        .get_oauth_app(id)
        .await?
        .filter(|app| app.tenant_id == *tenant)
        .ok_or_else(|| ApiError::not_found("OAuth app", id.as_str()))
}

/// Get a third-party app.
///
/// Scope: `keys:manage`.
#[utoipa::path(
    get,
    path = "/v1/oauth-apps/{id}",
    tag = "oauth apps",
    operation_id = "get_oauth_app",
    params(("id" = String, Path, description = "The app (`app_…`)")),
    responses((status = 200, description = "The app", body = OAuthAppView)),
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<KeysManage>,
    Path(id): Path<OAuthAppId>,
) -> Result<Json<OAuthAppView>, ApiError> {
    Ok(Json(OAuthAppView::from(&find(&state, &tenant, &id).await?)))
}

/// Revoke a third-party app.
///
/// At once: its codes and refresh tokens stop working (access tokens it holds expire within the
/// token lifetime). Scope: `keys:manage`.
#[utoipa::path(
    delete,
    path = "/v1/oauth-apps/{id}",
    tag = "oauth apps",
    operation_id = "revoke_oauth_app",
    params(("id" = String, Path, description = "The app (`app_…`)")),
    responses((status = 204, description = "Revoked")),
)]
pub async fn revoke(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<KeysManage>,
    Path(id): Path<OAuthAppId>,
) -> Result<Audited, ApiError> {
    let before = find(&state, &tenant, &id).await?;
    if !state
        .store
        .revoke_oauth_app(&tenant, &id, state.clock.now())
        .await?
    {
        return Err(ApiError::not_found("OAuth app", id.as_str()));
    }
    let after = find(&state, &tenant, &id).await?;
    Ok(Audited::action(
        http::StatusCode::NO_CONTENT,
        &serde_json::Value::Null,
        "oauth-apps",
        &id,
        &OAuthAppView::from(&before),
        &OAuthAppView::from(&after),
    ))
}

/// A user's consent to an authorization request.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// The redirect URI of the request, exactly as the app sent it.
    redirect_uri: String,
    /// The scopes of the request (default: all the app may ask for).
    #[serde(default)]
    scope: Option<String>,
    /// The request's `state`, sent back unchanged.
    #[serde(default)]
    state: Option<String>,
    /// The request's PKCE challenge.
    code_challenge: String,
    /// Must be `S256`.
    code_challenge_method: String,
}

/// Authorize an app (consent).
///
/// The signed-in user grants the app what it asked for, within what the user holds: a single-use
/// code valid 60 seconds, and the redirect URI to send the browser to. The console's consent page
/// calls this; only a user's token (the password grant) may, never an API key. Audited without
/// the code.
#[utoipa::path(
    post,
    path = "/v1/oauth-apps/{id}/authorizations",
    tag = "oauth apps",
    operation_id = "authorize_oauth_app",
    params(("id" = String, Path, description = "The app (`app_…`)")),
    request_body = Consent,
    responses((status = 201, description = "The code and where to send it", body = AuthorizationView)),
)]
pub async fn authorize(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<OAuthAppId>,
    Json(body): Json<Consent>,
) -> Result<Audited, ApiError> {
    faultline::http::require_tenant(&principal)?;
    let request = AuthorizationRequest {
        response_type: "code".into(),
        client_id: id.to_string(),
        redirect_uri: body.redirect_uri.clone(),
        scope: body.scope,
        state: body.state.clone(),
        code_challenge: body.code_challenge,
        code_challenge_method: body.code_challenge_method,
    };
    let refused = |err: AuthorizeError| match err {
        AuthorizeError::UnknownClient => ApiError::not_found("OAuth app", id.as_str()),
        AuthorizeError::BadRedirect => ApiError::validation("redirect_uri", err.to_string()),
        AuthorizeError::InvalidRequest(why) => ApiError::validation("code_challenge", why),
        AuthorizeError::InvalidScope(why) => ApiError::validation("scope", why),
        AuthorizeError::AccessDenied(why) => ApiError::Forbidden(why),
        AuthorizeError::Store(err) => err.into(),
    };
    let checked = check_request(&state, &request).await.map_err(refused)?;
    let code = grant_code(&state, &principal, &checked, &body.redirect_uri)
        .await
        .map_err(refused)?;
    let granted = faultline::services::oauth::grantable(&principal, &checked.requested);
    let mut redirect = url::Url::parse(&body.redirect_uri)
        .map_err(|_| ApiError::validation("redirect_uri", "not a URL"))?;
    {
        let mut query = redirect.query_pairs_mut();
        query.append_pair("code", &code);
        if let Some(state) = &body.state {
            query.append_pair("state", state);
        }
    }
    let shown = AuthorizationView {
        code,
        expires_in: CODE_LIFETIME_SECS,
        redirect_to: redirect.to_string(),
        scopes: granted.iter().map(|s| s.as_str().to_owned()).collect(),
    };
    let recorded =
        json!({"app": checked.app.name, "scopes": shown.scopes, "redirect_uri": body.redirect_uri});
    Ok(Audited::action(
        http::StatusCode::CREATED,
        &shown,
        "oauth-apps",
        &id,
        &serde_json::Value::Null,
        &recorded,
    ))
}
