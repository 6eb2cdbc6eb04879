//! Signing in and out: the cookie's attributes, the sign-in form's own CSRF token, where the
//! browser goes next, read-only sessions from API keys, and what a bad cookie gets.

use crate::{tenant, Browser, PASSWORD};
use faultline_testkit::TestStack;

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_secure_cookie_and_returns_to_the_page() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = tenant(&stack).await;
    let mut browser = Browser::new(&stack);
    let answer = browser.get("/console/incidents?status=open").await;
    assert_eq!(answer.status, 303);
    assert_eq!(
        answer.location(),
        "/console/sign-in?next=%2Fconsole%2Fincidents%3Fstatus%3Dopen"
    );
    let form = browser.get(answer.location()).await;
    assert!(form
        .body
        .contains("value=\"/console/incidents?status=open\""));
    let csrf = form.csrf();
    let tenant_id = tenant.to_string();
    let signed_in = browser
        .post(
            "/console/sign-in",
            &[
                ("_csrf", &csrf),
                ("next", "/console/incidents?status=open"),
                ("tenant", &tenant_id),
                ("email", "admin@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.location(), "/console/incidents?status=open");
    let cookie = signed_in
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .find(|c| c.starts_with("fl_session="))
        .expect("the session cookie");
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/console",
        "Max-Age=3600",
    ] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let page = browser.get("/console/incidents?status=open").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h1>Incidents</h1>"));
    assert!(page.body.contains("user:usr_"), "who is signed in is shown");
}

#[tokio::test]
async fn a_wrong_password_is_refused_without_a_session_and_says_nothing_about_the_account() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = tenant(&stack).await;
    let mut browser = Browser::new(&stack);
    let tenant_id = tenant.to_string();
    for email in ["admin@example.com", "nobody@example.com"] {
        let answer = browser
            .submit(
                "/console/sign-in",
                "/console/sign-in",
                &[
                    ("tenant", &tenant_id),
                    ("email", email),
                    ("password", "wrong"),
                ],
            )
            .await;
        assert_eq!(answer.status, 401);
        assert!(answer.body.contains("Wrong tenant, email or password"));
        assert!(
            answer.body.contains(&format!("value=\"{email}\"")),
            "the form keeps the email"
        );
        assert!(!browser.cookies.contains_key("fl_session"));
    }
}

#[tokio::test]
async fn the_sign_in_form_needs_its_own_token() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = tenant(&stack).await;
    let mut browser = Browser::new(&stack);
    let tenant_id = tenant.to_string();
    let fields = [
        ("tenant", tenant_id.as_str()),
        ("email", "admin@example.com"),
        ("password", PASSWORD),
    ];
    // No sign-in cookie at all (a form posted from another site).
    let answer = browser.post("/console/sign-in", &fields).await;
    assert_eq!(answer.status, 403);
    assert!(answer.body.contains("This form has expired"));
    // The cookie, but a token that is not its digest.
    browser.get("/console/sign-in").await;
    let mut forged = vec![("_csrf", "0123456789abcdef0123456789abcdef")];
    forged.extend_from_slice(&fields);
    assert_eq!(browser.post("/console/sign-in", &forged).await.status, 403);
    assert!(!browser.cookies.contains_key("fl_session"));
}

#[tokio::test]
async fn after_signing_in_the_browser_never_leaves_the_console() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = tenant(&stack).await;
    let tenant_id = tenant.to_string();
    for next in [
        "https://evil.example/",
        "//evil.example/",
        "/console\\..\\x",
        "/v1/incidents",
    ] {
        let mut browser = Browser::new(&stack);
        let answer = browser
            .submit(
                "/console/sign-in",
                "/console/sign-in",
                &[
                    ("next", next),
                    ("tenant", &tenant_id),
                    ("email", "admin@example.com"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(answer.status, 303);
        assert_eq!(answer.location(), "/console/incidents", "next={next}");
    }
}

#[tokio::test]
async fn an_api_key_opens_a_read_only_session() {
    let stack = TestStack::deploy().await;
    let (_, key) = tenant(&stack).await;
    let mut browser = Browser::new(&stack);
    let answer = browser
        .submit("/console/sign-in", "/console/sign-in", &[("api_key", &key)])
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let page = browser.get("/console/endpoints").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("read-only"));
    assert!(!page.body.contains("Create endpoint"));
    // The session's token holds only read scopes, so the API refuses a change whatever the page.
    let refused = browser
        .submit(
            "/console/endpoints",
            "/console/endpoints",
            &[("url", "https://example.com/hook")],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("endpoints:write"), "{}", refused.body);
}

#[tokio::test]
async fn signing_out_forgets_the_session_and_needs_the_form_token() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = tenant(&stack).await;
    let mut browser = Browser::new(&stack);
    browser.sign_in(&tenant, "admin@example.com").await;
    assert_eq!(browser.post("/console/sign-out", &[]).await.status, 403);
    assert!(browser.cookies.contains_key("fl_session"));
    let answer = browser
        .submit("/console/incidents", "/console/sign-out", &[])
        .await;
    assert_eq!(answer.status, 303);
    assert!(!browser.cookies.contains_key("fl_session"));
    assert_eq!(browser.get("/console/incidents").await.status, 303);
}

#[tokio::test]
async fn a_forged_session_cookie_is_sent_to_sign_in() {
    let stack = TestStack::deploy().await;
    let mut browser = Browser::new(&stack);
    browser.cookies.insert(
        "fl_session".into(),
        "eyJhbGciOiJIUzI1NiJ9.e30.forged".into(),
    );
    let answer = browser.get("/console/projects").await;
    assert_eq!(answer.status, 303);
    assert!(answer.location().starts_with("/console/sign-in?next="));
}
