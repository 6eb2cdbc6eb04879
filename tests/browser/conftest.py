"""Browser tests of the console: Playwright driving Debian's Chromium (its executable path, never a
downloaded browser) against a running hub. The Rust harness (tests/tests/browser) starts the hub
on the AWS emulator and passes its address and platform admin key in the environment:

    FAULTLINE_BASE_URL     the hub, e.g. http://127.0.0.1:3000
    FAULTLINE_ADMIN_KEY    the platform admin key (creates the tenant of the run)
    FAULTLINE_SCREENSHOTS  where page screenshots go (target/console-screenshots)
    FAULTLINE_CHROMIUM     the browser (default /usr/bin/chromium)
"""

import json
import os
import tempfile
import urllib.request

import pytest
from playwright.sync_api import sync_playwright

BASE = os.environ.get("FAULTLINE_BASE_URL", "http://127.0.0.1:3000")
ADMIN_KEY = os.environ.get("FAULTLINE_ADMIN_KEY", "")
SHOTS = os.environ.get("FAULTLINE_SCREENSHOTS", "target/console-screenshots")
CHROMIUM = os.environ.get("FAULTLINE_CHROMIUM", "/usr/bin/chromium")
# As root in a closed network Chromium needs these (its sandbox, and no calls home).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery staple"


def api(method, path, key, body=None):
    """Calls the hub's API; returns (status, JSON body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Authorization", "Bearer " + key)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, (json.loads(raw) if raw else None)


class Tenant:
    """A tenant of this run: its id, its admin API key, an admin user and a viewer."""

    def __init__(self):
        status, body = api("POST", "/v1/tenants", ADMIN_KEY, {"name": "console tests"})
        assert status == 201, body
        self.id = body["tenant"]["id"]
        self.key = body["api_key"]["key"]
        self.admin = self.user("admin@example.com", "admin")
        self.viewer = self.user("viewer@example.com", "viewer")
        status, integration = api(
            "POST", "/v1/integrations", self.key,
            {"source": "generic", "name": "browser tests", "unsigned": True},
        )
        assert status == 201, integration
        self.hook = integration["webhook_path"]

    def user(self, email, role):
        status, body = api("POST", "/v1/users", self.key,
                           {"email": email, "password": PASSWORD, "role": role})
        assert status == 201, body
        return email

    def alert(self, title, fingerprint, severity="high"):
        """Posts a generic alert; returns the incident it opened or joined."""
        status, body = api("POST", self.hook, self.key, {
            "title": title, "severity": severity, "fingerprint": fingerprint,
            "service": "checkout", "status": "firing",
        })
        assert status in (200, 201, 202), body
        status, page = api("GET", "/v1/incidents?limit=100", self.key)
        assert status == 200, page
        return next(i for i in page["items"] if i["fingerprint"] == fingerprint or i["title"] == title)


@pytest.fixture(scope="session")
def tenant():
    assert ADMIN_KEY, "FAULTLINE_ADMIN_KEY is not set: run these through `cargo test -p faultline-e2e --test browser`"
    return Tenant()


@pytest.fixture(scope="session")
def playwright_driver():
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def browser(playwright_driver):
    """A fresh Chromium profile per test (its own --user-data-dir), with the clipboard allowed."""
    with tempfile.TemporaryDirectory(prefix="faultline-chromium-") as profile:
        context = playwright_driver.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=BASE)
        context.set_default_timeout(15000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    return page


def shot(page, name):
    """Saves a full-page screenshot as <FAULTLINE_SCREENSHOTS>/<name>.png."""
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, name + ".png"), full_page=True)


def sign_in(page, tenant, email):
    page.goto(BASE + "/console/incidents")
    assert "/console/sign-in" in page.url
    page.get_by_label("Tenant").fill(tenant.id)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/incidents")
