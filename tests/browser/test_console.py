"""The console's golden paths in a real browser. Each test saves screenshots of the pages it visits
under target/console-screenshots/."""

import http.server
import re
import threading
import time

import pytest
from playwright.sync_api import expect

from conftest import BASE, api, shot, sign_in


def test_sign_in_then_acknowledge_and_resolve_an_incident(page, tenant):
    incident = tenant.alert("Checkout latency above 2 s", "checkout-latency")
    page.goto(BASE + "/console")
    shot(page, "sign-in")
    sign_in(page, tenant, tenant.admin)
    shot(page, "incidents")
    page.get_by_role("link", name="Checkout latency above 2 s").click()
    expect(page.locator("h1")).to_have_text("Checkout latency above 2 s")
    shot(page, "incident")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("main p .status").first).to_have_text("acknowledged")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("main p .status").first).to_have_text("resolved")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("resolved")
    status, body = api("GET", f"/v1/incidents/{incident['id']}", tenant.key)
    assert status == 200 and body["status"] == "resolved", body
    # The console changed it through the API, so the audit log says so like any API call.
    status, audit = api("GET", "/v1/audit?limit=100", tenant.key)
    assert status == 200, audit
    actions = [entry["action"] for entry in audit["items"]]
    assert "PATCH /v1/incidents/{id}" in actions, actions


def test_filters_narrow_the_list(page, tenant):
    tenant.alert("Queue depth high on billing", "billing-queue", severity="critical")
    tenant.alert("Cache misses up", "cache-misses", severity="low")
    sign_in(page, tenant, tenant.admin)
    page.get_by_label("Severity").select_option("critical")
    expect(page.get_by_role("link", name="Cache misses up")).to_have_count(0)
    expect(page.get_by_role("link", name="Queue depth high on billing")).to_be_visible()
    assert "severity=critical" in page.url
    page.get_by_label("Text").fill("queue")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name="Queue depth high on billing")).to_be_visible()


def test_a_hostile_title_renders_as_text(page, tenant):
    hostile = '<script>alert("xss")</script><img src=x onerror=alert(1)>"><b>bold</b>'
    tenant.alert(hostile, "hostile-title")
    sign_in(page, tenant, tenant.admin)
    link = page.get_by_role("link", name=hostile)
    expect(link).to_be_visible()
    assert page.locator("main img, main b, main script").count() == 0
    link.click()
    expect(page.locator("h1")).to_have_text(hostile)
    assert page.locator("main img, main b, main script").count() == 0
    assert page.dialogs == []
    shot(page, "incident-hostile-title")


def test_project_sentry_dsn_is_hidden_until_shown_and_copies(page, tenant):
    dsn = "https://a1b2c3d4e5f60718a1b2c3d4e5f60718@o123.ingest.sentry.io/4505"
    sign_in(page, tenant, tenant.admin)
    page.get_by_role("link", name="Projects").click()
    page.get_by_label("Name").fill("Storefront")
    page.get_by_role("button", name="Create project").click()
    expect(page.locator("h1")).to_have_text("Storefront")
    page.get_by_label("Environment").fill("production")
    page.get_by_label("DSN", exact=True).fill(dsn)
    page.get_by_label("Sentry organisation slug").fill("acme")
    page.get_by_label("Sentry project slug").fill("storefront")
    page.get_by_label("Traces sample rate").fill("0.25")
    page.get_by_role("button", name="Save configuration").click()
    code = page.locator(".secret code").first
    expect(code).to_have_text("https://a1b2****@o123.ingest.sentry.io/4505")
    assert dsn not in page.content(), "the whole DSN must not be in the page until shown"
    shot(page, "project")
    page.get_by_role("link", name="Show the DSN").click()
    expect(page.locator(".secret code").first).to_have_text(dsn)
    shot(page, "project-dsn-shown")
    page.get_by_role("link", name="Hide the DSN").click()
    expect(page.locator(".secret code").first).to_have_text("https://a1b2****@o123.ingest.sentry.io/4505")
    page.get_by_role("button", name="Copy DSN").click()
    expect(page.locator("[id^=copied-]").first).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == dsn
    expect(page.locator("pre[id^=curl-]")).to_contain_text("/v1/integrations/sentry/storefront?environment=production")


