"""Property-based tests (hypothesis) of every input surface of the web app and the CLI, fed hostile text:
markup and script URLs, SPARQL fragments, Unicode controls and bidi overrides, NUL bytes, lone surrogates
(as the invalid UTF-8 they become on the wire, or as text where the layer is Python), very long strings.

The property, everywhere: the answer is 2xx, 3xx or 4xx (503 where a query is cut off) with a readable
message, never a traceback; HTML never carries the injected markup unescaped; a redirect stays on this site;
and the store is unchanged — for read surfaces always, for write surfaces whenever the input was refused.

All on the embedded store (an in-memory store of its own, so nothing here races another test's app).
`CIRCE_KG_FUZZ_SCALE=10` tries ten times as many examples; the number tried per surface is printed at the
end of the module and written to test-output/fuzz-summary.json.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import socket
import threading
from collections import Counter
from pathlib import Path
from urllib.parse import quote, quote_from_bytes, urlsplit

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from circe_kg import queries
from circe_kg.cli import main
from circe_kg.config import shipped_files
from circe_kg.loader import load_files
from circe_kg.store import EmbeddedStore
from circe_kg.web import create_app
from circe_kg.web.services import services_of
from circe_kg.writing.gate import WriteGate

SUMMARY_FILE = Path(__file__).resolve().parents[1] / "test-output" / "fuzz-summary.json"
SCALE = float(os.environ.get("CIRCE_KG_FUZZ_SCALE", "1"))
settings.register_profile(
    "circe-fuzz",
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("circe-fuzz")


def examples(n: int) -> settings:
    return settings(FUZZ, max_examples=max(1, int(n * SCALE)))


TRIED: Counter[str] = Counter()
ACCEPTED: Counter[str] = Counter()  # write surfaces: inputs that were written (the rest were refused)

STEWARD, EDITOR, REVIEWER = (
    "fuzz-steward-token-0123456789",
    "fuzz-editor-token-0123456789",
    "fuzz-reviewer-token-0123456789",
)
ID = "https://w3id.org/circe-kg/id/"
GRAPH = "https://w3id.org/circe-kg/graph/"

# -- strategies ----------------------------------------------------------------------------------------
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example/",
    '"} ; DROP ALL ; {',
    "'; DROP ALL ; #",
    "} } ; CLEAR ALL ; INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> 1 } }",
    '" . } SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } #',
    ">",
    "<",
    "\\",
    "\\u0000",
    "%00",
    "%",
    "%%",
    "\x00",
    "a\x00b",
    "\u202e",
    "\u202egnp.exe",
    "\u200b",
    "\ufeff",
    "\ufffe",
    "\uffff",
    "\r\nSet-Cookie: x=1",
    "\x1b[31m",
    "{{ 7*7 }}",
    "${7*7}",
    "../../../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "organisation:sos",
    "kirchherr:regulatory",
    "sector:textile",
    "nuts:ITC4",
    "barrier:sos-public-procurement",
    f"{ID}practice/albergo-diffuso",
    f"<{ID}practice/albergo-diffuso>",
    "http://",
    "https://",
    "urn:x",
    "http://a b",
    "²",
    "١٢",
    "𝟙",
    "-1",
    "0",
    "1e9",
    "99999999999999999999999",
    "NaN",
    "true",
    "en",
    "it",
    "*",
    "x-" + "a" * 300,
    "é" * 300,
    "\U0001f600" * 50,
]
CONTROLS = [
    chr(c)
    for c in (
        *range(0, 32),
        127,
        *range(0x80, 0xA0),
        0x200E,
        0x200F,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
        0xFFF9,
        0xFFFA,
        0xFFFB,
    )
]
chars = st.one_of(st.characters(), st.sampled_from(CONTROLS), st.characters(categories=["Cs"]))
raw_text = st.text(chars, max_size=40)
long_text = st.sampled_from(["x" * 201, "é" * 5000, "<" * 70_000, "a " * 40_000, "\u202e" * 1000])
hostile = st.one_of(
    st.sampled_from(HOSTILE),
    raw_text,
    st.lists(st.one_of(st.sampled_from(HOSTILE), raw_text), min_size=2, max_size=4).map("".join),
    long_text,
)
# Header values arrive as latin-1 text without line breaks (a server refuses those before the app sees them).
header_text = st.one_of(
    st.sampled_from(
        [
            "",
            "*",
            "en",
            "it;q=0.9, en;q=0.8",
            "sl-SI",
            "x" * 300,
            "*/*;q=abc",
            ";;;",
            "q=1",
            "text/html;q=2",
            "application/json;q=-1",
            "<script>alert(1)</script>",
        ]
    ),
    st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=60),
)


def enc(text: str) -> str:
    """Percent-encode as UTF-8; a lone surrogate becomes the invalid UTF-8 a hostile client can send."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def form_body(pairs: list[tuple[str, str]]) -> bytes:
    return "&".join(f"{enc(k)}={enc(v)}" for k, v in pairs).encode("ascii")


