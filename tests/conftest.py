"""Shared fixtures: the shipped files loaded once into an in-memory store, a fresh on-disk store per test,
the Flask app over the loaded store, and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from circe_kg.config import shipped_files
from circe_kg.loader import load_files
from circe_kg.store import EmbeddedStore

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def loaded_store() -> EmbeddedStore:
    """The shipped ontology, shapes and data, loaded once (tests must not write to it)."""
    store = EmbeddedStore(None)
    load_files(store, shipped_files())
    return store


@pytest.fixture
def disk_store(tmp_path: Path) -> EmbeddedStore:
    return EmbeddedStore(tmp_path / "store")


@pytest.fixture
def loaded_disk_store(tmp_path: Path) -> EmbeddedStore:
    store = EmbeddedStore(tmp_path / "store")
    load_files(store, shipped_files())
    return store


@pytest.fixture(scope="session")
def app(loaded_store, tmp_path_factory):
    """One app (and one pool of query workers) for the session, over the read-only loaded store."""
    from circe_kg.web import create_app

    app = create_app(store=loaded_store, config={"TESTING": True, "SPARQL_TIMEOUT_S": 5.0,
                                                 "DUMPS_DIR": tmp_path_factory.mktemp("dumps")})
    yield app
    app.extensions["circe_sandbox"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
