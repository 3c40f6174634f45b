"""The /query page: server-rendered examples and permalinks, Yasgui served locally, no external URL or call."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from circe_kg import queries
from circe_kg.web import create_app
from circe_kg.web.query_page import bp
from circe_kg.web.vendor import PACKAGES

STATIC = Path(__file__).resolve().parent.parent / "circe_kg" / "web" / "static"
EXTERNAL = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]+)|@import\s+['\"]([^'\"]+)", re.IGNORECASE)


@pytest.fixture
def page_client(loaded_store):
    app = create_app(store=loaded_store, config={"TESTING": True})
    if "query_page" not in app.blueprints:
        app.register_blueprint(bp)
    return app.test_client()


class Page(HTMLParser):
    """Collects what the tests look at: resource URLs, inline styles and scripts, labels, details, links, text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.resources: list[tuple[str, str]] = []  # (tag, URL) of <script src>, <link href>, <img src>…
        self.styles: list[str] = []  # <style> contents and style="" attributes
        self.scripts: list[str] = []  # inline <script> contents
        self.ids: dict[str, dict[str, str | None]] = {}
        self.labels: list[str] = []  # the for= of every <label>
        self.details: list[str] = []  # the id of every <details>
        self.links: list[str] = []  # every <a href>
        self.textareas: dict[str, str] = {}
        self.pre: list[str] = []
        self.headings: list[str] = []
        self.text: list[str] = []  # all the text, entities decoded
        self._in: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids[a["id"]] = {"tag": tag, **a}
        if a.get("style"):
            self.styles.append(a["style"])
        if tag in ("script", "img", "iframe", "source", "audio", "video", "embed") and a.get("src"):
            self.resources.append((tag, a["src"]))
        if tag == "link" and a.get("href"):
            self.resources.append((tag, a["href"]))
        if tag == "label":
            self.labels.append(a.get("for") or "")
        if tag == "details":
            self.details.append(a.get("id") or "")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag in ("style", "script", "textarea", "pre", "h1", "h2"):
            self._in.append(tag if tag != "textarea" else f"textarea#{a.get('id')}")
            self._text = []

    def handle_endtag(self, tag):
        if self._in and self._in[-1].split("#")[0] == tag:
            kind, text = self._in.pop(), "".join(self._text)
            if kind == "style":
                self.styles.append(text)
            elif kind == "script":
                self.scripts.append(text)
            elif kind.startswith("textarea#"):
                self.textareas[kind.split("#", 1)[1]] = text
            elif kind == "pre":
                self.pre.append(text)
            else:
                self.headings.append(text)

    def handle_data(self, data):
        self.text.append(data)
        if self._in:
            self._text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def test_page_is_html_with_heading_and_labelled_examples(page_client):
    response = page_client.get("/query")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    page = parse(html)
    assert 'lang="en"' in html and "<main" in html  # from base.html
    assert any("SPARQL" in h for h in page.headings)
    assert page.ids["example"]["tag"] == "select" and "example" in page.labels
    assert page.ids["query-text"]["tag"] == "textarea" and "query-text" in page.labels
    # The plain form works without JavaScript: it posts the query to the app's own endpoint.
    assert page.ids["query-form"]["action"] == "/sparql" and page.ids["query-form"]["method"] == "post"
    assert page.ids["query-editor"]["data-endpoint"] == "/sparql"


def test_every_example_is_listed_with_title_question_text_and_permalink(page_client):
    examples = queries.available()
    assert examples
    page = parse(page_client.get("/query").get_data(as_text=True))
    text = " ".join(" ".join(page.text).split())
    for q in examples:
        assert (q.title or q.name) in text, q.name
        assert f"example-{q.name}" in page.details
        assert " ".join(q.question.split()) in text, q.name
        # The text comes from the .rq file as is, shown in a <pre>, and linked as a permalink.
        assert q.text in page.pre, q.name
        permalinks = [parse_qs(urlsplit(link).query).get("query") for link in page.links if link.startswith("/query?")]
        assert [q.text] in permalinks, q.name
        assert page.ids[f"example-{q.name}-text"]["tag"] == "code"


@pytest.mark.parametrize("quoting", [quote, lambda text: quote(text).replace("%20", "+")])
def test_permalink_puts_the_query_in_the_editor(page_client, quoting):
    text = 'SELECT ?s WHERE { ?s a <https://w3id.org/circe-kg/ontology#Transfer> } # & < > "quoted"'
    response = page_client.get("/query?query=" + quoting(text))
    assert response.status_code == 200
    page = parse(response.get_data(as_text=True))
    # The browser drops one newline right after <textarea>; the template puts one there.
    assert page.textareas["query-text"].removeprefix("\n") == text
    own = [parse_qs(urlsplit(link).query).get("query") for link in page.links if link.startswith("/query?")]
    assert [text] in own  # the page's own permalink
    assert page.ids["example"]["tag"] == "select"


def test_example_parameter_opens_that_example_without_javascript(page_client):
    name = queries.available()[-1].name
    response = page_client.get("/query", query_string={"example": name})
    page = parse(response.get_data(as_text=True))
    assert page.textareas["query-text"].removeprefix("\n") == queries.get(name).text
    html = response.get_data(as_text=True)
    assert f'<option value="{name}" selected>' in html


