//! Typed extractors for the API functions' routers: who is calling and with which scope, typed
//! path ids, typed query strings and typed JSON bodies. Each refuses with the same problem the
//! hand-written checks answered (404 for a malformed id, 400 naming a query parameter, 413/400/422
//! for a body), so a handler's signature is its whole input contract.

use super::request::{decode_json_bytes, MAX_BODY_BYTES};
use super::ApiError;
use crate::domain::TenantId;
use crate::domain::{Principal, Scope};
use crate::store::PageRequest;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use lambda_http::request::RequestContext;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// Facts about the request every handler and layer may need: API Gateway's request id and the
/// caller's address.
#[derive(Clone, Debug)]
pub struct RequestMeta {
    /// API Gateway's request id (also in its access logs), or a fresh one.
    pub request_id: String,
    /// The caller's address as API Gateway saw it (empty when unknown).
    pub source_ip: String,
}

impl RequestMeta {
    /// Reads the API Gateway request context that lambda_http keeps in the extensions.
    pub fn of(extensions: &http::Extensions) -> Self {
        let ctx = match extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(ctx)) => Some(ctx),
            _ => None,
        };
        Self {
            request_id: ctx
                .and_then(|c| c.request_id.clone())
                .unwrap_or_else(|| ulid::Ulid::new().to_string()),
            source_ip: ctx
                .and_then(|c| c.http.source_ip.clone())
                .unwrap_or_default(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(Self::of(&parts.extensions))
    }
}

/// The verified caller, placed in the request by the authentication layer.
impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| ApiError::internal("route served without the authentication layer"))
    }
}

/// A scope as a type, so a handler states the scope it needs in its signature.
pub trait RequiredScope: Send + Sync {
    /// The scope.
    const SCOPE: Scope;
}

macro_rules! scope_markers {
    ($($name:ident),* $(,)?) => {
        /// One type per scope, for [`Authorized`].
        pub mod scopes {
            use super::{RequiredScope, Scope};
            $(
                #[doc = concat!("Requires [`Scope::", stringify!($name), "`].")]
                #[derive(Debug)]
                pub struct $name;
                impl RequiredScope for $name {
                    const SCOPE: Scope = Scope::$name;
                }
            )*
        }
    };
}

scope_markers!(
    IncidentsRead,
    IncidentsWrite,
    IntegrationsRead,
    IntegrationsWrite,
    EndpointsRead,
    EndpointsWrite,
    KeysManage,
    AuditRead,
    UsersManage,
    SentryConfigRead,
    SentryConfigWrite,
    ProjectsRead,
    ProjectsWrite,
    TenantManage,
    NotificationsRead,
    NotificationsWrite,
);

/// A tenant caller holding scope `S`: 403 naming the scope otherwise (and for the platform admin,
/// who holds no tenant's data).
#[derive(Debug)]
pub struct Authorized<S> {
    /// The caller's tenant: every repository call of the handler is scoped to it.
    pub tenant: TenantId,
    /// The whole principal, for handlers that grant at most what the caller holds.
    pub principal: Principal,
    scope: PhantomData<S>,
}

impl<S: RequiredScope> Authorized<S> {
    /// The same check outside a router: for a server-rendered page (the console) that calls a
    /// handler directly with the principal it authenticated.
    pub fn check(principal: &Principal) -> Result<Self, ApiError> {
        let tenant = super::require_scope(principal, S::SCOPE)?.clone();
        Ok(Self {
            tenant,
            principal: principal.clone(),
            scope: PhantomData,
        })
    }
}

impl<S: RequiredScope, St: Send + Sync> FromRequestParts<St> for Authorized<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, ApiError> {
        let principal = Principal::from_request_parts(parts, state).await?;
        Self::check(&principal)
    }
}

/// An id that can stand in a URL path: parsed strictly, and a malformed one is "not found" (never
/// a 400), so ids leak nothing about their format checks.
pub trait PathId: Sized {
    /// What the id names, for the 404's detail.
    const WHAT: &'static str;
    /// Parses the raw segment.
    fn parse_segment(raw: &str) -> Option<Self>;
}

macro_rules! path_ids {
    ($($ty:ty => $what:literal),* $(,)?) => {
        $(
            impl PathId for $ty {
                const WHAT: &'static str = $what;
                fn parse_segment(raw: &str) -> Option<Self> {
                    <$ty>::parse(raw)
                }
            }
        )*
    };
}

path_ids!(
    crate::domain::TenantId => "tenant",
    crate::domain::EndpointId => "endpoint",
    crate::domain::IncidentId => "incident",
    crate::domain::IntegrationId => "integration",
    crate::domain::MessageId => "message",
    crate::domain::DeliveryId => "delivery",
    crate::domain::ProjectId => "project",
    crate::domain::UserId => "user",
    crate::domain::ApiKeyId => "API key",
    crate::domain::SentryConfigId => "Sentry configuration",
    crate::domain::DestinationId => "destination",
    crate::domain::NotificationRuleId => "notification rule",
    crate::domain::MaintenanceWindowId => "maintenance window",
    crate::domain::LogSourceId => "log source",
    crate::domain::ExportId => "export",
    crate::domain::ExportScheduleId => "export schedule",
    crate::domain::OAuthAppId => "OAuth app",
);

