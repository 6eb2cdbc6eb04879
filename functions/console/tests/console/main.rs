//! The console function's tests, at the handler: each request is the API Gateway event a browser's
//! request becomes, carrying the cookies the console set, so sessions, CSRF, scopes, escaping and
//! every change made through the API are checked without a browser (`tests/browser` drives the
//! same pages in Chromium).

mod admin;
mod changes;
mod delivery;
mod oauth;
mod pages;
mod sessions;

use faultline::domain::TenantId;
use faultline_testkit::{HttpEvent, TestStack};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;

/// The password every test user has.
pub const PASSWORD: &str = "correct horse battery staple";

/// What the console answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Answer {
    /// The `Location` header.
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The value of the first `name="_csrf"` field of the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        self.body[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

/// A cookie jar and the console's handler: a browser without the rendering.
pub struct Browser<'a> {
    pub stack: &'a TestStack,
    pub cookies: BTreeMap<String, String>,
}

impl<'a> Browser<'a> {
    pub fn new(stack: &'a TestStack) -> Self {
        Self {
            stack,
            cookies: BTreeMap::new(),
        }
    }

    /// The event of a request from this browser (its cookies, no compression asked for).
    pub fn event(&self, method: &str, path_and_query: &str) -> HttpEvent {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let mut event = HttpEvent::load("console/incidents-page.json");
        event.0["rawPath"] = json!(path);
        event.0["rawQueryString"] = json!(query);
        event.0["requestContext"]["http"]["path"] = json!(path);
        event.0["requestContext"]["http"]["method"] = json!(method);
        event.0["pathParameters"] = json!({"proxy": path.trim_start_matches("/console/")});
        event.0["queryStringParameters"] = Value::Object(
            url::form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), json!(v)))
                .collect(),
        );
        event.0["cookies"] = json!(self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>());
        event.without_header("accept-encoding")
    }

    /// Sends `event` and keeps the cookies it sets.
    pub async fn send(&mut self, event: HttpEvent) -> Answer {
        let response = faultline_console::handle(&self.stack.state, event.request()).await;
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().expect("a cookie");
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if text.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = match response.into_body() {
            lambda_http::Body::Text(text) => text.into_bytes(),
            lambda_http::Body::Binary(bytes) => bytes,
            _ => Vec::new(),
        };
        let body = if headers.get("content-encoding").is_some() {
            let mut text = String::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut text)
                .expect("gzip");
            text
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let event = self.event("GET", path);
        self.send(event).await
    }

    /// Posts a form (name/value pairs, urlencoded).
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(form).expect("a form");
        let event = self
            .event("POST", path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body_bytes(body.as_bytes());
        self.send(event).await
    }

    /// Posts a form from `page` (a GET of it first), with that page's CSRF token.
    pub async fn submit(&mut self, page: &str, action: &str, form: &[(&str, &str)]) -> Answer {
        let csrf = self.get(page).await.csrf();
        let mut fields = vec![("_csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        self.post(action, &fields).await
    }

    /// Signs in with a password; asserts it worked.
    pub async fn sign_in(&mut self, tenant: &TenantId, email: &str) {
        let form = self.get("/console/sign-in").await;
        let csrf = form.csrf();
        let tenant = tenant.to_string();
        let answer = self
            .post(
                "/console/sign-in",
                &[
                    ("_csrf", &csrf),
                    ("tenant", &tenant),
                    ("email", email),
                    ("password", PASSWORD),
                    ("next", "/console/incidents"),
                ],
            )
            .await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        assert!(self.cookies.contains_key("fl_session"));
    }
}

/// A tenant with an admin key and users `admin@example.com` (admin) and `viewer@example.com`.
pub async fn tenant(stack: &TestStack) -> (TenantId, String) {
    let (tenant, key) = stack.tenant().await;
    for (email, role) in [
        ("admin@example.com", "admin"),
        ("viewer@example.com", "viewer"),
    ] {
        let event = HttpEvent::load("api/create-user.json")
            .key(Some(key.expose()))
            .body_json(&json!({"email": email, "password": PASSWORD, "role": role}));
        let response = faultline_api::handle(&stack.harness, event.request()).await;
        assert_eq!(response.status(), 201);
    }
    (tenant, key.expose().to_owned())
}

/// Calls the API as the harness (recorded nothing): status and JSON.
pub async fn api(
    stack: &TestStack,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut event = HttpEvent::load("api/get-incident.json").key(Some(key));
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    event.0["rawPath"] = json!(path);
    event.0["rawQueryString"] = json!(query);
    event.0["requestContext"]["http"]["path"] = json!(path);
    event.0["requestContext"]["http"]["method"] = json!(method);
    event.0["routeKey"] = json!(format!("{method} {path}"));
    event.0["pathParameters"] = json!({});
    if let Some(body) = body {
        event = event.body_json(&body);
    }
    let response = faultline_api::handle(&stack.harness, event.request()).await;
    faultline_testkit::json_of(&response)
}
