"""What other projects' developers get: compact JSON-LD with one published context, dumps they can verify with
`sha256sum -c`, SPARQL errors in plain words, and the query page's plain results and copy-paste snippets (run
for real: curl, Python's SPARQLWrapper and Node's fetch against a live server)."""

from __future__ import annotations

import ast
import csv
import gzip
import io
import json
import re
import shutil
import subprocess
import sys
import threading
import time

import pyoxigraph as ox
import pytest
import rdflib
import requests
from rdflib.compare import isomorphic
from werkzeug.serving import make_server

from circe_kg.dumps import BY_NAME, human_size
from circe_kg.endpoint.sandbox import READ_ONLY, undeclared_prefixes, update_keyword
from circe_kg.namespaces import PREFIXES
from circe_kg.serialization import JSONLD_CONTEXT, JSONLD_TERMS, jsonld_document
from circe_kg.web.query_page import javascript_string, python_string, r_string
from tests.test_query_page import parse as parse_page

ALBERGO = "practice/albergo-diffuso"
RESOURCES = [ALBERGO, "organisation/sos", "transfer/lombardy-to-sos-dispersed-circular-hotel"]
BASE = "https://w3id.org/circe-kg/id/"
# A query with everything a language's string literal must escape: both quotes (and three in a row), a line
# break, `&` and `=` (form encoding), `%`, a backslash, `$` and backticks (shells, JavaScript templates).
TRICKY = (
    '# quotes \' and " and """ & ampersands, $HOME, `backticks`, a backslash \\ \n'
    "SELECT ?text WHERE {\n"
    '  VALUES ?text { "Tom\'s \\"best\\" & worst = 100%" }\n'
    "}\n"
)
TRICKY_ANSWER = "& worst = 100%"  # in every snippet's output (CSV, a Python dict, the console)


def local_context(client) -> dict:
    return client.get("/context.jsonld").get_json()["@context"]


def jsonld_graph(client, body: bytes) -> rdflib.Graph:
    """Parse this server's JSON-LD with its context given locally (the test server is not on the network)."""
    document = json.loads(body)
    assert document["@context"] == "http://localhost/context.jsonld"
    document["@context"] = local_context(client)
    return rdflib.Graph().parse(data=json.dumps(document), format="json-ld")


def dump_listing(client) -> list[dict]:
    """The dumps' listing, once they are written (in the background: past the page's wait on a busy machine)."""
    deadline = time.monotonic() + 300
    while True:
        listing = client.get("/dumps/", headers={"Accept": "application/json"}).get_json()
        if len(listing) == len(BY_NAME) or time.monotonic() > deadline:  # every dump the server writes
            return listing
        time.sleep(0.5)


# -- 1. JSON-LD -----------------------------------------------------------------------------------------------


def test_id_with_accept_json_gets_compact_jsonld_with_short_keys(client):
    response = client.get(f"/id/{ALBERGO}", headers={"Accept": "application/json"})
    assert response.status_code == 303 and "Accept" in response.vary
    assert response.headers["Location"].endswith(f"/data/{ALBERGO}.jsonld")
    data = client.get(response.headers["Location"], headers={"Accept": "application/json"})
    assert data.status_code == 200 and data.mimetype == "application/json" and "Accept" in data.vary
    document = data.get_json()
    assert document["@context"] == "http://localhost/context.jsonld"
    node = document["@graph"][0]  # the resource first, then what it links to (with their labels)
    assert node["@id"] == "practice:albergo-diffuso" and node["@type"] == "circe:Practice"
    assert {"@value": "Albergo diffuso", "@language": "it"} in node["prefLabel"]
    assert node["circe:inRegion"] == {"@id": "nuts:ITC4"} and "source" in node and "description" in node
    assert not [key for key in node if key.startswith(("http://", "https://"))], "a plain JSON reader sees short keys"
    as_jsonld = client.get(f"/data/{ALBERGO}.jsonld", headers={"Accept": "application/ld+json"})
    assert as_jsonld.mimetype == "application/ld+json" and as_jsonld.data == data.data


@pytest.mark.parametrize("rest", RESOURCES)
def test_compact_jsonld_round_trips_to_the_same_graph_as_turtle(client, rest):
    jsonld = client.get(f"/data/{rest}.jsonld").data
    turtle = client.get(f"/data/{rest}.ttl").data
    from_jsonld = jsonld_graph(client, jsonld)
    from_turtle = rdflib.Graph().parse(data=turtle, format="turtle")
    assert len(from_jsonld) == len(from_turtle) > 5
    assert isomorphic(from_jsonld, from_turtle), rest