/// A path segment taken as it is (a slug), never refused.
impl PathId for String {
    const WHAT: &'static str = "resource";
    fn parse_segment(raw: &str) -> Option<Self> {
        Some(raw.to_owned())
    }
}

/// Values read from the path's parameters, in the order the route names them.
pub trait FromPathParams: Sized {
    /// Parses the parameters.
    fn from_params(params: &[(String, String)]) -> Result<Self, ApiError>;
}

fn segment<T: PathId>(params: &[(String, String)], index: usize) -> Result<T, ApiError> {
    let raw = params.get(index).map_or("", |(_, value)| value.as_str());
    T::parse_segment(raw).ok_or_else(|| ApiError::not_found(T::WHAT, raw))
}

impl<T: PathId> FromPathParams for T {
    fn from_params(params: &[(String, String)]) -> Result<Self, ApiError> {
        segment(params, 0)
    }
}

impl<A: PathId, B: PathId> FromPathParams for (A, B) {
    fn from_params(params: &[(String, String)]) -> Result<Self, ApiError> {
        Ok((segment(params, 0)?, segment(params, 1)?))
    }
}

/// Typed path parameters: `Path<EndpointId>`, `Path<(ProjectId, IntegrationId)>`.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T: FromPathParams, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::internal(format!("path parameters: {e}")))?;
        let params: Vec<(String, String)> = raw
            .iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        T::from_params(&params).map(Path)
    }
}

/// A typed query string: a parameter that does not parse is a 400 naming it.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        decode_query(parts.uri.query().unwrap_or_default()).map(Query)
    }
}

/// Decodes a query string into `T`, naming the parameter at fault.
pub fn decode_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let pairs = url::form_urlencoded::parse(query.as_bytes());
    let deserializer = serde_urlencoded::Deserializer::new(pairs);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let field = err.path().to_string();
        let inner = err.into_inner().to_string();
        let field = if field == "." {
            super::request::between_backticks(&inner).unwrap_or_default()
        } else {
            field
        };
        ApiError::bad_parameter(field.clone(), format!("`{field}`: {inner}"))
    })
}

/// `limit` and `cursor`, checked.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PageParams {
    /// Items per page, 1 to 100 (default 50).
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

impl PageParams {
    /// The page asked for: a 400 naming `limit` when it is not 1 to 100.
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        let limit = match &self.limit {
            None => None,
            Some(text) => Some(
                text.parse::<i32>()
                    .ok()
                    .filter(|n| (1..=PageRequest::MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        ApiError::bad_parameter(
                            "limit",
                            format!(
                                "limit must be a whole number from 1 to {}",
                                PageRequest::MAX_LIMIT
                            ),
                        )
                    })?,
            ),
        };
        Ok(PageRequest {
            limit,
            cursor: self.cursor.clone().filter(|c| !c.is_empty()),
        })
    }
}

/// The page a list route was asked for (`?limit=&cursor=`), checked.
#[derive(Debug)]
pub struct Page(pub PageRequest);

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(query) = Query::<PageParams>::from_request_parts(parts, state).await?;
        query.request().map(Page)
    }
}

async fn bounded_body(req: Request, limit: usize) -> Result<bytes::Bytes, ApiError> {
    axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| ApiError::PayloadTooLarge { limit })
}

/// A typed JSON body: 413 over 1 MiB, 400 when not JSON, 422 naming the field when it does not
/// fit `T` (unknown, missing or mistyped fields).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        let bytes = bounded_body(req, MAX_BODY_BYTES).await?;
        decode_json_bytes(&bytes).map(Json)
    }
}

/// An answer: the value as JSON with its content type.
impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        super::layers::axum_json(&self.0)
    }
}

/// Like [`Json`], but an empty body means "all defaults" (for actions whose options are all
/// optional, such as a retry or a rotation).
#[derive(Debug)]
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        let bytes = bounded_body(req, MAX_BODY_BYTES).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            Ok(OptionalJson(T::default()))
        } else {
            decode_json_bytes(&bytes).map(OptionalJson)
        }
    }
}

/// The exact body bytes, refused over `LIMIT` (for form bodies and provider payloads).
#[derive(Debug)]
pub struct RawBody<const LIMIT: usize>(pub bytes::Bytes);

impl<const LIMIT: usize, S: Send + Sync> FromRequest<S> for RawBody<LIMIT> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        bounded_body(req, LIMIT).await.map(RawBody)
    }
}
