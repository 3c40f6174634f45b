"""`circe-kg harvest`: a hub copies other circe-kg instances' published dumps, through the write gate.

Against real servers only: two `circe-kg serve` (CirceApp) with different shipped data files, and a small HTTP
server started here on 127.0.0.1 (`Site`) whose catalogue and files a test can tamper with — a wrong checksum,
data the shapes refuse, and each bad answer a source can give (HTML, 500, too slow, a wrong type, too big, no
dumps, a redirect loop). Every refusal is checked through the CLI: its message, its exit code, and that the hub's
store is byte for byte what it was."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from circe_kg.cli import main
from circe_kg.config import DATA_DIR, PROJECT_ROOT, history_path
from circe_kg.harvest import HARVESTED, Source, source_name, source_of, target_graph
from circe_kg.loader import load_files
from circe_kg.namespaces import GRAPH
from circe_kg.store import EmbeddedStore
from circe_kg.web import create_app
from circe_kg.writing.gate import PROVENANCE_GRAPH, WriteGate
from devtools.local_servers import CirceApp

SCHEMA = sorted((PROJECT_ROOT / "ontology").glob("*.ttl")) + sorted((PROJECT_ROOT / "shapes").glob("*.ttl"))
# Two sources with different data, each valid on its own and together.
SOURCE_FILES = {"alpha": ["organisations", "regions", "region-centroids"], "beta": ["taxonomies", "sectors"]}
CIRCE = "https://w3id.org/circe-kg/ontology#"


# -- helpers ----------------------------------------------------------------------------------------------
def data_files(names: list[str]) -> list[Path]:
    return [DATA_DIR / f"{name}.ttl" for name in names]


def fill(folder: Path, files: list[Path]) -> Path:
    """An on-disk store in `folder` holding `files`, loaded through the write gate as `circe-kg load` does."""
    with EmbeddedStore(folder) as store:
        load_files(store, files, gate=WriteGate(store, history_path(store)))
    return folder


def _wait_for_dumps(app: CirceApp, timeout_s: float = 120) -> None:
    """Until the source's dumps are written: its catalogue lists them only then (a busy machine takes longer than the
    catalogue's own few seconds of waiting, and a harvest that finds no dump is a refusal tested on its own)."""
    deadline = time.monotonic() + timeout_s
    while "circe-kg.nq" not in requests.get(app.base_url + "dumps/", timeout=60).text:
        assert time.monotonic() < deadline, f"{app.base_url} wrote no dumps in {timeout_s} s"
        time.sleep(0.5)


def canonical(triples: list[ox.Triple]) -> list[str]:
    """The triples as sorted N-Triples-like lines with blank nodes canonicalised (RDFC-1.0): two graphs are equal
    exactly when these are."""
    dataset = ox.Dataset([ox.Quad(t.subject, t.predicate, t.object) for t in triples])
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)


def file_graph(path: Path) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]


def state(folder: Path) -> bytes:
    """Everything the hub holds, history included: what 'the store is unchanged' compares."""
    with EmbeddedStore(folder) as store:
        return b"".join(sorted(store.dump(ox.RdfFormat.N_QUADS).splitlines(keepends=True)))


def graphs_of(folder: Path, prefix: str = HARVESTED) -> dict[str, list[ox.Triple]]:
    with EmbeddedStore(folder) as store:
        return {g: list(store.triples(g)) for g in store.named_graphs() if g.startswith(prefix)}


def versions(folder: Path, graph: str) -> list[int]:
    from circe_kg.writing.history import recorded_versions

    with EmbeddedStore(folder) as store:
        return recorded_versions(store, graph)


def run(runner, *args: str):
    return runner.invoke(main, ["harvest", *args])


