"""Security headers on every response (circe_kg/web/security.py), and the pages with JavaScript still working
under the Content-Security-Policy in a real browser (Debian's Chromium): no violation is reported, the /query
editor (Yasgui) starts and runs a query."""

from __future__ import annotations

import re
import secrets
from html.parser import HTMLParser
from pathlib import Path

import pytest
from playwright.sync_api import expect

from circe_kg.config import shipped_files
from circe_kg.loader import load_files
from circe_kg.store import EmbeddedStore
from circe_kg.web import create_app
from circe_kg.web.services import services_of
from circe_kg.web.vendor import PACKAGES

TEMPLATES = Path(__file__).resolve().parents[1] / "circe_kg" / "web" / "templates"
EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
TEST_BEARER = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """The headers do not depend on the backend: one app over the embedded store."""
    store = EmbeddedStore(None)
    load_files(store, shipped_files())
    app = create_app(
        store=store,
        config={
            "TESTING": True,
            "DUMPS_DIR": tmp_path_factory.mktemp("dumps"),
            "WRITE_TOKENS": {TEST_BEARER: "headers test"},
        },
    )
    yield app.test_client()
    services_of(app).sandbox.close()
    store.close()


def directives(policy: str) -> dict[str, list[str]]:
    return {parts[0]: parts[1:] for parts in (d.split() for d in policy.split(";") if d.strip())}


ROUTES = [
    ("GET", "/", 200),
    ("GET", "/search?q=textile", 200),
    ("GET", "/list/practices", 200),
    ("GET", "/list/practices?format=csv", 200),
    ("GET", "/questions/", 200),
    ("GET", "/questions/transfers", 200),
    ("GET", "/questions/who-solved?sector=sector:textile", 200),
    ("GET", "/page/practice/albergo-diffuso", 200),
    ("GET", "/id/practice/albergo-diffuso", 303),
    ("GET", "/data/practice/albergo-diffuso.ttl", 200),
    ("GET", "/resource?uri=http://data.europa.eu/nuts/code/ITC4", 200),
    ("GET", "/ontology", 200),
    ("GET", "/sparql", 200),
    ("GET", "/sparql?query=ASK%7B%7D", 200),
    ("OPTIONS", "/sparql", 204),
    ("POST", "/sparql", 200),
    ("GET", "/query", 200),
    ("GET", "/void", 200),
    ("GET", "/dumps/", 200),
    ("GET", "/validate", 200),
    ("GET", "/history", 200),
    ("GET", "/review", 200),
    ("GET", "/edit/practice/albergo-diffuso", 200),
    ("GET", "/static/circe.css", 200),
    ("GET", "/no-such-page", 404),
    ("GET", "/page/practice/no-such-practice", 404),
    ("GET", "/id/practice/no-such-practice", 404),
    ("GET", "/search?q=" + "x" * 300, 400),
    ("GET", "/sparql?query=SELECT", 400),
    ("GET", "/list/practices?page=0", 400),
    ("POST", "/", 405),
    ("POST", "/update", 401),
    ("GET", "/sparql?query=ASK%7B%7D&format=nope", 406),
]


@pytest.mark.parametrize("accept", ["text/html, */*;q=0.8", "application/json, */*;q=0.1"])  # a browser; a client
@pytest.mark.parametrize(("method", "path", "status"), ROUTES)
def test_every_response_carries_the_security_headers(client, method, path, status, accept):
    data = "query=ASK {}" if (method, path) == ("POST", "/sparql") else None
    response = client.open(
        path,
        method=method,
        headers={"Accept": accept},
        data=data,
        content_type="application/x-www-form-urlencoded" if data else None,
    )
    response.close()  # static files are streamed
    assert response.status_code == status, response.get_data()[:300]
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, path)
    assert "camera=()" in response.headers["Permissions-Policy"]
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]  # above all: no 'unsafe-inline', no 'unsafe-eval'
    assert "'unsafe-inline'" not in policy["style-src"] and policy["object-src"] == ["'none'"]
    assert policy["style-src-attr"] == ["'unsafe-inline'"]  # style attributes, not <style> elements
    assert policy["frame-ancestors"] == ["'none'"] and policy["default-src"] == ["'self'"]
    assert policy["form-action"] == ["'self'"] and policy["base-uri"] == ["'self'"]