def test_the_context_document_maps_the_prefixes_and_the_common_terms(client):
    response = client.get("/context.jsonld")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*" and "max-age" in response.headers["Cache-Control"]
    context = response.get_json()["@context"]
    assert context == JSONLD_CONTEXT
    assert all(context[prefix] == iri for prefix, iri in PREFIXES.items())
    assert context["prefLabel"] == "http://www.w3.org/2004/02/skos/core#prefLabel"
    assert context["source"] == "http://purl.org/dc/terms/source"
    assert not set(JSONLD_TERMS) & set(PREFIXES), "a name is either a term or a prefix"
    # JSON-LD 1.1 uses a term as a prefix only when its IRI ends with a gen-delim character.
    assert all(iri.endswith(("/", "#")) for iri in PREFIXES.values())


@pytest.mark.slow
def test_the_ontology_and_the_dump_use_the_same_context(client):
    ontology = client.get("/ontology", headers={"Accept": "application/ld+json"})
    graph = jsonld_graph(client, ontology.data)
    assert (rdflib.URIRef("https://w3id.org/circe-kg/ontology"), rdflib.RDF.type, rdflib.OWL.Ontology) in graph
    dump_listing(client)  # written, if they were not yet
    with client.get("/dumps/circe-kg.jsonld") as response:
        dump = json.loads(response.get_data())
    assert dump["@context"] == local_context(client), "embedded: the dump reads offline"
    albergo = next(node for node in dump["@graph"] if node["@id"] == "practice:albergo-diffuso" and "@type" in node)
    assert "prefLabel" in albergo and "circe:inRegion" in albergo


def test_the_writer_keeps_blank_nodes_typed_literals_and_uncompactable_iris():
    s, b = ox.NamedNode(BASE + "practice/x"), ox.BlankNode("n1")
    other = ox.NamedNode("http://example.org/some/thing?x=1")
    triples = [
        ox.Triple(s, ox.NamedNode(str(rdflib.RDF.type)), ox.NamedNode("https://w3id.org/circe-kg/ontology#Practice")),
        ox.Triple(s, ox.NamedNode(str(rdflib.RDF.type)), other),
        ox.Triple(s, other, ox.Literal("7", datatype=ox.NamedNode("http://example.org/dt"))),
        ox.Triple(s, ox.NamedNode("http://www.w3.org/2004/02/skos/core#note"), b),
        ox.Triple(b, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal('a "quoted" label')),
        ox.Triple(
            b,
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            ox.Literal("1.5", datatype=ox.NamedNode(str(rdflib.XSD.decimal))),
        ),
    ]
    document = json.loads(jsonld_document(triples, JSONLD_CONTEXT, first=s.value))
    node = document["@graph"][0]
    assert node["@type"] == ["circe:Practice", other.value] and node["note"] == {"@id": "_:n1"}
    assert node[other.value] == {"@value": "7", "@type": "http://example.org/dt"}
    expected = rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    assert isomorphic(rdflib.Graph().parse(data=json.dumps(document), format="json-ld"), expected)


# -- 2. Dumps -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size, words",
    [
        (0, "0 bytes"),
        (999, "999 bytes"),
        (1000, "1.0 kB"),
        (2_100_000, "2.1 MB"),
        (999_950, "1.0 MB"),
        (3 * 10**9, "3.0 GB"),
    ],
)
def test_sizes_in_words(size, words):
    assert human_size(size) == words


@pytest.mark.slow
def test_the_dumps_listing_gives_address_size_in_words_and_licence(client):
    listing = dump_listing(client)
    assert len(listing) == len(BY_NAME)  # the full dumps and the sourced-only ones
    for entry in listing:
        assert entry["url"] == f"http://localhost/dumps/{entry['name']}"
        assert entry["size"] == human_size(entry["bytes"]) and re.fullmatch(
            r"\d+(\.\d)? (bytes|kB|MB|GB|TB)", entry["size"]
        )
        assert entry["licence"]["name"] == "CC BY 4.0" and entry["licence"]["url"].startswith(
            "https://creativecommons.org/"
        )
    page = client.get("/dumps/", headers={"Accept": "text/html"}).get_data(as_text=True)
    for entry in listing:
        assert entry["url"] in page and entry["size"] in page
    assert 'rel="license"' in page and "http://localhost/dumps/SHA256SUMS" in page and "sha256sum -c SHA256SUMS" in page