@pytest.mark.slow
def test_reference_data_the_hub_holds_alike_is_not_copied_again(runner, hub, site):
    """Every circe-kg ships the same taxonomies: a hub that holds them does not keep one more copy per source (each
    would meet every join over the union of graphs once more), and says so."""
    with EmbeddedStore(hub) as store:
        load_files(store, data_files(["taxonomies"]), gate=WriteGate(store, history_path(store)))
    taxonomies = f"{GRAPH}data/taxonomies"
    dump = nquads({taxonomies: file_graph(DATA_DIR / "taxonomies.ttl"), SECTORS: file_graph(DATA_DIR / "sectors.ttl")})
    url = publish(site, "/shared", dump)
    result = run(runner, f"local={url}", "--allow-private", "--store", str(hub))
    assert result.exit_code == 0, result.output
    assert "1 graph(s) not copied: held here already, alike" in result.output
    assert sorted(graphs_of(hub)) == [f"{HARVESTED}local/sectors"]
    with EmbeddedStore(hub) as store:
        assert taxonomies in store.named_graphs()  # the hub's own copy, untouched
    # A source whose copy differs (an edited taxonomy) is kept apart, as any other data of its own.
    edited = dump + f'<{TEXTILE}> <{ALT_LABEL}> "Fashion"@en <{taxonomies}> .\n'.encode()
    publish(site, "/shared", edited)
    again = run(runner, f"local={url}", "--allow-private", "--store", str(hub))
    assert again.exit_code == 0, again.output
    assert f"{HARVESTED}local/taxonomies" in graphs_of(hub)


# -- a source that can be tampered with -----------------------------------------------------------------------
class Site:
    """A small HTTP server on 127.0.0.1 in a thread: `routes` maps a path to what it answers."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[http.server.BaseHTTPRequestHandler], None]] = {}
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the standard library's name
                route = site.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):  # the harvester stopped reading, as it should
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return self.base + path

    def put(
        self, path: str, body: bytes, content_type: str = "text/turtle", status: int = 200, length: bool = True
    ) -> None:
        """Answer `body` at `path`; without `length`, no Content-Length (the body ends when the connection does)."""

        def answer(handler: http.server.BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            if length:
                handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        self.routes[path] = answer

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def catalogue(site: Site, *dumps: dict) -> bytes:
    """A DCAT-AP catalogue in Turtle listing `dumps` (url, media type, and optionally sha256, size, gzip)."""
    lines = [
        "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .",
        "@prefix spdx: <http://spdx.org/rdf/terms#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "<#dataset> a dcat:Dataset ; dct:title 'a test source'@en ; dcat:distribution <#sparql> .",
        f"<#sparql> a dcat:Distribution ; dcat:accessURL <{site.url('/sparql')}> .",
    ]
    for n, dump in enumerate(dumps):
        lines.append(
            f"<#dataset> dcat:distribution <#d{n}> . <#d{n}> a dcat:Distribution ; dcat:downloadURL <{dump['url']}> ; "
            f"dcat:mediaType <https://www.iana.org/assignments/media-types/{dump['type']}> ."
        )
        if dump.get("size") is not None:
            lines.append(f"<#d{n}> dcat:byteSize '{dump['size']}'^^xsd:nonNegativeInteger .")
        if dump.get("sha256"):
            lines.append(
                f"<#d{n}> spdx:checksum [ a spdx:Checksum ; spdx:algorithm spdx:checksumAlgorithm_sha256 ; "
                f"spdx:checksumValue '{dump['sha256']}'^^xsd:hexBinary ] ."
            )
    return "\n".join(lines).encode()


def nquads(graphs: dict[str, list[ox.Triple]]) -> bytes:
    return ox.serialize(
        [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g)) for g, ts in graphs.items() for t in ts],
        format=ox.RdfFormat.N_QUADS,
    )


def publish(site: Site, prefix: str, body: bytes, listed_sha256: str | None = "real", size: int | None = -1) -> str:
    """Serve `body` as an N-Quads dump under `prefix` with a catalogue listing it; the catalogue's URL."""
    sha = hashlib.sha256(body).hexdigest() if listed_sha256 == "real" else listed_sha256
    site.put(f"{prefix}/dump.nq", body, "application/n-quads")
    entry = {"url": site.url(f"{prefix}/dump.nq"), "type": "application/n-quads", "sha256": sha}
    entry["size"] = len(body) if size == -1 else size
    site.put(f"{prefix}/void", catalogue(site, entry))
    return site.url(f"{prefix}/void")