url_part = st.one_of(hostile.map(enc), st.binary(max_size=30).map(lambda b: quote_from_bytes(b, safe="")))
slug = st.one_of(
    st.sampled_from(
        [
            "practice/albergo-diffuso",
            "organisation/sos",
            "concept/kirchherr-2018/market",
            "practice/",
            "",
            "x",
            "practice/albergo-diffuso.ttl",
        ]
    ),
    st.lists(url_part, min_size=1, max_size=3).map("/".join),
)
accept = st.one_of(
    st.sampled_from(
        [
            "text/html",
            "application/json",
            "text/turtle",
            "application/ld+json",
            "application/rdf+xml",
            "application/n-triples",
            "image/png",
            "*/*",
            "",
            "text/csv",
            "application/sparql-results+json",
            "text/tab-separated-values",
        ]
    ),
    header_text,
)

# -- fixtures ------------------------------------------------------------------------------------------


def fingerprint(store) -> tuple[dict[str, int], str]:
    """Each named graph's size and a checksum of every quad: what 'the store is unchanged' compares."""
    counts = {g: store.count(g) for g in store.named_graphs()}
    return counts, hashlib.sha256(store.dump(ox.RdfFormat.N_QUADS)).hexdigest()


@pytest.fixture(scope="module", autouse=True)
def summary(request):
    """Print and keep how many inputs each surface was fed (for the report)."""
    yield
    if not TRIED:
        return
    SUMMARY_FILE.parent.mkdir(exist_ok=True)
    SUMMARY_FILE.write_text(
        json.dumps(
            {
                "scale": SCALE,
                "examples": dict(sorted(TRIED.items())),
                "total": sum(TRIED.values()),
                "writes_accepted": dict(ACCEPTED),
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    lines = [f"fuzz inputs tried per surface (also in {SUMMARY_FILE}):"]
    lines += [
        f"  {surface:<34} {n:>6}" + (f"  ({ACCEPTED[surface]} written)" if surface in ACCEPTED else "")
        for surface, n in sorted(TRIED.items())
    ]
    lines += [f"  {'total':<34} {sum(TRIED.values()):>6}"]
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + "\n".join(lines))


@pytest.fixture(scope="module")
def canary():
    """A local listener: a query that makes the server call out (SERVICE) shows up as a connection here."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    calls: list[int] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            calls.append(1)
            connection.close()

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1], calls
    server.close()


@pytest.fixture(scope="module")
def read_app(tmp_path_factory):
    """The app over a store of its own, read-only in spirit: every test here checks it stays unchanged."""
    store = EmbeddedStore(None)
    load_files(store, shipped_files())
    app = create_app(
        store=store,
        config={
            "TESTING": True,
            "DUMPS_DIR": tmp_path_factory.mktemp("fuzz-dumps"),
            "SPARQL_TIMEOUT_S": 3.0,
            "SPARQL_MAX_RESULT_BYTES": 256 * 1024,
            "SPARQL_WORKERS": 2,
        },
    )
    yield app, app.test_client(), store
    services_of(app).sandbox.close()
    store.close()


@pytest.fixture(scope="module")
def write_app(tmp_path_factory):
    """An app with steward, editor and reviewer tokens over a store of its own (writes here may succeed)."""
    folder = tmp_path_factory.mktemp("fuzz-writes")
    store = EmbeddedStore(None)
    load_files(store, shipped_files(), gate=WriteGate(store, folder / "history"))
    app = create_app(
        store=store,
        config={
            "TESTING": True,
            "DUMPS_DIR": folder / "dumps",
            "HISTORY_DIR": folder / "history",
            "WRITE_TOKENS": {
                STEWARD: "fuzz steward",
                EDITOR: ("fuzz editor", "editor"),
                REVIEWER: ("fuzz reviewer", "reviewer"),
            },
        },
    )
    yield app, app.test_client(), store
    services_of(app).sandbox.close()
    store.close()


# -- the property ----------------------------------------------------------------------------------------
XSS = (b"<script>alert(1)", b"<img src=x onerror", b"<script>alert(document")


def check(response, surface: str, also_allowed: tuple[int, ...] = ()) -> None:
    TRIED[surface] += 1
    status, body = response.status_code, response.get_data()
    where = f"{surface}: {status} {body[:600]!r}"
    assert 200 <= status < 500 or status in also_allowed, where
    assert b"Traceback (most recent call last)" not in body, where
    if status >= 400:
        assert body.strip(), f"{surface}: {status} without a message"
        if response.mimetype == "application/json":
            message = response.get_json().get("message")
            assert isinstance(message, str) and message.strip(), where
    if response.mimetype in ("text/html", "application/xhtml+xml"):
        for marker in XSS:
            assert marker not in body, f"{surface}: unescaped {marker!r} in the page"
    if 300 <= status < 400:
        location = response.headers.get("Location", "")
        assert location and urlsplit(location).netloc in ("", "localhost"), f"{surface}: redirect to {location!r}"
        assert not location.lower().lstrip().startswith(("javascript:", "data:")), where


def unchanged(store, before, surface: str) -> None:
    assert fingerprint(store) == before, f"{surface}: the store changed"


def same_size(store, before: int, surface: str) -> None:
    """A read surface's check after each example: the store's size (a millisecond, where a fingerprint takes 50);
    the exact check is `untouched`'s, once per test."""
    assert store.count() == before, f"{surface}: the store changed"


@pytest.fixture
def untouched(read_app):
    """After every example of a read surface's test: the read store's every quad is as before."""
    before = fingerprint(read_app[2])
    yield
    assert fingerprint(read_app[2]) == before, "a read surface changed the store"


# -- reading: search, lists, languages, resource paths, questions -------------------------------------------
@examples(150)
@given(q=hostile, extra=st.lists(st.tuples(url_part, url_part), max_size=2))
def test_search(read_app, untouched, q, extra):
    _, client, store = read_app
    before = store.count()
    query_string = "&".join([f"q={enc(q)}", *(f"{k}={v}" for k, v in extra)])
    check(client.get("/search", query_string=query_string), "GET /search?q=")
    same_size(store, before, "search")


page_number = st.one_of(st.sampled_from(["1", "2", "0", "-1", "²", "١", "𝟙", "1.5", " 1", "9" * 30]), hostile)
facet_name = st.one_of(
    st.sampled_from(["sector", "partner", "category", "status", "lever", "region", "illustrative", "type", "lang"]),
    hostile,
).map(enc)
facet_value = st.one_of(
    st.sampled_from(["sector:textile", "organisation:sos", "true", "", f"{ID}concept/kirchherr-2018/market"]), hostile
).map(enc)


@examples(150)
@given(
    kind=st.one_of(st.sampled_from(["practices", "barriers", "opportunities", "instruments", "actions"]), url_part),
    facets=st.lists(st.tuples(facet_name, st.one_of(facet_value, url_part)), max_size=4),
    page=st.one_of(st.none(), page_number),
    fmt=st.one_of(st.none(), st.sampled_from(["csv", "json", "CSV"]), hostile),
)
def test_facets(read_app, untouched, kind, facets, page, fmt):
    _, client, store = read_app
    before = store.count()
    pairs = [f"{k}={v}" for k, v in facets]
    pairs += [f"page={enc(page)}"] if page is not None else []
    pairs += [f"format={enc(fmt)}"] if fmt is not None else []
    check(client.get(f"/list/{kind}", query_string="&".join(pairs)), "GET /list/<kind>?facets")
    same_size(store, before, "facets")


LANGUAGE_PAGES = [
    "/search?q=hotel",
    "/list/practices",
    "/page/practice/albergo-diffuso",
    "/questions/",
    "/questions/gaps",
    "/ontology",
    "/validate",
    "/history",
    "/dumps/",
    "/query?example=transfers",
]


@examples(120)
@given(
    path=st.sampled_from(LANGUAGE_PAGES),
    lang=st.one_of(st.none(), hostile),
    accept_language=header_text,
    cookie=st.one_of(st.none(), header_text),
)
def test_languages(read_app, untouched, path, lang, accept_language, cookie):
    _, client, store = read_app
    before = store.count()
    url = path + ("&" if "?" in path else "?") + f"lang={enc(lang)}" if lang is not None else path
    headers = {"Accept-Language": accept_language}
    if cookie is not None:
        headers["Cookie"] = f"lang={cookie.replace(';', '')}"
    check(client.get(url, headers=headers), "?lang= / Accept-Language / cookie")
    same_size(store, before, "languages")


@examples(150)
@given(
    prefix=st.sampled_from(["/id/", "/page/", "/data/", "/edit/", "/ontology/"]),
    rest=slug,
    ext=st.sampled_from(["", ".ttl", ".nt", ".rdf", ".jsonld", ".exe", ".", ".ttl.ttl"]),
    accept=accept,
)
def test_resource_paths(read_app, untouched, prefix, rest, ext, accept):
    _, client, store = read_app
    before = store.count()
    check(client.get(prefix + rest + ext, headers={"Accept": accept}), f"GET {prefix}…")
    same_size(store, before, "resource paths")


@examples(100)
@given(
    uri=st.one_of(
        st.sampled_from(
            [
                "http://data.europa.eu/nuts/code/ITC4",
                f"{ID}practice/albergo-diffuso",
                f"{ID}javascript:alert(1)",
                f"{ID}..%2F..%2Fetc",
                "//evil.example/x",
                "https://evil.example/",
                "http://data.europa.eu/nuts/code/",
            ]
        ),
        hostile,
        hostile.map(lambda s: "http://data.europa.eu/nuts/code/" + s),
        hostile.map(lambda s: ID + s),
    ),
    accept=accept,
)
def test_resource_by_uri(read_app, untouched, uri, accept):
    _, client, store = read_app
    before = store.count()
    check(client.get("/resource", query_string=f"uri={enc(uri)}", headers={"Accept": accept}), "GET /resource?uri=")
    same_size(store, before, "resource by uri")


QUESTION_PARAMETERS = {
    "practices-for-barrier": ["barrier", "page"],
    "who-solved": ["sector", "barrier", "page"],
    "similar-regions": ["partner"],
    "compare": ["a", "b"],
    "transfers": ["from", "to"],
    "progress": ["page"],
    "gaps": ["page"],
    "": ["x"],
}
iri_like = st.one_of(
    st.sampled_from(
        [
            "organisation:sos",
            "organisation:regione-lombardia",
            "sector:textile",
            "kirchherr:regulatory",
            "barrier:sos-public-procurement",
            f"<{ID}organisation/sos>",
            f"{ID}organisation/nope",
            "organisation:",
            "nuts:ITC4",
            "http://a b",
            "https://x/\x00",
        ]
    ),
    hostile,
    hostile.map(lambda s: "organisation:" + s),
    hostile.map(lambda s: "https://" + s),
)


@examples(150)
@given(data=st.data())
def test_question_pages(read_app, untouched, data):
    _, client, store = read_app
    before = store.count()
    name = data.draw(st.sampled_from(sorted(QUESTION_PARAMETERS)))
    params = data.draw(
        st.lists(
            st.sampled_from(QUESTION_PARAMETERS[name]).flatmap(
                lambda key: st.tuples(st.just(key), page_number if key == "page" else iri_like)
            ),
            max_size=3,
        )
    )
    query_string = "&".join(f"{k}={enc(v)}" for k, v in params)
    check(client.get(f"/questions/{name}", query_string=query_string), "GET /questions/*?params")
    same_size(store, before, "questions")


# -- SPARQL: GET, POST form, POST body ------------------------------------------------------------------------
def sparql_literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


CANARY = "<http://127.0.0.1:CANARY_PORT/sparql>"  # the canary's port is filled in by the test


def sparql_templates() -> st.SearchStrategy[str]:
    canary = CANARY
    fill = st.one_of(st.sampled_from(HOSTILE), raw_text)
    return st.one_of(
        hostile,
        st.builds(
            lambda t, x, n: t.format(lit=sparql_literal(x), raw=x, n=n),
            st.sampled_from(
                [
                    "SELECT * WHERE {{ ?s ?p {lit} }} LIMIT {n}",
                    "SELECT ?s WHERE {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), {lit})) }} LIMIT {n}",
                    "ASK {{ ?s ?p {lit} }}",
                    "CONSTRUCT {{ ?s <urn:p> {lit} }} WHERE {{ ?s a ?c }} LIMIT {n}",
                    "DESCRIBE <{raw}>",
                    'SELECT * WHERE {{ ?s ?p "{raw}" }}',
                    "SELECT * WHERE {{ ?s ?p ?o }} LIMIT {n} # {raw}",
                    "SELECT * WHERE {{ <{raw}> ?p ?o }}",
                    "SELECT (REGEX(STR(?o), {lit}) AS ?m) WHERE {{ ?s ?p ?o }} LIMIT {n}",
                    "INSERT DATA {{ GRAPH <urn:x> {{ <urn:a> <urn:b> {lit} }} }}",
                    "DROP ALL",
                    "LOAD <http://127.0.0.1:9/{raw}>",
                    # A cross product: the size cap or the time limit stops it.
                    "SELECT * WHERE {{ ?a ?b ?c . ?d ?e ?f }}",
                    "SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }}",
                ]
            ),
            fill,
            st.integers(-5, 10**12),
        ),
        # Federated calls would make the public endpoint a proxy into the server's network: the canary listens.
        st.builds(
            lambda t: t.format(c=canary),
            st.sampled_from(
                [
                    "SELECT * WHERE {{ SERVICE {c} {{ ?s ?p ?o }} }}",
                    "SELECT * WHERE {{ service silent {c} {{ ?s ?p ?o }} }}",
                    "SELECT * WHERE {{ #x\rSERVICE SILENT {c} {{ ?s ?p ?o }} }}",
                    "SELECT*WHERE{{SERVICE\tSILENT{c}{{?s ?p ?o}}}}",
                    "ASK {{ {{ SELECT * WHERE {{ SERVICE SILENT {c} {{ ?s ?p ?o }} }} }} }}",
                    "BASE " + canary + " SELECT * WHERE {{ SERVICE SILENT <x> {{ ?s ?p ?o }} }}",
                    "PREFIX c: <http://127.0.0.1:CANARY_PORT/> SELECT * WHERE {{ SERVICE SILENT c:x {{ ?s ?p ?o }} }}",
                ]
            ),
        ),
    )


@examples(200)
@given(
    text=sparql_templates(),
    how=st.sampled_from(["GET", "POST form", "POST body", "POST other type"]),
    accept=accept,
    fmt=st.one_of(st.none(), st.sampled_from(["json", "xml", "csv", "tsv", "turtle", "jsonld", "html", ""]), url_part),
    graphs=st.lists(
        st.tuples(
            st.sampled_from(["default-graph-uri", "named-graph-uri"]),
            st.one_of(
                st.sampled_from([f"{GRAPH}data/practices", "urn:x", "file:///etc/passwd", "http://127.0.0.1:9/"]),
                hostile,
            ),
        ),
        max_size=2,
    ),
    update=st.booleans(),
    other_type=st.sampled_from(
        [
            "application/sparql-update",
            "text/plain",
            "",
            "application/json",
            "multipart/form-data; boundary=x",
            "application/sparql-query; charset=latin-1",
        ]
    ),
)
def test_sparql(read_app, untouched, canary, text, how, accept, fmt, graphs, update, other_type):
    _, client, store = read_app
    before, calls = store.count(), len(canary[1])
    text = text.replace("CANARY_PORT", str(canary[0]))
    pairs = [("update" if update and how != "POST body" else "query", text), *graphs]
    extra = "&".join(f"{enc(k)}={enc(v)}" for k, v in graphs) + (f"&format={enc(fmt)}" if fmt is not None else "")
    headers = {"Accept": accept}
    if how == "GET":
        response = client.get(
            "/sparql",
            query_string=form_body(pairs).decode() + (f"&format={enc(fmt)}" if fmt is not None else ""),
            headers=headers,
        )
    elif how == "POST form":
        response = client.post(
            "/sparql",
            data=form_body(pairs + ([("format", fmt)] if fmt is not None else [])),
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )
    else:
        body = text.encode("utf-8", "surrogatepass")
        content_type = "application/sparql-query" if how == "POST body" else other_type
        response = client.post("/sparql?" + extra.lstrip("&"), data=body, content_type=content_type, headers=headers)
    check(response, f"/sparql {how}", also_allowed=(503,))
    same_size(store, before, "sparql")
    assert len(canary[1]) == calls, f"the query made the server call out: {text!r}"


# -- /validate: pasted text and uploaded files (nothing is ever stored) --------------------------------------
TURTLE_HEAD = (
    "@prefix circe: <https://w3id.org/circe-kg/ontology#> .\n@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
)


def turtle_with(text: str) -> str:
    """A resource that parses, with the hostile text as its label (one valid document among the junk)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return (
        TURTLE_HEAD + f'<{ID}practice/fuzz> a circe:Practice ;\n  skos:prefLabel "{escaped}"@en ;\n'
        "  circe:illustrative true .\n"
    )


turtle = st.one_of(
    hostile,
    hostile.map(lambda s: TURTLE_HEAD + s),
    hostile.map(turtle_with),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
)


@examples(40)
@given(
    text=turtle,
    upload=st.booleans(),
    filename=st.one_of(st.sampled_from(["x.ttl", "", "../x.ttl"]), hostile),
    accept=st.sampled_from(["text/html", "application/json", "*/*"]),
    raw=st.one_of(st.none(), st.binary(max_size=64)),
)
def test_validate_page(read_app, untouched, text, upload, filename, accept, raw):
    _, client, store = read_app
    before = store.count()
    headers = {"Accept": accept}
    if upload:
        content = raw if raw is not None else text.encode("utf-8", "surrogatepass")
        safe_name = filename.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
        response = client.post(
            "/validate",
            data={"file": (io.BytesIO(content), safe_name)},
            content_type="multipart/form-data",
            headers=headers,
        )
    else:
        response = client.post(
            "/validate",
            data=form_body([("text", text)]),
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )
    check(response, "POST /validate")
    same_size(store, before, "validate")


# -- writes: SPARQL Update, Graph Store Protocol, edit forms, review ------------------------------------------
token = st.one_of(
    st.sampled_from([STEWARD, EDITOR, REVIEWER, "", "wrong-token-wrong-token", STEWARD + "x"]), header_text
)
graph_iri = st.one_of(
    st.sampled_from(
        [
            f"{GRAPH}data/fuzz",
            f"{GRAPH}data/practices",
            f"{GRAPH}system/provenance",
            f"{GRAPH}ontology/circe",
            f"{GRAPH}shapes/circe",
            "urn:x",
            "http://a b",
            f"{GRAPH}data/",
            "file:///etc/passwd",
        ]
    ),
    hostile,
    hostile.map(lambda s: f"{GRAPH}data/" + s),
)


def refused_changes_nothing(response, store, before, surface: str) -> None:
    check(response, surface)
    if response.status_code >= 400:
        unchanged(store, before, surface)
    elif fingerprint(store) != before:
        ACCEPTED[surface] += 1


def auth(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"} if value else {}


UPDATES = [
    "INSERT DATA {{ GRAPH <" + GRAPH + "data/fuzz> {{ <" + ID + "practice/fuzz> <urn:p> {lit} }} }}",
    "INSERT DATA {{ <urn:a> <urn:b> {lit} }}",
    "DELETE WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "DROP ALL",
    "CLEAR GRAPH <" + GRAPH + "system/provenance>",
    "DROP GRAPH <" + GRAPH + "shapes/circe>",
    "LOAD <http://127.0.0.1:9/{raw}> INTO GRAPH <" + GRAPH + "data/fuzz>",
    "INSERT {{ GRAPH <" + GRAPH + "data/fuzz> {{ ?s <urn:p> {lit} }} }} WHERE {{ ?s a ?c }}",
    "{raw}",
]


@examples(60)
@given(
    template=st.sampled_from(UPDATES),
    fill=st.one_of(st.sampled_from(HOSTILE), raw_text),
    bearer=token,
    form=st.booleans(),
)
def test_sparql_update(write_app, template, fill, bearer, form):
    _, client, store = write_app
    before = fingerprint(store)
    text = template.format(lit=sparql_literal(fill), raw=fill)
    if form:
        response = client.post(
            "/update",
            data=form_body([("update", text)]),
            content_type="application/x-www-form-urlencoded",
            headers=auth(bearer),
        )
    else:
        response = client.post(
            "/update",
            data=text.encode("utf-8", "surrogatepass"),
            content_type="application/sparql-update",
            headers=auth(bearer),
        )
    refused_changes_nothing(response, store, before, "POST /update")


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE", "RESTORE"])
@examples(20)
@given(
    graph=graph_iri,
    body=turtle,
    content_type=st.sampled_from(
        [
            "text/turtle",
            "application/n-triples",
            "application/ld+json",
            "application/rdf+xml",
            "text/plain",
            "",
            "application/x-www-form-urlencoded",
        ]
    ),
    bearer=token,
    version=st.one_of(st.sampled_from(["1", "0", "-1", "²", "999999999999999999999"]), hostile),
    default=st.booleans(),
)
def test_graph_store(write_app, method, graph, body, content_type, bearer, version, default):
    _, client, store = write_app
    before = fingerprint(store)
    query_string = f"graph={enc(graph)}" + ("&default" if default else "")
    headers = auth(bearer)
    if method == "GET":
        response = client.get("/graphs", query_string=query_string, headers={"Accept": content_type or "*/*"})
    elif method == "DELETE":
        response = client.delete("/graphs", query_string=query_string, headers=headers)
    elif method == "RESTORE":
        response = client.post(
            "/graphs/restore", query_string=query_string + f"&version={enc(version)}", headers=headers
        )
    else:
        response = client.open(
            "/graphs",
            method=method,
            query_string=query_string,
            data=body.encode("utf-8", "surrogatepass"),
            content_type=content_type,
            headers=headers,
        )
    refused_changes_nothing(response, store, before, f"{method} /graphs")


FIELDS = [f"f{i}" for i in range(14)]


@examples(40)
@given(
    data=st.data(),
    target=st.sampled_from(
        [
            "/edit/practice/albergo-diffuso",
            "/edit/organisation/sos",
            "/new/practice",
            "/new/barrier",
            "/new/opportunity",
            "/new/nope",
        ]
    ),
    bearer=token,
    lang=st.one_of(st.none(), hostile),
)
def test_edit_forms(write_app, data, target, bearer, lang):
    _, client, store = write_app
    before = fingerprint(store)
    pairs = [("token", bearer)]
    for key in data.draw(st.lists(st.sampled_from(FIELDS), max_size=6)):
        pairs.append((key, data.draw(st.one_of(st.sampled_from(HOSTILE), raw_text, iri_like))))
        if data.draw(st.booleans()):
            pairs.append((f"{key}.lang", data.draw(st.one_of(st.sampled_from(["en", "it", "", "xx-"]), hostile))))
    if target.startswith("/new/"):
        pairs.append(
            ("slug", data.draw(st.one_of(st.sampled_from(["fuzz-practice", "albergo-diffuso", "a"]), hostile)))
        )
    url = target + (f"?lang={enc(lang)}" if lang is not None else "")
    response = client.post(url, data=form_body(pairs), content_type="application/x-www-form-urlencoded")
    refused_changes_nothing(response, store, before, "POST /edit, /new")


@examples(40)
@given(
    bearer=token,
    action=st.one_of(st.sampled_from(["publish", "reject", ""]), hostile),
    draft=st.one_of(st.sampled_from(["1", "0", "-1", "²", "99999999999999999999999"]), hostile),
)
def test_review_page(write_app, bearer, action, draft):
    _, client, store = write_app
    before = fingerprint(store)
    response = client.post(
        "/review",
        data=form_body([("token", bearer), ("action", action), ("draft", draft)]),
        content_type="application/x-www-form-urlencoded",
    )
    refused_changes_nothing(response, store, before, "POST /review")
    for path in (f"/drafts/{enc(draft)}", f"/drafts/{enc(draft)}/{enc(action)}"):
        before = fingerprint(store)  # the review may have published a draft
        response = client.open(path, method="POST" if path.count("/") == 3 else "GET", headers=auth(bearer))
        refused_changes_nothing(response, store, before, "/drafts/…")


# -- the command line: circe-kg query NAME --param k=v --format F --------------------------------------------
@pytest.fixture(scope="module")
def cli_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz-cli") / "store"
    store = EmbeddedStore(path)
    load_files(store, shipped_files())
    store.close()
    return path


def disk_fingerprint(path: Path) -> tuple[dict[str, int], str]:
    store = EmbeddedStore(path)
    try:
        return fingerprint(store)
    finally:
        store.close()


def disk_size(path: Path) -> int:
    store = EmbeddedStore(path)
    try:
        return store.count()
    finally:
        store.close()


@pytest.fixture
def cli_untouched(cli_store):
    """After every example of the CLI's test: the store on disk has every quad it had (each example checks its
    size only: a fingerprint of the store on disk takes a quarter of a second)."""
    before = disk_fingerprint(cli_store)
    yield
    assert disk_fingerprint(cli_store) == before, "circe-kg query changed the store"


# Every named query but the federation's own: without the rows a federation binds, it reads every quad (22 s here),
# which is a dump's job, not what this fuzzer is about (tests/test_federation.py asks it as the federation does).
QUERY_NAMES = [q.name for q in queries.available() if q.name != "federation-fragments"]
PARAMETER_NAMES = sorted({p.name for q in queries.available() for p in q.parameters})


@examples(80)
@given(
    name=st.one_of(st.sampled_from(QUERY_NAMES), hostile),
    params=st.lists(
        st.one_of(
            st.tuples(st.sampled_from(PARAMETER_NAMES), st.one_of(iri_like, hostile)).map(lambda kv: "=".join(kv)),
            hostile,
        ),
        max_size=3,
    ),
    fmt=st.one_of(st.none(), st.sampled_from(["table", "csv", "tsv", "json", "xml"]), hostile),
)
def test_cli_query(runner, cli_store, cli_untouched, name, params, fmt):
    before = disk_size(cli_store)
    args = ["query", name, "--store", str(cli_store)]
    for item in params:
        args += ["--param", item]
    if fmt is not None:
        args += ["--format", fmt]
    result = runner.invoke(main, args)
    TRIED["circe-kg query NAME --param k=v"] += 1
    output = result.output  # stdout and stderr, as a terminal shows them
    assert result.exit_code in (0, 2), f"exit {result.exit_code}: {output[-800:]!r} {result.exception!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback (most recent call last)" not in output
    if result.exit_code == 2:
        assert re.search(r"error|Error|Usage", output), output[-400:]
    assert disk_size(cli_store) == before, "circe-kg query changed the store"


# -- the calls out that the fuzzing found, as plain regression tests ---------------------------------------------
CALLS_OUT = [
    "SELECT * WHERE {{ SERVICE <{u}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ service silent <{u}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ #comment\rSERVICE SILENT <{u}> {{ ?s ?p ?o }} }}",  # Oxigraph ends a comment at \r too
    "SELECT*WHERE{{?s ?p 1SERVICE SILENT<{u}>{{?s ?p ?o}}}}",
    "SELECT*WHERE{{?s ?p ?o.SERVICE SILENT<{u}>{{?s ?p ?o}}}}",
    "BASE <{u}> SELECT * WHERE {{ SERVICE SILENT <x> {{ ?s ?p ?o }} }}",
]


def test_no_query_or_update_makes_the_server_call_out(read_app, write_app, canary):
    """Issue 8's fuzzing found the public endpoint running `SERVICE <url>` (Oxigraph calls it: anyone could make the
    server send requests to 127.0.0.1, also through `#comment\\rSERVICE` and `1SERVICE`) and updates fetching URLs
    with SERVICE and LOAD: a query that would call out is refused with 400, an update with 403, and no other is."""
    port, calls = canary
    url = f"http://127.0.0.1:{port}/sparql"
    before = len(calls)
    for template in CALLS_OUT:
        response = read_app[1].post("/sparql", data={"query": template.format(u=url)})
        assert response.status_code == 400 and "SERVICE" in response.get_json()["message"], template
    for update in (
        f"LOAD <{url}> INTO GRAPH <{GRAPH}data/fuzz>",
        f"load silent <{url}>",
        f"INSERT {{ GRAPH <{GRAPH}data/fuzz> {{ ?s ?p ?o }} }} WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    ):
        response = write_app[1].post(
            "/update", data=update, content_type="application/sparql-update", headers=auth(STEWARD)
        )
        assert response.status_code == 403 and "fetches nothing" in response.get_json()["message"], update
    assert len(calls) == before
    # and nothing legitimate is refused: no named query, and no word that only looks like the keyword
    for q in queries.available():
        response = read_app[1].post("/sparql", data={"query": q.text})
        assert response.status_code != 400 or "SERVICE" not in response.get_json()["message"], q.name
    for text in (
        'SELECT ?service WHERE { ?service ?p "SERVICE" } # SERVICE',
        "PREFIX service: <urn:> SELECT * WHERE { ?s service:x <urn:SERVICE> }",
    ):
        assert read_app[1].post("/sparql", data={"query": text}).status_code == 200, text
