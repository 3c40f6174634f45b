"""Shared fixtures: the shipped files loaded once into an in-memory store, a fresh on-disk store per test,
the Flask app over the loaded store, an app that accepts writes (`writable_app`), a served app (`served`), the
launch options of pytest-playwright's browser, and a CLI runner."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from circe_kg.config import shipped_files
from circe_kg.loader import load_files
from circe_kg.store import EmbeddedStore
from circe_kg.store.remote import RemoteStore
from circe_kg.web.services import services_of
from circe_kg.writing.gate import WriteGate
from devtools import local_servers
from devtools.local_servers import CirceApp, LocalServer, OxigraphServer, VirtuosoServer

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def vector_cache(tmp_path_factory):
    """The meaning vectors the tests' texts need, kept in this run's temporary folder (shared by the workers and the
    servers they start), not in the user's cache."""
    path = tmp_path_factory.getbasetemp().parent / "search-vectors.sqlite"
    os.environ["CIRCE_KG_VECTOR_CACHE"] = str(path)
    yield path


# Every test that reads the shipped data, and every test of a served app, runs on each backend: the
# embedded store, a real Oxigraph server and a real Virtuoso (tests/test_backends.py adds what only a
# server can do wrong).
BACKENDS = ["embedded", "oxigraph-server", "virtuoso"]


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    with OxigraphServer(tmp_path_factory.mktemp("oxigraph-server")) as server:
        yield server


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory):
    with VirtuosoServer(tmp_path_factory.mktemp("virtuoso")) as server:
        yield server


def start_server(backend: str, folder: Path) -> LocalServer:
    return OxigraphServer(folder) if backend == "oxigraph-server" else VirtuosoServer(folder)


def remote_store_for(server: LocalServer) -> RemoteStore:
    """A store over the server, keeping its history (and dumps) in the server's folder."""
    return RemoteStore(
        server.query_url,
        server.update_url,
        user=server.user,
        password=server.password,
        local_folder=server.folder / "circe-kg",
    )


@pytest.fixture(scope="session", params=BACKENDS)
def loaded_store(request):
    """The shipped ontology, shapes and data, loaded once per backend (tests must not write to it)."""
    if request.param == "embedded":
        store = EmbeddedStore(None)
    else:
        store = remote_store_for(
            request.getfixturevalue(
                {"oxigraph-server": "oxigraph_server", "virtuoso": "virtuoso_server"}[request.param]
            )
        )
    load_files(store, shipped_files())
    yield store
    store.close()


@pytest.fixture
def disk_store(tmp_path: Path) -> EmbeddedStore:
    return EmbeddedStore(tmp_path / "store")


@pytest.fixture(scope="session")
def loaded_folder(tmp_path_factory) -> Path:
    """An on-disk store with the shipped files, loaded once and closed: tests get copies of its folder."""
    folder = tmp_path_factory.mktemp("loaded") / "store"
    with EmbeddedStore(folder) as store:
        load_files(store, shipped_files())
    return folder


@pytest.fixture
def loaded_disk_store(tmp_path: Path, loaded_folder: Path) -> EmbeddedStore:
    """A fresh on-disk store holding the shipped files, the test's own (a copy of the folder: loading and
    validating the shipped graph takes seconds, copying it does not)."""
    shutil.copytree(loaded_folder, tmp_path / "store", symlinks=True)
    return EmbeddedStore(tmp_path / "store")


@pytest.fixture(scope="session")
def recorded_folder(tmp_path_factory) -> Path:
    """An on-disk store holding the shipped files loaded through the write gate (so every graph has a recorded
    first version), in `store/`, and its history in `history/`: loaded once and closed; tests get copies."""
    folder = tmp_path_factory.mktemp("recorded")
    with EmbeddedStore(folder / "store") as store:
        load_files(store, shipped_files(), gate=WriteGate(store, folder / "history"))
    return folder


@pytest.fixture
def writable_app(tmp_path: Path, recorded_folder: Path):
    """A function `(tokens, **config) -> (app, store)`: an app that accepts writes from `tokens` (create_app's
    WRITE_TOKENS: token → name, or → (name, role)), over a fresh on-disk store of the test's own with the shipped
    files and their history (a copy of `recorded_folder`: loading through the gate takes seconds, copying does not);
    `config` adds to the app's settings. Each app and its store are closed after the test."""
    from circe_kg.web import create_app

    made = []

    def make(tokens: dict, **config) -> tuple:
        folder = tmp_path / f"site-{len(made)}"
        shutil.copytree(recorded_folder, folder, symlinks=True)
        store = EmbeddedStore(folder / "store")
        settings = {"DUMPS_DIR": folder / "dumps", "HISTORY_DIR": folder / "history", **config}
        app = create_app(store=store, config={"TESTING": True, "WRITE_TOKENS": tokens, **settings})
        made.append((app, store))
        return app, store

    yield make
    for app, store in made:
        services_of(app).sandbox.close()
        store.close()