def test_dump_files_and_vendor_files_carry_them_too(client):
    listed = client.get("/dumps/", headers={"Accept": "application/json"}).get_json()
    response = client.get(listed[0]["url"] if "url" in listed[0] else f"/dumps/{listed[0]['name']}")
    response.close()
    assert response.status_code == 200 and response.headers["X-Frame-Options"] == "DENY"
    if (PACKAGES["yasgui"].files / "yasgui.min.js").exists():
        vendor = client.get("/vendor/yasgui/yasgui.min.js")
        vendor.close()
        assert vendor.status_code == 200 and "script-src 'self'" in vendor.headers["Content-Security-Policy"]
        assert vendor.headers.getlist("X-Content-Type-Options") == ["nosniff"]  # the view's own, not twice


class _InlineCode(HTMLParser):
    """Inline <script> blocks and on…= handlers: what script-src 'self' would block."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("<script> without src")
        self.found += [f"<{tag} {name}=…>" for name, _ in attrs if name.startswith("on")]
        self.found += [
            f"<{tag} {name}=javascript:…>"
            for name, value in attrs
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:")
        ]


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")))
def test_templates_have_no_inline_script(template):
    parser = _InlineCode()
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    parser.feed(re.sub(r"{[{%#].*?[}%#]}", "jinja", text, flags=re.S))  # src="{{ url_for(…) }}" stays a src
    assert parser.found == [], template


# -- in the browser --------------------------------------------------------------------------------------------
BROWSER_PAGES = [
    "",
    "search?q=textile",
    "questions/transfers",
    "page/practice/albergo-diffuso",
    "list/practices",
    "questions/who-solved?sector=https://w3id.org/circe-kg/id/sector/textile",
    "validate",
    "dumps/",
    "ontology",
    "query",
]
LISTEN = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '')));"""


@pytest.fixture(scope="module")
def csp_page(served, browser):
    base = served()
    page = browser.new_page()
    page.add_init_script(LISTEN)  # run by the browser itself, not subject to the page's CSP
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    yield base, page, messages
    page.close()


@pytest.mark.parametrize("served", ["embedded"], indirect=True)
@pytest.mark.parametrize("path", BROWSER_PAGES)
def test_pages_work_under_the_policy_in_the_browser(csp_page, path):
    base, page, messages = csp_page
    messages.clear()
    response = page.goto(base + path)
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("load")
    assert page.evaluate("window.__csp") == [] and messages == []


@pytest.mark.parametrize("served", ["embedded"], indirect=True)
def test_the_query_editor_starts_and_runs_a_query_under_the_policy(csp_page):
    if not (PACKAGES["yasgui"].files / "yasgui.min.js").exists():
        pytest.skip("Yasgui is not installed (scripts/setup.sh installs it)")
    base, page, messages = csp_page
    messages.clear()
    page.goto(base + "query?example=overview-counts")
    expect(page.locator("#yasqe .CodeMirror")).to_be_visible()  # Yasqe replaced the plain form
    expect(page.locator("#query-form")).to_be_hidden()
    page.locator(".yasqe_queryButton").click()
    expect(page.locator("#yasr table").first).to_contain_text("partners", timeout=15_000)
    grip = page.locator(".grip-handle .grip-resizable").first  # Yasr's column resizer adds a style while dragging
    grip.scroll_into_view_if_needed()
    box = grip.bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + 45, box["y"] + 5, steps=4)
    styles = page.evaluate("[...document.querySelectorAll('head style')].map(s => !!s.sheet && s.textContent)")
    page.mouse.up()
    assert len(styles) == 2 and all(styles), styles  # the table's rules and the drag cursor, both applied
    assert page.evaluate("window.__csp") == [] and messages == []