def test_sha256sum_checks_the_downloaded_dumps_and_catches_an_altered_one(client, tmp_path):
    if shutil.which("sha256sum") is None:
        pytest.skip("sha256sum (GNU coreutils) is not installed")
    listing = dump_listing(client)
    for entry in listing:
        with client.get(entry["url"]) as response:
            assert response.status_code == 200
            (tmp_path / entry["name"]).write_bytes(response.get_data())
    sums = client.get("/dumps/SHA256SUMS")
    assert sums.status_code == 200 and sums.mimetype == "text/plain"
    lines = sums.get_data(as_text=True).splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == [entry["name"] for entry in listing]
    assert all(re.fullmatch(r"[0-9a-f]{64}  [\w.-]+", line) for line in lines)
    (tmp_path / "SHA256SUMS").write_bytes(sums.get_data())
    checked = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count(": OK") == len(listing)
    gzip.decompress((tmp_path / "circe-kg.nt.gz").read_bytes())  # the download is the gzip file itself
    with (tmp_path / "circe-kg.ttl").open("ab") as altered:
        altered.write(b"# one more line\n")
    failed = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1 and "circe-kg.ttl: FAILED" in failed.stdout


# -- 3. SPARQL errors in plain words ---------------------------------------------------------------------------


def ask(client, how: str, text: str):
    if how == "GET":
        return client.get("/sparql", query_string={"query": text})
    if how == "POST form":
        return client.post("/sparql", data={"query": text})
    return client.post("/sparql", data=text.encode(), content_type="application/sparql-query")


HOW = ["GET", "POST form", "POST body"]


@pytest.mark.parametrize("how", HOW)
def test_an_undeclared_prefix_is_named_with_the_line_to_add(client, how):
    response = ask(client, how, "SELECT * WHERE { ?s foo:bar ?o }")
    body = response.get_json()
    assert response.status_code == 400 and body["error"] == "undeclared-prefix"
    assert "prefix foo: is not declared" in body["message"] and "line 1, column 21" in body["message"]
    assert "PREFIX foo: <" in body["hint"] and "circe:, id:" in body["hint"] and "expected" not in body["message"]


@pytest.mark.parametrize(
    "text, prefix, declaration",
    [
        ("SELECT * WHERE {\n  ?p a circe:Practice }", "circe", "PREFIX circe: <https://w3id.org/circe-kg/ontology#>"),
        ('SELECT * WHERE { ?s ?p "1"^^xsd:integer }', "xsd", "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>"),
        ("SELECT * WHERE { ?s :bar ?o }", "", "PREFIX : <"),
        ("SELECT * WHERE { ?s ?p ?o } VALUES ?o { practice: }", "practice", "PREFIX practice: <" + BASE + "practice/>"),
    ],
)
def test_undeclared_prefixes_oxigraph_words_otherwise(client, text, prefix, declaration):
    """Oxigraph says "Prefix not found" for foo:bar but "expected OPTIONAL" for :bar: the words of the query decide."""
    body = ask(client, "GET", text).get_json()
    assert f"prefix {prefix}: is not declared" in body["message"] and declaration in body["hint"]


def test_other_syntax_errors_keep_the_parser_s_words_and_position(client):
    earlier = ask(client, "GET", "SELECT ?s WHERE { ?s ?p } ?s foo:bar").get_json()  # the first mistake wins
    assert (
        earlier["error"] == "usage-error" and "SPARQL syntax error" in earlier["message"] and "1:" in earlier["message"]
    )
    fine = 'PREFIX foo: <urn:foo:> SELECT * WHERE { VALUES ?o { "bar:baz" foo:x <urn:qux:y> } } # baz:qux'
    assert ask(client, "GET", fine).status_code == 200  # in strings, IRIs and comments nothing is a prefix


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "# a comment\nPREFIX ex: <urn:ex:>\nBASE <urn:b>\ndelete where { ?s ex:p ?o }",
        "DROP ALL",
        "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    ],
)
def test_an_update_sent_as_a_query_says_where_updates_go(client, loaded_store, how, text):
    before = loaded_store.count()
    response = ask(client, how, text)
    body = response.get_json()
    assert response.status_code == 400 and body["message"] == READ_ONLY and body["error"] == "read-only-endpoint"
    assert "expected" not in json.dumps(body) and "Bearer" in body["hint"]
    assert loaded_store.count() == before


def test_an_update_request_is_refused_in_the_same_words(client, loaded_store):
    before = loaded_store.count()
    for response in (
        client.get("/sparql", query_string={"update": "DROP ALL"}),
        client.post("/sparql", data={"update": "DROP ALL"}),
        client.post("/sparql", data="DROP ALL", content_type="application/sparql-update"),
    ):
        assert response.status_code == 403 and response.get_json()["message"] == READ_ONLY
    assert loaded_store.count() == before