SECTORS = f"{GRAPH}data/sectors"
GOOD_DUMP = nquads(
    {
        SECTORS: file_graph(DATA_DIR / "sectors.ttl"),
        f"{GRAPH}ontology/circe": [
            ox.Triple(ox.NamedNode(CIRCE + "X"), ox.NamedNode(CIRCE + "y"), ox.Literal("not data"))
        ],
        PROVENANCE_GRAPH: [ox.Triple(ox.NamedNode(CIRCE + "Z"), ox.NamedNode(CIRCE + "y"), ox.Literal("history"))],
    }
)
# The same with one statement more (a valid one): a new version of the source's data.
TEXTILE, ALT_LABEL = "https://w3id.org/circe-kg/id/sector/textile", "http://www.w3.org/2004/02/skos/core#altLabel"
NEWER_DUMP = GOOD_DUMP + f'<{TEXTILE}> <{ALT_LABEL}> "Fashion"@en <{SECTORS}> .\n'.encode()
# A practice that is neither sourced nor illustrative: the hub's shapes refuse it.
BAD_DUMP = nquads(
    {
        SECTORS: file_graph(DATA_DIR / "sectors.ttl"),
        f"{GRAPH}data/bad": [
            ox.Triple(
                ox.NamedNode("https://w3id.org/circe-kg/id/practice/harvest-unsourced"),
                ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode(CIRCE + "Practice"),
            )
        ],
    }
)


# -- fixtures -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def schema_folder(tmp_path_factory) -> Path:
    return fill(tmp_path_factory.mktemp("schema") / "store", SCHEMA)


@pytest.fixture
def hub(tmp_path: Path, schema_folder: Path) -> Path:
    """A hub's on-disk store holding the ontology and shapes only (a copy: the test's own)."""
    import shutil

    shutil.copytree(schema_folder.parent, tmp_path / "hub", symlinks=True)  # the store and its history beside it
    return tmp_path / "hub" / "store"


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """Two real `circe-kg serve` with different data files: name → CirceApp."""
    started = {}
    try:
        for name, files in SOURCE_FILES.items():
            folder = tmp_path_factory.mktemp(name)
            fill(folder / "store", SCHEMA + data_files(files))
            started[name] = CirceApp(folder, load=False, CIRCE_KG_MEANING="off")
        for app in started.values():
            _wait_for_dumps(app)
        yield started
    finally:
        for app in started.values():
            app.stop()


@pytest.fixture(scope="module")
def site():
    site = Site()
    yield site
    site.close()


# -- naming -------------------------------------------------------------------------------------------------
def test_sources_are_named_and_their_graphs_placed_under_one_prefix():
    assert source_of("https://circe.example.org/") == Source(
        "circe-example-org", "https://circe.example.org/", "https://circe.example.org/void"
    )
    assert source_of("https://circe.example.org").catalogue_url == "https://circe.example.org/void"
    assert source_of("lombardy=https://example.org/cat.ttl") == Source(
        "lombardy", "https://example.org/cat.ttl", "https://example.org/cat.ttl"
    )
    assert source_name("http://127.0.0.1:8123/void") == "127-0-0-1-8123"
    source = source_of("a=https://example.org/")
    assert target_graph(source, f"{GRAPH}data/practices") == f"{HARVESTED}a/practices"
    assert target_graph(source, None) == f"{HARVESTED}a/default"
    other = target_graph(source, "http://example.org/graphs/one")
    assert other.startswith(f"{HARVESTED}a/other/example-org-graphs-one-")
    assert other != target_graph(source, "http://example.org/graphs/one/")


