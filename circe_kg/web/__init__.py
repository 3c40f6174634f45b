"""The Flask application factory. Nothing happens at import; `create_app` wires the store and blueprints.

Settings (pass in `config`, or set the same names as CIRCE_KG_* environment variables for `circe-kg serve`):
STORE_PATH or ENDPOINT (a SPARQL server's query URL; see backends.py),
PERSISTENT_BASE (the base of resource IRIs, default https://w3id.org/circe-kg/), DUMPS_DIR, DUMPS_WAIT_S (how long
a visit waits for dumps being written, 5 s),
SPARQL_TIMEOUT_S (10), SPARQL_MAX_RESULT_BYTES (256 MiB), SPARQL_STREAM_AFTER_BYTES (1 MiB: a bigger answer
is streamed; a smaller one comes whole, with its exact status), SPARQL_WORKERS (3), MAX_CONTENT_LENGTH (16 MiB),
HISTORY_DIR (versions kept for restore), WRITE_TOKENS ({token: agent name}; in production the tokens come
from CIRCE_KG_WRITE_TOKEN / CIRCE_KG_TOKENS_FILE, see web/writes.py), ANSWER_CACHE_MAX_AGE_S (60: how long
the answers of a SPARQL server are kept; see answer_cache.py), ANSWER_CACHE_WARM (1: after a write, answer
again in the background what was asked before it; 0: wait for visitors).
"""

from __future__ import annotations

import atexit
import os
from pathlib import Path
from typing import Any

from flask import Flask

from ..answer_cache import AnswerCache
from ..backends import open_store
from ..config import default_store_path, history_path
from ..dumps import Dumps
from ..federation import FederatedStore, FederationEndpoint
from ..namespaces import BASE
from ..remote_store import RemoteQueryProxy, RemoteStore
from ..sandbox import Limits, QuerySandbox
from ..search import SearchIndex
from ..store import EmbeddedStore, Store
from ..writes import WriteGate
from . import (
    accessibility,
    browse,
    changes,
    dumps,
    edit,
    errors,
    home,
    i18n,
    linked_data,
    partner,
    query_page,
    reconcile,
    session,
    sheets,
    sparql,
    truth,
    validate_page,
    vendor,
    void,
    writes,
)
from .security import init_app as add_security_headers

DEFAULTS: dict[str, Any] = {
    "PERSISTENT_BASE": BASE,
    "SPARQL_TIMEOUT_S": 10.0,
    "SPARQL_MAX_RESULT_BYTES": 256 * 1024 * 1024,  # answers stream (SPARQL_STREAM_AFTER_BYTES): not held whole
    "SPARQL_STREAM_AFTER_BYTES": 1024 * 1024,
    "SPARQL_WORKERS": 3,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "ANSWER_CACHE_MAX_AGE_S": 60.0,  # on a SPARQL server others may write to (answer_cache.py); 0: no cache
    "ANSWER_CACHE_WARM": 1,  # after a write, ask the questions asked before again in the background; 0: don't
}


def _from_environment() -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        value = os.environ.get(f"CIRCE_KG_{key}")
        if value is not None:
            settings[key] = type(default)(value)
    return settings


def _report_missing_sources(app: Flask, store: Store) -> None:
    """Over a federation, each page says which endpoints did not answer while it was made."""
    missing = getattr(store, "missing_sources", lambda: [])
    forget = getattr(store, "forget_missing", lambda: None)
    app.before_request(forget)
    app.context_processor(lambda: {"partial_sources": missing})


def create_app(store: Store | None = None, config: dict[str, Any] | None = None) -> Flask:
    """Build the app over `store` (default: the on-disk store at the configured path)."""
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.update(_from_environment())
    app.config.update(config or {})
    if store is None:
        store = open_store(Path(app.config.get("STORE_PATH", default_store_path())), app.config.get("ENDPOINT"))
    app.extensions["circe_store"] = store
    limits = Limits(
        float(app.config["SPARQL_TIMEOUT_S"]),
        int(app.config["SPARQL_MAX_RESULT_BYTES"]),
        int(app.config["SPARQL_WORKERS"]),
        stream_after_bytes=int(app.config["SPARQL_STREAM_AFTER_BYTES"]),
    )
    # Strangers' queries: a server enforces its own limits, so they are forwarded; the embedded store's
    # cannot be interrupted in-process, so they run in killable workers.
    if isinstance(store, FederatedStore):
        sandbox: Any = FederationEndpoint(store.endpoints)
    elif isinstance(store, RemoteStore):
        sandbox = RemoteQueryProxy(store, limits)
    else:
        sandbox = QuerySandbox(store, limits)
    atexit.register(sandbox.close)
    app.extensions["circe_sandbox"] = sandbox
    dumps_dir = app.config.get("DUMPS_DIR") or (store.local_folder or default_store_path().parent) / "dumps"
    app.extensions["circe_dumps"] = Dumps(store, Path(dumps_dir), float(app.config.get("DUMPS_WAIT_S", 5.0)))
    history_dir = app.config.get("HISTORY_DIR") or history_path(store)
    app.extensions["circe_gate"] = WriteGate(store, Path(history_dir) if history_dir else None)
    app.extensions["circe_tokens"] = writes.configured_tokens(app.config)
    app.extensions["circe_search"] = SearchIndex(store)
    # Only this process writes the embedded store, so its generation says when answers are stale; a server's
    # other writers are invisible here, so its answers also expire.
    max_age = (
        None
        if isinstance(store, EmbeddedStore)
        else 0.0
        if isinstance(store, FederatedStore)
        else float(app.config["ANSWER_CACHE_MAX_AGE_S"])
    )
    answers = AnswerCache(store, max_age_s=max_age, warm=bool(int(app.config["ANSWER_CACHE_WARM"])))
    app.extensions["circe_answers"] = answers
    app.extensions["circe_gate"].after_write.append(answers.notice_write)
    _report_missing_sources(app, store)
    errors.init_app(app)
    add_security_headers(app)
    i18n.init_app(app)
    session.init_app(app)
    for blueprint in (
        home.bp,
        accessibility.bp,
        sparql.bp,
        query_page.bp,
        linked_data.bp,
        partner.bp,
        dumps.bp,
        void.bp,
        writes.bp,
        validate_page.bp,
        edit.bp,
        browse.bp,
        truth.bp,
        sheets.bp,
        reconcile.bp,
        session.bp,
        changes.bp,
        vendor.bp,
    ):
        app.register_blueprint(blueprint)
    return app