@pytest.mark.parametrize(
    "text, expected",
    [
        ("SELECT ?insert WHERE { ?insert ?p ?o }", None),
        ("# INSERT DATA\nSELECT * WHERE { ?s ?p ?o }", None),
        ("PREFIX insert: <urn:x:> SELECT * WHERE { ?s insert:x ?o }", None),
        ('ASK { ?s ?p "DELETE" }', None),
        ("\ufeff  insert data { <urn:a> <urn:b> 1 }", "INSERT"),
        ("PREFIX drop: <urn:x:>\nCLEAR GRAPH <urn:g>", "CLEAR"),
    ],
)
def test_update_keyword_reads_past_the_prologue_and_nothing_else(text, expected):
    assert update_keyword(text) == expected


def test_undeclared_prefixes_are_found_outside_strings_iris_comments_and_variables():
    text = 'PREFIX a: <urn:a:>\nSELECT ?b WHERE { ?s a:x "d:e" ; <f:g> _:h , i:j . } # k:l\n'
    assert [(p.prefix, p.name) for p in undeclared_prefixes(text)] == [("i", "i:j")]


def test_the_query_page_shows_the_error_in_plain_words(client):
    response = client.get("/query", query_string={"query": "SELECT * WHERE { ?s foo:bar ?o }", "run": "1"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page and "prefix foo: is not declared" in page and "PREFIX foo: &lt;" in page
    update = client.get("/query", query_string={"query": "INSERT DATA { <urn:a> <urn:b> 1 }", "run": "1"})
    assert update.status_code == 400 and READ_ONLY in update.get_data(as_text=True)


# -- 4. The query page: plain values, snippets -----------------------------------------------------------------

VALUES_QUERY = (
    "SELECT ?n ?city ?label ?thing ?none WHERE { VALUES (?n ?city ?label ?thing) "
    f'{{ (42 "Milan" "Dispersed hotel"@en <{BASE}{ALBERGO}>) }} }}'
)


def results_table(html: str) -> str:
    return html[html.index('id="results"') : html.index('id="snippets"')]


def test_results_show_plain_values_with_a_small_language_marker(client):
    response = client.get("/query", query_string={"query": VALUES_QUERY, "run": "1"})
    assert response.status_code == 200
    table = results_table(response.get_data(as_text=True))
    assert "1 row" in table and '<th scope="col">n</th>' in table
    assert '<span title="xsd:integer">42</span>' in table and "<span>Milan</span>" in table
    assert '<span lang="en">Dispersed hotel</span> <small class="lang-tag"' in table and ">en</small>" in table
    assert f'<a href="/id/{ALBERGO}">practice:albergo-diffuso</a>' in table
    assert "^^" not in table and "&#34;42&#34;" not in table and "&#34;Milan&#34;" not in table


def test_yes_no_and_graph_answers_are_shown_too(client):
    ask_page = client.get("/query", query_string={"query": "ASK { ?s ?p ?o }", "run": "1"}).get_data(as_text=True)
    assert "<strong>yes</strong>" in results_table(ask_page)
    construct = f"CONSTRUCT {{ <{BASE}{ALBERGO}> ?p ?o }} WHERE {{ <{BASE}{ALBERGO}> ?p ?o }}"
    graph_page = client.get("/query", query_string={"query": construct, "run": "1"}).get_data(as_text=True)
    table = results_table(graph_page)
    assert '<th scope="col">subject</th>' in table and "practice:albergo-diffuso" in table and "circe:Practice" in table


def test_the_page_runs_without_javascript_and_keeps_the_csp(client):
    html = client.get("/query", query_string={"query": TRICKY}).get_data(as_text=True)
    page = parse_page(html)
    assert page.ids["show-here"]["formaction"] == "/query" and page.ids["show-here"]["formmethod"] == "get"
    assert page.ids["show-here"]["name"] == "run" and page.ids["query-form"]["action"] == "/sparql"
    assert "Use this query from your code" in page.headings
    assert {f"snippet-{key}" for key in ("curl", "python", "r", "javascript")} <= set(page.details)
    assert not any(script.strip() for script in page.scripts) and "<style" not in html  # no inline code
    assert sum("http://localhost/sparql" in text for text in page.pre) == 4  # each with the absolute endpoint


def test_snippets_escape_the_query_for_their_language(client):
    codes = client.post("/query/snippets", data={"query": TRICKY}).get_json()
    assert set(codes) == {"curl", "python", "r", "javascript"}
    # Python: the literal given to setQuery is the query, exactly.
    calls = [
        n
        for n in ast.walk(ast.parse(codes["python"]))
        if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "setQuery"
    ]
    assert ast.literal_eval(calls[0].args[0]) == TRICKY
    # curl: the arguments a POSIX shell gives curl.
    shown = subprocess.run(
        ["bash", "-c", "curl() { printf '%s\\0' \"$@\"; }\n" + codes["curl"]],
        capture_output=True,
        timeout=30,
        check=True,
    )
    assert shown.stdout.split(b"\0")[:-1] == [
        b"http://localhost/sparql",
        b"-H",
        b"Accept: text/csv",
        b"--data-urlencode",
        ("query=" + TRICKY).encode(),
    ]
    # R: the literal, read back with R's escapes.
    literal = re.search(r'^query <- (".*?(?<!\\)")\n', codes["r"], re.DOTALL | re.MULTILINE).group(1)
    assert decode_r_string(literal) == TRICKY
    # JavaScript: the expression, evaluated by Node.
    if shutil.which("node"):
        expression = re.search(r"^const query = (.*?);\nconst response", codes["javascript"], re.DOTALL | re.MULTILINE)
        evaluated = subprocess.run(
            ["node", "-e", f"process.stdout.write({expression.group(1)})"], capture_output=True, timeout=30, check=True
        )
        assert evaluated.stdout.decode() == TRICKY


def decode_r_string(literal: str) -> str:
    """An R double-quoted string literal's value, for the escapes r_string writes (and no unescaped quote)."""
    assert literal[0] == literal[-1] == '"' and not re.search(r'(?<!\\)(\\\\)*"', literal[1:-1])
    return re.sub(
        r"\\(.)",
        lambda m: {"n": "\n", "r": "\r", "t": "\t"}.get(m.group(1), m.group(1)),
        literal[1:-1],
        flags=re.DOTALL,
    )


@pytest.mark.parametrize("text", [TRICKY, 'ends with a quote"', "a\\b", 'has """ inside', "tab\tand\rreturn", "\u2028"])
def test_string_literals_are_exact(text):
    assert ast.literal_eval(python_string(text)) == text
    assert decode_r_string(r_string(text)) == text
    if shutil.which("node"):
        out = subprocess.run(
            ["node", "-e", f"process.stdout.write({javascript_string(text)})"], capture_output=True, timeout=30
        )
        assert out.stdout.decode() == text


@pytest.fixture
def live(app):
    """This app served by a real werkzeug server on 127.0.0.1, on a port the system picks; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    thread.join(timeout=10)


def test_the_snippets_run_for_real_against_a_live_server(live, tmp_path):
    codes = requests.post(live + "query/snippets", data={"query": TRICKY}, timeout=30).json()
    assert live + "sparql" in codes["python"]
    (tmp_path / "snippet.py").write_text(codes["python"])
    python = subprocess.run([sys.executable, "snippet.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert python.returncode == 0 and TRICKY_ANSWER in python.stdout, python.stderr
    if shutil.which("curl"):
        curl = subprocess.run(["bash", "-c", codes["curl"]], capture_output=True, text=True, timeout=120)
        rows = list(csv.reader(io.StringIO(curl.stdout)))  # Virtuoso quotes its CSV header, Oxigraph does not
        assert curl.returncode == 0 and rows and rows[0][0] == "text", curl.stderr + curl.stdout
        assert any(TRICKY_ANSWER in cell or TRICKY_ANSWER.strip() == cell.strip() for row in rows for cell in row), rows
    if shutil.which("node"):
        (tmp_path / "snippet.mjs").write_text(codes["javascript"])  # a module: top-level await
        node = subprocess.run(["node", "snippet.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert node.returncode == 0 and TRICKY_ANSWER in node.stdout, node.stderr
    if (
        shutil.which("Rscript")
        and subprocess.run(["Rscript", "-e", "library(httr)"], capture_output=True).returncode == 0
    ):
        (tmp_path / "snippet.R").write_text(codes["r"])
        r = subprocess.run(["Rscript", "snippet.R"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and "worst" in r.stdout, r.stderr


def test_python_snippet_for_a_graph_and_a_yes_no_query_runs_too(live, tmp_path):
    for text, expected in (
        ("ASK { ?s ?p ?o }", "True"),
        (f"CONSTRUCT {{ <{BASE}{ALBERGO}> ?p ?o }} WHERE {{ <{BASE}{ALBERGO}> ?p ?o }}", "albergo-diffuso"),
    ):
        code = requests.post(live + "query/snippets", data={"query": text}, timeout=30).json()["python"]
        (tmp_path / "snippet.py").write_text(code)
        run = subprocess.run([sys.executable, "snippet.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0 and expected in run.stdout, run.stderr