class Receiver(http.server.BaseHTTPRequestHandler):
    seen = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        Receiver.seen.append((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Receiver.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_an_endpoint_is_created_and_a_delivery_arrives_in_its_log(page, tenant, receiver):
    sign_in(page, tenant, tenant.admin)
    page.get_by_role("link", name="Endpoints").click()
    page.get_by_label("URL").fill(receiver)
    page.get_by_label("Description").fill("browser test receiver")
    shot(page, "endpoints")
    page.get_by_role("button", name="Create endpoint").click()
    expect(page.locator("h1")).to_have_text("Endpoint created")
    expect(page.locator("#secret")).to_have_text(re.compile(r"^whsec_"))
    page.get_by_role("link", name="Go to the endpoint").click()
    page.get_by_role("button", name="Send a test ping").click()
    deadline = time.time() + 60
    while time.time() < deadline:
        if page.locator("main table .status-succeeded").count() > 0:
            break
        time.sleep(1)
        page.reload()
    expect(page.locator("main table .status-succeeded").first).to_be_visible()
    page.get_by_role("link", name="Show attempts").first.click()
    expect(page.locator("[id^=attempts-] td.num").nth(1)).to_have_text("200")
    shot(page, "endpoint")
    assert Receiver.seen, "the receiver saw no request"
    headers = {k.lower(): v for k, v in Receiver.seen[0][0].items()}
    assert headers.get("webhook-signature", "").startswith("v1,"), headers


def test_an_export_runs_and_downloads(page, tenant):
    tenant.alert("Export me please", "export-me")
    sign_in(page, tenant, tenant.admin)
    page.get_by_role("link", name="Exports").click()
    page.get_by_label("What").select_option("incidents")
    page.get_by_label("Format").select_option("csv")
    page.get_by_label("Title").fill("Console export")
    page.get_by_role("button", name="Start export").click()
    expect(page.locator("#jobs .status").first).to_have_text("succeeded", timeout=60000)
    shot(page, "exports")
    with page.expect_download() as download:
        page.locator("#jobs a[download]").first.click()
    with open(download.value.path(), encoding="utf-8-sig") as f:
        content = f.read()
    assert "Export me please" in content, content[:500]
    assert content.splitlines()[0].startswith("id,"), content[:200]


def test_reports_draw_their_charts(page, tenant):
    tenant.alert("Reported incident", "reported")
    sign_in(page, tenant, tenant.admin)
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("img", name="Incidents opened by severity")).to_be_visible()
    shot(page, "reports")


def test_a_viewer_sees_no_write_buttons_and_the_server_refuses_anyway(page, tenant):
    incident = tenant.alert("Viewer looks at this", "viewer-looks")
    sign_in(page, tenant, tenant.viewer)
    expect(page.locator(".who .badge")).to_have_text("read-only")
    page.get_by_role("link", name="Endpoints").click()
    expect(page.get_by_role("button", name="Create endpoint")).to_have_count(0)
    page.get_by_role("link", name="Projects").click()
    expect(page.get_by_role("button", name="Create project")).to_have_count(0)
    page.goto(BASE + f"/console/incidents/{incident['id']}")
    expect(page.locator("h1")).to_have_text("Viewer looks at this")
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    shot(page, "incident-as-viewer")
    csrf = page.locator("input[name=_csrf]").first.get_attribute("value")
    response = page.request.post(
        BASE + f"/console/incidents/{incident['id']}",
        form={"_csrf": csrf, "status": "acknowledged"},
    )
    assert response.status == 403, response.status
    assert "incidents:write" in response.text()
    status, body = api("GET", f"/v1/incidents/{incident['id']}", tenant.key)
    assert body["status"] == "open", body


def test_a_form_without_the_session_token_is_refused(page, tenant):
    incident = tenant.alert("Forged form target", "forged-form")
    sign_in(page, tenant, tenant.admin)
    response = page.request.post(
        BASE + f"/console/incidents/{incident['id']}", form={"status": "resolved"},
    )
    assert response.status == 403
    assert "expired" in response.text()
    status, body = api("GET", f"/v1/incidents/{incident['id']}", tenant.key)
    assert body["status"] == "open", body


def test_an_api_key_opens_a_read_only_session(page, tenant):
    incident = tenant.alert("Read-only reader", "read-only-reader")
    page.goto(BASE + "/console/sign-in")
    page.get_by_text("Read-only with an API key").click()
    page.get_by_label("API key").fill(tenant.key)
    page.get_by_role("button", name="Open read-only").click()
    page.wait_for_url("**/console/incidents")
    expect(page.locator(".who .badge")).to_have_text("read-only")
    page.goto(BASE + f"/console/incidents/{incident['id']}")
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    page.get_by_role("link", name="Endpoints").click()
    expect(page.get_by_role("button", name="Create endpoint")).to_have_count(0)


def test_sign_out_ends_the_session(page, tenant):
    sign_in(page, tenant, tenant.admin)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/sign-in")
    page.goto(BASE + "/console/incidents")
    assert "/console/sign-in" in page.url


def test_keyboard_focus_starts_at_the_skip_link_and_unknown_pages_are_404(page, tenant):
    sign_in(page, tenant, tenant.admin)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    response = page.goto(BASE + "/console/nowhere")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    shot(page, "not-found")


class Callback(http.server.BaseHTTPRequestHandler):
    """The third-party app's redirect URI: records the query it is sent."""
    queries = []

    def do_GET(self):
        Callback.queries.append(self.path)
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.end_headers()
        self.wfile.write(b"<h1>App received the code</h1>")

    def log_message(self, *args):
        pass


def test_a_third_party_app_is_authorized_with_pkce_and_exchanges_its_code(page, tenant):
    import base64
    import hashlib
    import json
    import secrets
    import urllib.parse
    import urllib.request

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Callback.queries = []
    redirect = f"http://127.0.0.1:{server.server_address[1]}/callback"
    try:
        status, app = api("POST", "/v1/oauth-apps", tenant.key, {
            "name": "Status page", "redirect_uris": [redirect], "scopes": ["incidents:read"],
        })
        assert status == 201, app
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": app["client_id"], "redirect_uri": redirect,
            "scope": "incidents:read", "state": "st-42", "code_challenge": challenge,
            "code_challenge_method": "S256",
        })
        page.goto(BASE + "/console/oauth/authorize?" + query)
        page.get_by_label("Tenant").fill(tenant.id)
        page.get_by_label("Email").fill(tenant.admin)
        page.get_by_label("Password").fill("correct horse battery staple")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("h1")).to_have_text("Authorize Status page")
        shot(page, "oauth-consent")
        page.get_by_role("button", name="Allow").click()
        page.wait_for_url(redirect + "?**")
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(page.url).query))
        assert params["state"] == "st-42", params
        form = urllib.parse.urlencode({
            "grant_type": "authorization_code", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "code": params["code"],
            "redirect_uri": redirect, "code_verifier": verifier,
        }).encode()
        with urllib.request.urlopen(urllib.request.Request(BASE + "/v1/auth/token", data=form)) as response:
            issued = json.loads(response.read())
        assert issued["scope"] == "incidents:read" and issued["refresh_token"].startswith("rt_"), issued
        status, incidents = api("GET", "/v1/incidents", issued["access_token"])
        assert status == 200, incidents
    finally:
        server.shutdown()


