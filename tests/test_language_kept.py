"""A language the reader chose travels in the addresses, not only in a cookie: a client without cookies that
opens a shared link (/id/…?lang=it) stays in Italian through the redirect and every link it follows; a reader
who never chose keeps plain addresses; files and machine interfaces never carry lang."""

from __future__ import annotations

import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from circe_kg.web import create_app
from circe_kg.web.i18n import LANGUAGE_FREE
from circe_kg.web.services import services_of

# What people see of the pages: the queries under them run on every backend in tests/test_queries.py.
pytestmark = pytest.mark.embedded_only

ALBERGO = "/id/practice/albergo-diffuso"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


class Links(HTMLParser):
    """The attributes of every <a> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.found.append({k: v or "" for k, v in attrs})


def links_of(text: str) -> list[dict[str, str]]:
    parser = Links()
    parser.feed(text)
    return parser.found


def internal_pages(app, text: str) -> list[dict[str, str]]:
    """The links of a page that point into the app at a page (not a file or machine interface, not #here)."""
    adapter = app.url_map.bind("localhost")
    found = []
    for link in links_of(text):
        parts = urlsplit(link.get("href", ""))
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            continue
        try:
            endpoint = adapter.match(parts.path, method="GET")[0]
        except Exception:  # a slash redirect or an address no route answers: a page all the same
            endpoint = None
        if endpoint not in LANGUAGE_FREE:
            found.append(link)
    return found


def lang_of(href: str) -> list[str]:
    return parse_qs(urlsplit(href).query).get("lang", [])


def assert_every_link_in(app, text: str, code: str) -> list[dict[str, str]]:
    """Every internal link of the page carries lang=`code`; a language switcher's (hreflang) its own language."""
    links = internal_pages(app, text)
    assert links
    for link in links:
        wanted = [link["hreflang"]] if "hreflang" in link else [code]
        assert lang_of(link["href"]) == wanted, link["href"]
    return links


def follow(client, href: str):
    response = client.get(href, headers=HTML, follow_redirects=True)
    assert response.status_code == 200, href
    return response.get_data(as_text=True)


def test_a_shared_link_stays_in_its_language_through_the_redirect_and_two_links(app):
    client = app.test_client(use_cookies=False)
    redirect = client.get(ALBERGO + "?lang=it", headers=HTML)
    assert redirect.status_code == 303 and lang_of(redirect.headers["Location"]) == ["it"]
    page = follow(client, ALBERGO + "?lang=it")
    assert '<html lang="it">' in page
    links = assert_every_link_in(app, page, "it")
    partner = next(link["href"] for link in links if link["href"].startswith("/id/organisation/"))
    second = follow(client, partner)
    assert '<html lang="it">' in second
    links = assert_every_link_in(app, second, "it")
    question = next(link["href"] for link in links if link["href"].startswith(("/questions/", "/list/")))
    third = follow(client, question)
    assert '<html lang="it">' in third
    assert_every_link_in(app, third, "it")


def test_the_navigation_and_home_page_keep_the_language_too(app):
    client = app.test_client(use_cookies=False)
    home = follow(client, "/?lang=sl")
    links = assert_every_link_in(app, home, "sl")
    for href in {link["href"] for link in links if "hreflang" not in link}:
        # Not /query: its example permalinks are built by hand (query_page.permalink), without lang.
        if href.startswith(("/search", "/questions/", "/dumps/", "/ontology")):
            assert_every_link_in(app, follow(client, href), "sl")


@pytest.mark.slow
def test_the_language_switcher_links_switch(app):
    page = app.test_client(use_cookies=False).get("/search?q=textile&lang=it").get_data(as_text=True)
    english = [link["href"] for link in links_of(page) if link.get("hreflang") == "en"]
    assert english == ["/search?q=textile&lang=en"]


def test_a_reader_who_never_chose_keeps_plain_addresses(app):
    client = app.test_client(use_cookies=False)
    redirect = client.get(ALBERGO, headers={**HTML, "Accept-Language": "it"})
    assert redirect.status_code == 303 and redirect.headers["Location"] == "/page/practice/albergo-diffuso"
    page = follow(client, ALBERGO)
    assert all(not lang_of(link["href"]) for link in internal_pages(app, page) if "hreflang" not in link)


def test_a_choice_kept_in_the_cookie_is_written_into_the_links(app):
    client = app.test_client()
    client.set_cookie("lang", "nl")
    page = follow(client, "/page/practice/albergo-diffuso")
    assert_every_link_in(app, page, "nl")


def test_files_and_machine_interfaces_never_carry_the_language(app):
    client = app.test_client(use_cookies=False)
    turtle = client.get(ALBERGO + "?lang=it", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 303 and turtle.headers["Location"].endswith("/data/practice/albergo-diffuso.ttl")
    page = follow(client, "/page/practice/albergo-diffuso?lang=it")
    files = [link["href"] for link in links_of(page) if link.get("href", "").startswith(("/data/", "/void"))]
    assert files and not any(lang_of(href) for href in files)
    assert "circe.css?lang" not in page and 'href="/static/circe.css"' in page
    query = follow(client, "/query?lang=it")
    assert 'data-permalink-base="/query"' in query  # the script adds "?query=…" to it


@pytest.mark.parametrize(
    "path,target",
    [
        (ALBERGO, "/page/practice/albergo-diffuso"),
        ("/resource?uri=https://w3id.org/circe-kg/id/practice/albergo-diffuso", "/page/practice/albergo-diffuso"),
        ("/questions", "/questions/"),
    ],
)
def test_every_redirect_keeps_the_language(app, path, target):
    client = app.test_client(use_cookies=False)
    joined = "&" if "?" in path else "?"
    response = client.get(path + joined + "lang=sl", headers=HTML)
    assert 300 <= response.status_code < 400
    location = urlsplit(response.headers["Location"])
    assert location.path == target and lang_of(response.headers["Location"]) == ["sl"]


@pytest.fixture
def steward_site(loaded_store, tmp_path):
    token = secrets.token_urlsafe(24)
    app = create_app(
        store=loaded_store,
        config={"TESTING": True, "WRITE_TOKENS": {token: "Lang Steward"}, "DUMPS_DIR": tmp_path / "dumps"},
    )
    yield app, token
    services_of(app).sandbox.close()


def test_a_redirect_after_a_form_keeps_the_language(steward_site):
    app, token = steward_site
    client = app.test_client(use_cookies=False)
    form = client.get("/sign-in?lang=it&next=/questions/", headers=HTML).get_data(as_text=True)
    assert 'action="/sign-in?lang=it"' in form  # the form is sent back in the same language
    response = client.post("/sign-in?lang=it", data={"token": token, "next": "/questions/"})
    assert response.status_code == 303 and response.headers["Location"] == "/questions/?lang=it"
    home = client.post("/sign-in?lang=it", data={"token": token, "next": ""})
    assert home.headers["Location"] == "/?lang=it"


def test_a_form_sent_with_get_carries_the_language_in_a_hidden_field(app):
    client = app.test_client(use_cookies=False)
    page = client.get("/nowhere?lang=it", headers=HTML).get_data(as_text=True)
    assert '<input type="hidden" name="lang" value="it">' in page
    plain = client.get("/nowhere", headers=HTML).get_data(as_text=True)
    assert 'name="lang"' not in plain