# -- two real circe-kg sources ----------------------------------------------------------------------------------
@pytest.mark.server
def test_harvesting_two_sources_equals_loading_their_files(runner, hub, sources):
    started = time.monotonic()
    urls = [f"{name}={app.base_url}" for name, app in sources.items()]
    result = run(runner, *urls, "--allow-private", "--store", str(hub))
    assert result.exit_code == 0, result.output
    assert "harvested alpha" in result.output and "harvested beta" in result.output
    harvested = graphs_of(hub)
    expected = {}  # each source's data files loaded directly into a store of their own
    for name, files in SOURCE_FILES.items():
        with EmbeddedStore(None) as direct:
            load_files(direct, SCHEMA + data_files(files))
            for stem in files:
                expected[f"{HARVESTED}{name}/{stem}"] = canonical(list(direct.triples(f"{GRAPH}data/{stem}")))
    # Only the data graphs: neither source's ontology, shapes nor history came along.
    assert sorted(harvested) == sorted(expected)
    for graph, lines in expected.items():
        assert canonical(harvested[graph]) == lines, graph
    # Recorded: operation harvest, the dump's URL and checksum, one commit per source.
    with EmbeddedStore(hub) as store:
        rows = [r for r in _history(store) if r["operation"] == "harvest"]
    assert len({r["number"] for r in rows}) == 2
    for name, app in sources.items():
        (row,) = {r["number"]: r for r in rows if r["graph"].startswith(f"{HARVESTED}{name}/")}.values()
        assert row["file"] == app.base_url + "dumps/circe-kg.nq"
        assert row["checksum"] == hashlib.sha256(_get(row["file"])).hexdigest()
        assert row["catalogue"] == app.base_url + "void"  # the catalogue that listed the dump
        assert "restoredFrom" not in row  # a catalogue is not a version it was restored from
    with EmbeddedStore(hub) as store:  # and the history page says where each harvest came from
        page = create_app(store=store, config={"TESTING": True}).test_client().get("/history")
        text = page.get_data(as_text=True)
    assert page.status_code == 200
    for app in sources.values():
        assert f'from the catalogue <a href="{app.base_url}void">' in text
        assert f"{app.base_url}dumps/circe-kg.nq" in text
    assert time.monotonic() - started < 60


def _history(store) -> list[dict[str, str]]:
    from circe_kg import queries

    rows = queries.run(store, "history").rows
    files = {
        t.subject.value: t.object.value
        for t in store.triples(PROVENANCE_GRAPH)
        if t.predicate.value == CIRCE + "uploadFileName"
    }
    found = []
    for row in rows:
        item = {k: v.value for k, v in row.items()}
        change = f"https://w3id.org/circe-kg/id/change/{item['number']}"
        item["file"] = files.get(change, "")
        found.append(item)
    return found


def _get(url: str) -> bytes:
    import requests

    return requests.get(url, timeout=30).content


