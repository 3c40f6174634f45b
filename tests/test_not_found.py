"""The app's own 404, in the reader's language: the address is not a page here, with the nearest page addresses,
resources that share words with it, the search and the home page — as a page, as JSON fields, as text lines. A
bad value is named and cut short, never echoed whole, and never copied into the language switcher's links."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from circe_kg.web.errors import SHOWN_MAX, shown

# What people see of the pages: the queries under them run on every backend in tests/test_queries.py.
pytestmark = pytest.mark.embedded_only

HTML = {"Accept": "text/html"}
STOCK = "The requested URL was not found on the server"
LONG = "x" * 10_000


class Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            found = {k: v or "" for k, v in attrs}
            self.found.append((found.get("href", ""), found))


def hrefs_of(text: str) -> list[tuple[str, dict[str, str]]]:
    parser = Hrefs()
    parser.feed(text)
    return parser.found


@pytest.mark.parametrize("path,nearest", [("/practises", "/list/practices"), ("/questons", "/questions/")])
def test_an_unknown_address_is_this_site_s_404_page_with_the_nearest_pages(client, path, nearest):
    response = client.get(path + "?lang=it", headers=HTML)
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert STOCK not in page and f"{path} non è una pagina di questo sito" in page  # in Italian
    assert '<html lang="it">' in page and "Forse cercavi" in page  # the reader's language
    hrefs = [href for href, _ in hrefs_of(page)]
    assert hrefs[hrefs.index(f"{nearest}?lang=it") - 1] != f"{nearest}?lang=it"  # listed once
    assert f"{nearest}?lang=it" in hrefs and "/?lang=it" in hrefs  # a nearest page and the home page
    assert 'role="search"' in page and 'name="q"' in page  # the search, with the address's words in it


def test_an_unknown_address_in_json_and_in_text(client):
    answer = client.get("/practises", headers={"Accept": "application/json"})
    body = answer.get_json()
    assert answer.status_code == 404 and body["error"] == "not-found"
    assert body["message"] == "/practises is not a page here" and STOCK not in answer.get_data(as_text=True)
    assert {"href": "/list/practices", "label": "/list/practices"} in body["suggestions"]
    assert body["search"] == "/search?q=practises" and body["home"] == "/"
    text = client.get("/questons", headers={"Accept": "text/plain"}).get_data(as_text=True)
    lines = text.splitlines()
    assert lines[0] == "404 /questons is not a page here" and "perhaps: /questions/ — /questions/" in lines
    assert "search: /search?q=questons" in lines and "home page: /" in lines


def test_an_address_like_no_page_suggests_none_but_still_the_search_and_home(client):
    body = client.get("/zzqxv", headers={"Accept": "application/json"}).get_json()
    assert body["suggestions"] == [] and body["home"] == "/" and body["search"].startswith("/search")


def test_a_resource_not_in_the_graph_suggests_resources_with_its_words_in_every_face(client):
    body = client.get("/page/practice/albergo-difuso", headers={"Accept": "application/json"}).get_json()
    assert "is not in the graph" in body["message"]
    assert {"href": "/id/practice/albergo-diffuso", "label": "Dispersed hotel (albergo diffuso)"} in body["suggestions"]
    assert body["search"] == "/search?q=albergo+difuso"
    text = client.get("/id/practice/albergo-difuso", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'href="/id/practice/albergo-diffuso"' in text and 'value="albergo difuso"' in text


def test_a_stock_abort_404_is_told_the_same_way(client):
    body = client.get("/vendor/no-such-package/x.js", headers={"Accept": "application/json"}).get_json()
    assert body["message"].endswith("is not a page here") and STOCK not in body["message"]


def test_shown_cuts_a_long_value_with_an_ellipsis():
    assert shown("short") == "short"
    assert shown(LONG) == "x" * SHOWN_MAX + "…"


def test_an_over_long_search_is_refused_without_echoing_it_or_copying_it_into_links(client):
    response = client.get("/search", query_string={"q": LONG, "lang": "it"}, headers=HTML)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "x" * (SHOWN_MAX + 1) not in page and len(page) < 20_000
    switcher = [href for href, link in hrefs_of(page) if "hreflang" in link]
    assert len(switcher) == 8 and all(href.startswith("/search?lang=") for href in switcher)


@pytest.mark.parametrize("accept", ["application/json", "text/plain", "text/html"])
def test_a_bad_parameter_is_named_and_cut_short_in_every_face(client, accept):
    bad = "not an address " * 700
    response = client.get("/questions/practices-for-barrier", query_string={"barrier": bad}, headers={"Accept": accept})
    text = response.get_json()["message"] if accept == "application/json" else response.get_data(as_text=True)
    assert response.status_code == 400 and "barrier" in text
    assert "…" in text and bad.strip()[: SHOWN_MAX + 1] not in text and len(text) < 20_000


def test_a_long_unknown_resource_or_path_is_cut_in_the_message_and_links(client):
    body = client.get("/resource", query_string={"uri": "http://example.org/" + LONG}).get_json()
    assert body["status"] == 404 and "…" in body["message"] and len(body["message"]) < 200
    page = client.get("/" + LONG, headers=HTML).get_data(as_text=True)
    assert "x" * (SHOWN_MAX + 1) not in page and "…" in page
    switcher = [href for href, link in hrefs_of(page) if "hreflang" in link]
    assert switcher and all(href.startswith("/?lang=") for href in switcher)


def test_what_the_server_tells_is_not_cut_only_what_was_sent(tmp_path):
    """A 412's hint gives the graph's current ETag (64 characters) whole: the client needs all of it. Only
    values the request sent are cut short."""
    import secrets

    from circe_kg.config import shipped_files
    from circe_kg.loader import load_files
    from circe_kg.store import EmbeddedStore
    from circe_kg.web import create_app
    from circe_kg.writing.gate import WriteGate

    store = EmbeddedStore(tmp_path / "store")
    load_files(store, shipped_files(), gate=WriteGate(store, tmp_path / "history"))
    token = secrets.token_urlsafe(24)
    config = {"TESTING": True, "WRITE_TOKENS": {token: "t"}, "DUMPS_DIR": tmp_path, "HISTORY_DIR": tmp_path / "history"}
    client = create_app(store=store, config=config).test_client()
    graph = "https://w3id.org/circe-kg/graph/data/practices"
    current = client.get(f"/graphs?graph={graph}").headers["ETag"].strip('"')
    stale = client.delete(
        f"/graphs?graph={graph}", headers={"Authorization": f"Bearer {token}", "If-Match": '"' + "0" * 64 + '"'}
    )
    assert stale.status_code == 412 and f'"{current}"' in stale.get_json()["hint"]
    store.close()
