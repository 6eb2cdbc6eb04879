//! Third-party apps as the API shows them: never the secret's digest; the secret itself once.

use crate::domain::OAuthApp;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A registered third-party app.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OAuthAppView {
    /// `app_…`.
    pub id: String,
    /// The `client_id` the app sends (its id).
    pub client_id: String,
    /// Shown to users on the consent page.
    pub name: String,
    /// Where codes may be sent, compared exactly.
    pub redirect_uris: Vec<String>,
    /// The most it may ask for.
    pub scopes: Vec<String>,
    /// Who registered it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The client secret: in the creation's answer only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

impl From<&OAuthApp> for OAuthAppView {
    fn from(app: &OAuthApp) -> Self {
        Self {
            id: app.id.to_string(),
            client_id: app.id.to_string(),
            name: app.name.clone(),
            redirect_uris: app.redirect_uris.clone(),
            scopes: app.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created_by: app.created_by.clone(),
            created_at: app.created_at,
            revoked_at: app.revoked_at,
            client_secret: None,
        }
    }
}

/// A user's consent: the code and where to send the browser with it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuthorizationView {
    /// The authorization code (single use).
    pub code: String,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// The redirect URI with `code` and `state` added: where the browser goes.
    pub redirect_to: String,
    /// The scopes granted (those asked for that the user holds).
    pub scopes: Vec<String>,
}