@pytest.mark.server
def test_harvesting_again_writes_nothing_unless_the_source_changed(runner, hub, sources, tmp_path):
    urls = [f"{name}={app.base_url}" for name, app in sources.items()]
    assert run(runner, *urls, "--allow-private", "--store", str(hub)).exit_code == 0
    before = state(hub)
    again = run(runner, *urls, "--allow-private", "--store", str(hub))
    assert again.exit_code == 0, again.output
    assert again.output.count("nothing was written") == 2 and "unchanged: alpha" in again.output
    assert state(hub) == before  # not one triple of history added

    # alpha changes: one graph dropped at the source, its N-Quads dump changes with it.
    beta_versions = {g: versions(hub, g) for g in graphs_of(hub, f"{HARVESTED}beta/")}
    alpha = sources["alpha"]
    alpha.stop()
    centroids = f"{GRAPH}data/region-centroids"
    with EmbeddedStore(alpha.folder / "store") as store:
        WriteGate(store, history_path(store)).commit({centroids: None}, "DELETE", "test")
    alpha.start()
    changed = run(runner, *urls, "--allow-private", "--store", str(hub))
    assert changed.exit_code == 0, changed.output
    assert "harvested alpha" in changed.output and "unchanged: beta" in changed.output
    assert f"dropped <{HARVESTED}alpha/region-centroids>" in changed.output
    after = graphs_of(hub)
    assert f"{HARVESTED}alpha/region-centroids" not in after
    assert f"{HARVESTED}alpha/organisations" in after
    assert {g: versions(hub, g) for g in graphs_of(hub, f"{HARVESTED}beta/")} == beta_versions


# -- a source that can be tampered with --------------------------------------------------------------------
@pytest.mark.slow
def test_a_corrupted_or_non_conforming_dump_is_refused_and_the_previous_copy_kept(runner, hub, site):
    url = publish(site, "/good", GOOD_DUMP)
    first = run(runner, f"local={url}", "--allow-private", "--store", str(hub))
    assert first.exit_code == 0, first.output
    assert sorted(graphs_of(hub)) == [f"{HARVESTED}local/sectors"]  # not the ontology, not the history
    kept = state(hub)

    newer = GOOD_DUMP + f'<{CIRCE}A> <{CIRCE}b> "a newer dump" <{SECTORS}> .\n'.encode()
    damaged = newer.replace(b"a newer dump", b"a nEwer dump")  # one byte changed on the way
    publish(site, "/good", damaged, listed_sha256=hashlib.sha256(newer).hexdigest())
    corrupted = run(runner, f"local={url}", "--allow-private", "--store", str(hub))
    assert corrupted.exit_code == 1
    assert "SHA-256" in corrupted.output and "nothing was kept" in corrupted.output
    assert state(hub) == kept

    publish(site, "/good", BAD_DUMP)
    refused = run(runner, f"local={url}", "--allow-private", "--store", str(hub))
    assert refused.exit_code == 1, refused.output
    assert "its data does not conform to this store's shapes" in refused.output
    assert "harvest-unsourced" in refused.output and "Violation: Sourced or illustrative" in refused.output
    assert "the store is unchanged" in refused.output
    assert state(hub) == kept


def test_a_dump_without_a_checksum_needs_no_checksum(runner, hub, site):
    url = publish(site, "/unsummed", GOOD_DUMP, listed_sha256=None)
    refused = run(runner, url, "--allow-private", "--store", str(hub))
    assert refused.exit_code == 1
    assert "no SHA-256 checksum" in refused.output and "--no-checksum" in refused.output
    taken = run(runner, url, "--allow-private", "--no-checksum", "--store", str(hub))
    assert taken.exit_code == 0, taken.output
    again = run(runner, url, "--allow-private", "--no-checksum", "--store", str(hub))
    assert again.exit_code == 0 and "nothing was written" in again.output  # the downloaded file's checksum