def test_every_section_renders_and_is_screenshotted(page, tenant):
    tenant.alert("Section tour incident", "section-tour")
    sign_in(page, tenant, tenant.admin)
    sections = {
        "Integrations": "integrations", "Notifications": "notifications",
        "Users & keys": "access", "Audit": "audit", "Settings": "settings",
    }
    for label, name in sections.items():
        page.get_by_role("navigation", name="Sections").get_by_role("link", name=label).click()
        expect(page.locator("h1")).to_be_visible()
        expect(page.locator("[aria-current=page]")).to_have_text(label)
        shot(page, name)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Audit").click()
    page.get_by_role("button", name="Check the chain").click()
    expect(page.locator("main .notice")).to_contain_text("The chain holds")
    shot(page, "audit-chain-checked")
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Integrations").click()
    expect(page.locator("h1")).to_have_text("Integrations")
    page.locator("select[name=source]").select_option("github")
    page.get_by_label("Name", exact=True).fill("Monorepo")
    page.get_by_label("Signing secret", exact=False).fill("github-webhook-secret-123")
    page.get_by_role("button", name="Create integration").click()
    expect(page.locator("#hook-url")).to_contain_text("/v1/hooks/github/int_")
    assert "github-webhook-secret-123" not in page.content()
    shot(page, "integration")