def test_no_external_url_in_scripts_links_or_styles(page_client):
    for url in ("/query", "/query?query=" + quote("SELECT * WHERE { ?s ?p <http://example.org/x> }")):
        page = parse(page_client.get(url).get_data(as_text=True))
        assert page.resources, "the page loads its stylesheet and scripts"
        for tag, src in page.resources:
            assert not EXTERNAL.match(src), f"<{tag}> loads {src} from another server"
        for style in page.styles:
            for match in CSS_URL.finditer(style):
                target = match.group(1) or match.group(2)
                assert not EXTERNAL.match(target), f"style loads {target}"
        for script in page.scripts:
            assert not re.search(r"https?://", script), "inline script names an external URL"


def test_page_loads_yasgui_from_this_server(page_client):
    page = parse(page_client.get("/query").get_data(as_text=True))
    sources = [src for tag, src in page.resources if tag == "script"]
    sheets = [href for tag, href in page.resources if tag == "link"]
    assert any(src.startswith("/vendor/yasgui/yasgui.min.js") for src in sources)
    assert any(src.startswith("/static/query.js") for src in sources)
    assert any(href.startswith("/vendor/yasgui/yasgui.min.css") for href in sheets)
    for url in sources + sheets:
        with page_client.get(url) as response:
            assert response.status_code == 200, url


@pytest.mark.parametrize("name, mime", [("yasgui.min.js", "text/javascript"), ("yasgui.min.css", "text/css")])
def test_vendor_files_are_served_with_type_and_long_cache(page_client, name, mime):
    assert (PACKAGES["yasgui"].files / name).is_file(), "run scripts/setup.sh: it installs Yasgui with npm ci"
    with page_client.get(f"/vendor/yasgui/{name}") as response:
        assert response.status_code == 200 and response.mimetype == mime
        assert response.data == (PACKAGES["yasgui"].files / name).read_bytes()
        cache = response.headers["Cache-Control"]
        assert "max-age=31536000" in cache and "public" in cache


@pytest.mark.parametrize(
    "url",
    [
        "/vendor/yasgui/../../package.json",
        "/vendor/yasgui/%2e%2e/%2e%2e/package.json",
        "/vendor/yasgui/%2e%2e%2f%2e%2e%2fpackage.json",
        "/vendor/yasgui/..%2F..%2Fpackage.json",
        "/vendor/yasgui/../../../../../../etc/passwd",
        "/vendor/yasgui/%2e%2e/yasgui/build/yasgui.min.js",
        "/vendor/yasgui/ts/src/index.d.ts",
        "/vendor/yasgui/nothing.js",
        "/vendor/yasgui/",
    ],
)
def test_vendor_route_refuses_anything_else(page_client, url):
    response = page_client.get(url)
    assert response.status_code == 404
    assert b'"name"' not in response.data and b"root:" not in response.data


def test_query_js_switches_off_every_external_call():
    """query.js configures Yasgui so that nothing is fetched from another server."""
    script = (STATIC / "query.js").read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/", "", script, flags=re.DOTALL)  # the options, not the comments explaining them
    for host in ("prefix.cc", "lov.linkeddata", "linkeddata.es", "http://", "https://", "dbpedia", "wikidata"):
        assert host not in script, f"query.js names {host}"
    # Only the local autocompleters; the ones that call out are unregistered from Yasqe's defaults too,
    # because Yasgui's (lodash) merge would keep the default list's entries behind a shorter list.
    assert re.search(r'LOCAL_AUTOCOMPLETERS = \["variables", "prefixes"\]', code)
    assert "delete Yasqe.Autocompleters[name]" in code
    assert "Yasqe.defaults.autocompleters = LOCAL_AUTOCOMPLETERS" in code
    assert re.search(r"\bautocompleters: LOCAL_AUTOCOMPLETERS", code)
    assert '"property"' not in code and '"class"' not in code
    assert code.count("prefixCcApi: null") + code.count("prefixCcApi = null") >= 2
    assert code.count("createShortLink: undefined") + code.count("createShortLink = undefined") >= 2
    assert "corsProxy = undefined" in code and "corsProxy:" not in code.replace("corsProxy = undefined", "")
    assert "persistenceId: null" in code and "consumeShareLink: null" in code
    # Queries go to this server's endpoint, given by the page (/sparql), and the permalink stays local.
    assert "root.dataset.endpoint" in code and 'permalinkBase + "?query=" + encodeURIComponent' in code


def test_the_yasgui_build_only_calls_out_through_the_options_query_js_switches_off():
    """Guards against a Yasgui upgrade that adds another call out: the hosts it calls are the known ones."""
    bundle = (PACKAGES["yasgui"].files / "yasgui.min.js").read_text(encoding="utf-8")
    assert "lov.linkeddata.es/dataset/lov/api" in bundle  # reached only by the "property"/"class" completers
    assert "prefixCcApi" in bundle and "createShortLink" in bundle and "corsProxy" in bundle
    css = (PACKAGES["yasgui"].files / "yasgui.min.css").read_text(encoding="utf-8")
    for match in CSS_URL.finditer(css):
        target = match.group(1) or match.group(2)
        assert not EXTERNAL.match(target), f"yasgui.min.css loads {target}"