def _setup_bad(site: Site) -> None:
    """Every bad answer a source can give, each at its own path."""
    site.put("/html", b"<!doctype html><title>hello</title>", "text/html; charset=utf-8")
    site.put("/error", b"oops", "text/plain", status=500)
    site.put("/json", b'{"catalogue": "no"}', "application/json")
    site.put("/nodumps", catalogue(site))

    def slow(handler) -> None:
        time.sleep(3)
        site.routes["/html"](handler)

    def drip(content_type: str):
        def answer(handler) -> None:  # a byte every 0.2 s: never a pause long enough for --timeout
            handler.send_response(200)
            handler.send_header("Content-Type", content_type)
            handler.end_headers()
            for _ in range(15):
                handler.wfile.write(b"#")
                handler.wfile.flush()
                time.sleep(0.2)

        return answer

    def endless(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/turtle")
        handler.end_headers()
        chunk = b"# " + b"x" * (1024 * 1024 - 3) + b"\n"
        for _ in range(64):
            handler.wfile.write(chunk)

    def loop(target: str):
        def answer(handler) -> None:
            handler.send_response(302)
            handler.send_header("Location", target)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        return answer

    site.routes.update({"/slow": slow, "/drip": drip("text/turtle"), "/huge": endless})
    publish(site, "/drip-dump", GOOD_DUMP, size=None)
    site.routes["/drip-dump/dump.nq"] = drip(
        "application/n-quads"
    )  # a dump that comes too slowly as a whole: --max-time
    site.routes.update({"/loop-a": loop("/loop-b"), "/loop-b": loop(site.url("/loop-a"))})
    site.routes["/to-file"] = loop("file:///etc/passwd")  # every hop is checked like the first address
    site.put("/broken-turtle", b"<a> <b> ", "text/turtle")
    remote_context = b'{"@context": "http://169.254.169.254/context.jsonld", "@id": "http://example.org/a"}'
    site.put("/remote-context", remote_context, "application/ld+json")  # never fetched
    publish(site, "/broken-dump", b"<http://example.org/a> <http://example.org/b> .\n")
    publish(site, "/big-listed", GOOD_DUMP)  # checked with --max-bytes below its size: refused before download
    publish(site, "/big-unlisted", GOOD_DUMP, size=None)  # refused while downloading: neither size is said
    site.put("/big-unlisted/dump.nq", GOOD_DUMP, "application/n-quads", length=False)
    site.put("/html-dump/dump.nq", b"<html>no</html>", "text/html")
    site.put(
        "/html-dump/void",
        catalogue(site, {"url": site.url("/html-dump/dump.nq"), "type": "application/n-quads", "sha256": "0" * 64}),
    )


BAD_INPUTS = [
    # (path or URL, extra options, what the message says, exit code)
    ("/html", [], "answered a web page (text/html), not a DCAT catalogue", 1),
    ("/error", [], "answered HTTP 500", 3),
    ("/slow", ["--timeout", "1"], "no answer within 1 s", 3),
    ("/drip", ["--timeout", "1"], "took longer than the time limit", 3),
    ("/drip-dump/void", ["--max-time", "1"], "the dump took longer than the time limit", 3),
    ("/json", [], "answered application/json, not a DCAT catalogue", 1),
    ("/huge", [], "the catalogue is bigger than the limit", 1),
    ("/nodumps", [], "the catalogue lists no RDF dump (it lists 1 distribution(s))", 1),
    ("/big-listed/void", ["--max-bytes", "1000"], "the dump is bigger than the limit of 1000 bytes (", 1),
    ("/big-unlisted/void", ["--max-bytes", "1000"], "the dump is bigger than the limit of 1000 bytes;", 1),
    ("/html-dump/void", [], "the dump answered text/html, not the application/n-quads", 1),
    ("/loop-a", [], "redirect loop: ", 3),
    ("/broken-turtle", [], "the catalogue does not parse as text/turtle", 1),
    ("/remote-context", [], "the catalogue does not parse as application/ld+json", 1),
    ("/broken-dump/void", [], "line 1: the dump does not parse as application/n-quads", 1),
    ("file:///etc/passwd", [], "is not an http(s) URL", 2),
    ("/to-file", [], "'file:///etc/passwd' is not an http(s) URL", 2),
]


@pytest.mark.slow
@pytest.mark.parametrize(("where", "options", "message", "code"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_each_bad_source_is_refused_with_its_reason_and_nothing_changed(
    runner, hub, site, where, options, message, code
):
    _setup_bad(site)
    before = state(hub)
    url = where if "://" in where else site.url(where)
    started = time.monotonic()
    result = run(runner, url, "--allow-private", *options, "--store", str(hub))
    assert result.exit_code == code, result.output
    assert message in result.output, result.output
    assert "hint: " in result.output  # and how to fix it
    assert "Traceback" not in result.output
    assert state(hub) == before
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    "url",
    [
        "{site}/good/void",
        "http://localhost:9/void",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest",
        "http://[::1]/",
    ],
)
def test_a_private_address_is_refused_unless_allowed(runner, hub, site, url):
    publish(site, "/good", GOOD_DUMP)
    before = state(hub)
    result = run(runner, url.format(site=site.base), "--store", str(hub))
    assert result.exit_code == 2, result.output
    assert "private or loopback address" in result.output and "--allow-private" in result.output
    assert state(hub) == before


def test_a_name_that_turns_private_after_the_check_is_refused_when_connecting(runner, hub, site, monkeypatch):
    """DNS rebinding: the name resolves to a public address when checked, to the hub's own network a moment later
    when the connection is made. The connection is checked too, before anything is sent."""
    publish(site, "/good", GOOD_DUMP)
    port = int(site.base.rsplit(":", 1)[1])
    real = socket.getaddrinfo
    asked = []

    def rebinding(host, *args, **kwargs):
        if host != "rebind.example":
            return real(host, *args, **kwargs)
        asked.append(host)
        address = "93.184.216.34" if len(asked) == 1 else "127.0.0.1"  # public first, then loopback
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    before = state(hub)
    result = run(runner, f"http://rebind.example:{port}/good/void", "--store", str(hub))
    assert len(asked) >= 2, "the name was not looked up again when connecting: the test shows nothing"
    assert result.exit_code == 2, result.output
    assert "rebind.example (127.0.0.1) is a private or loopback address, reached when connecting" in result.output
    assert state(hub) == before


def test_one_failing_source_does_not_stop_the_others(runner, hub, site):
    url = publish(site, "/good", GOOD_DUMP)
    site.put("/error", b"oops", "text/plain", status=500)
    result = run(runner, site.url("/error"), f"good={url}", "--allow-private", "--store", str(hub))
    assert result.exit_code == 3
    assert "answered HTTP 500" in result.output and "harvested good" in result.output
    assert sorted(graphs_of(hub)) == [f"{HARVESTED}good/sectors"]


def test_two_sources_with_one_name_are_a_usage_error(runner, hub, site):
    result = run(runner, f"x={site.url('/a')}", f"x={site.url('/b')}", "--allow-private", "--store", str(hub))
    assert result.exit_code == 2 and "same graphs: x" in result.output


@pytest.mark.slow
def test_a_new_dump_with_the_same_data_writes_nothing(runner, hub, site):
    url = publish(site, "/same", GOOD_DUMP)
    assert run(runner, f"same={url}", "--allow-private", "--store", str(hub)).exit_code == 0
    before = state(hub)
    history_only = GOOD_DUMP + f'<{CIRCE}Z> <{CIRCE}y> "more history" <{PROVENANCE_GRAPH}> .\n'.encode()
    publish(site, "/same", history_only)  # a new checksum, but the source's data graphs are as harvested
    result = run(runner, f"same={url}", "--allow-private", "--store", str(hub))
    assert result.exit_code == 0, result.output
    assert "holds the 1 data graph(s) held here as they are; nothing was written" in result.output
    assert state(hub) == before


class HarvestingHub(CirceApp):
    """`circe-kg serve` with extra options (CirceApp serves with --port only)."""

    def __init__(self, folder: Path, options: list[str]) -> None:
        self.options = options
        super().__init__(folder, load=False, CIRCE_KG_MEANING="off")

    def start(self) -> None:
        from devtools.local_servers import _wait_until_answers

        self._launch([self._command(), "serve", "--port", str(self.port), *self.options], "serve.log", self.env)
        self.query_url = self.base_url + "sparql"
        _wait_until_answers(self.query_url, self.process, self.folder / "serve.log", 60)

    def output(self) -> str:
        return (self.folder / "serve.log").read_text(errors="replace")

    def wait_for(self, text: str, count: int = 1, seconds: float = 30) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.output().count(text) >= count:
                return self.output()
            time.sleep(0.2)
        raise AssertionError(f"{text!r} ({count}×) not in the log within {seconds} s:\n{self.output()[-3000:]}")


@pytest.mark.server
def test_serve_harvests_on_a_schedule_and_logs_each_outcome(site, schema_folder, tmp_path):
    import shutil

    import requests

    url = publish(site, "/scheduled", GOOD_DUMP)
    site.put("/broken", b"oops", "text/plain", status=500)
    shutil.copytree(schema_folder.parent, tmp_path / "hub", symlinks=True)
    options = ["--every", "1s", "--harvest", f"sched={url}", "--harvest", site.url("/broken")]
    with HarvestingHub(tmp_path / "hub", [*options, "--harvest-allow-private"]) as hub:
        hub.wait_for("harvested sched")
        hub.wait_for("unchanged: sched")  # the next round: nothing written
        assert "harvest of 127-0-0-1" in hub.output() and "answered HTTP 500" in hub.output()  # said, and went on
        publish(site, "/scheduled", NEWER_DUMP)
        hub.wait_for("harvested sched", count=2)
        ask = f'ASK {{ GRAPH <{HARVESTED}sched/sectors> {{ <{TEXTILE}> <{ALT_LABEL}> "Fashion"@en }} }}'
        answer = requests.get(hub.query_url, params={"query": ask}, headers={"Accept": "application/json"}, timeout=10)
        assert answer.json()["boolean"] is True


def test_serve_refuses_a_schedule_without_sources(runner):
    result = runner.invoke(main, ["serve", "--every", "1h"])
    assert result.exit_code == 2 and "no --harvest source" in result.output
    result = runner.invoke(main, ["serve", "--every", "soon", "--harvest", "https://example.org/"])
    assert result.exit_code == 2 and "not a duration" in result.output


@pytest.mark.slow
def test_a_gzipped_ntriples_dump_in_an_rdfxml_catalogue_goes_to_the_default_graph(runner, hub, site):
    import gzip

    import rdflib

    triples = ox.serialize(file_graph(DATA_DIR / "sectors.ttl"), format=ox.RdfFormat.N_TRIPLES)
    packed = gzip.compress(triples, mtime=0)
    site.put("/merged/dump.nt.gz", packed, "application/gzip")
    entry = {"url": site.url("/merged/dump.nt.gz"), "type": "application/n-triples"}
    entry["sha256"] = hashlib.sha256(packed).hexdigest()
    turtle = catalogue(site, entry).decode()
    rdfxml = rdflib.Graph().parse(data=turtle, format="turtle", publicID=site.url("/merged/void"))
    site.put("/merged/void", rdfxml.serialize(format="xml").encode(), "application/rdf+xml")
    result = run(runner, f"merged={site.url('/merged/void')}", "--allow-private", "--store", str(hub))
    assert result.exit_code == 0, result.output
    (graph,) = graphs_of(hub)
    assert graph == f"{HARVESTED}merged/default"
    with EmbeddedStore(None) as direct:
        load_files(direct, [*SCHEMA, DATA_DIR / "sectors.ttl"])
        assert canonical(graphs_of(hub)[graph]) == canonical(list(direct.triples(SECTORS)))


def test_a_store_without_shapes_harvests_nothing(runner, site, tmp_path):
    url = publish(site, "/good", GOOD_DUMP)
    result = run(runner, f"good={url}", "--allow-private", "--store", str(tmp_path / "empty"))
    assert result.exit_code == 2 and "holds no shapes" in result.output and "circe-kg load" in result.output
    with EmbeddedStore(tmp_path / "empty") as store:
        assert store.count() == 0