@pytest.fixture(scope="session")
def app(loaded_store, tmp_path_factory):
    """One app (and one pool of query workers) for the session, over the read-only loaded store."""
    from circe_kg.web import create_app

    app = create_app(
        store=loaded_store,
        config={
            "TESTING": True,
            "SPARQL_TIMEOUT_S": 5.0,
            "DUMPS_DIR": tmp_path_factory.mktemp("dumps"),
            "DUMPS_WAIT_S": 300,  # the dump tests read the files: on a busy machine writing them takes longer than 5 s
        },
    )
    yield app
    services_of(app).sandbox.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module", params=BACKENDS)
def served(request, tmp_path_factory):
    """Start a real `circe-kg serve` on 127.0.0.1 over freshly loaded data — in an on-disk store, or in a
    real Oxigraph server of its own; yields a function that takes extra environment settings and returns
    the base URL. Stopped at the end of the module."""
    started: list[LocalServer] = []

    def start(**settings: str) -> str:
        folder = tmp_path_factory.mktemp("served")
        server = None
        if request.param != "embedded":
            server = start_server(request.param, folder / "server")
            started.append(server)
        app = CirceApp(folder, server, **settings)
        started.append(app)
        return app.base_url

    yield start
    for server in reversed(started):  # the app first, then its SPARQL server
        server.stop()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options (--headed, --slowmo…) for Debian's Chromium: `playwright install` cannot
    download a browser here. Every browser test takes pytest-playwright's `browser`, `context`, `page` or
    `new_context`, so this is the one place a browser is launched (one per worker, for the session)."""
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


# The modules that take longest, longest first (as pytest --durations=0 measures them); the rest follow in their
# usual order.
LONGEST_FIRST = {
    name: rank
    for rank, name in enumerate(
        [
            "test_validation_incremental.py",
            "test_writes.py",
            "test_maintained_lists.py",
            "test_shapes.py",
            "test_backends.py",
            "test_accessibility.py",
            "test_federation.py",
            "test_steward_pages.py",
            "test_fuzz.py",
            "test_timeline.py",
            "test_browser_edit.py",
            "test_browser_hostile.py",
            "test_browser_journey.py",
        ]
    )
}
BACKEND_NAMES = {"embedded": "embedded", "oxigraph": "oxigraph-server", "virtuoso": "virtuoso"}
SERVER_FIXTURES = {"oxigraph_server": "oxigraph-server", "virtuoso_server": "virtuoso"}
SERVED_FIXTURES = {"served"}  # a real `circe-kg serve`, whatever its backend


def pytest_addoption(parser):
    parser.addoption(
        "--backend",
        choices=sorted(BACKEND_NAMES),
        help="run only the tests on this backend (and those that use none): the fast loop is --backend=embedded",
    )


def _backends_of(item) -> set[str]:
    """The backends a test runs on: its parameter, and the servers it asks for by name."""
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec else ()
    found = {value for value in params if isinstance(value, str) and value in BACKENDS}
    found |= {backend for fixture, backend in SERVER_FIXTURES.items() if fixture in item.fixturenames}
    return found


def pytest_collection_modifyitems(config, items):
    """Marks each test by what it needs — `server` (a server process: Oxigraph, Virtuoso or `circe-kg serve`),
    `browser` (Chromium) — so that `-m "not browser and not server"` leaves the fast ones; keeps only one backend's
    tests with --backend; and runs a module marked embedded_only on the embedded store only (what people see of a
    page does not depend on the backend, and the queries under it run on all three in test_queries.py), and one
    marked embedded_and_virtuoso on those two (between them they cover both engines and both store paths a served
    app can take)."""
    only = BACKEND_NAMES.get(config.getoption("--backend") or "")
    kept, dropped = [], []
    for item in items:
        backends = _backends_of(item)
        if backends - {"embedded"} or SERVED_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.server)
        module = getattr(item, "module", None)
        if "browser" in item.fixturenames:  # pytest-playwright's, which its `context`, `page` and `new_context` use
            item.add_marker(pytest.mark.browser)
        if module is not None and module.__name__.endswith("test_fuzz"):
            item.add_marker(pytest.mark.fuzz)
        elsewhere = bool(backends - {"embedded"})
        unwanted = item.get_closest_marker("embedded_only") and elsewhere
        unwanted = unwanted or (item.get_closest_marker("embedded_and_virtuoso") and "oxigraph-server" in backends)
        unwanted = unwanted or (only and backends and only not in backends)
        (dropped if unwanted else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    # The longest modules first: the two workers take whole files in this order (--dist loadfile), so a long file
    # started last would leave one worker waiting alone for it at the end.
    kept.sort(key=lambda item: LONGEST_FIRST.get(Path(str(item.fspath)).name, len(LONGEST_FIRST)))
    items[:] = kept


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A test that starts a server process must be marked `server` (by its fixtures, above, or by hand), so that
    `-m "not server"` really starts none: devtools.local_servers refuses to start one for an unmarked test. Set
    before the test's fixtures are made, so a module fixture that starts a server is checked against the test that
    first needs it."""
    local_servers.starts_allowed = item.get_closest_marker("server") is not None
